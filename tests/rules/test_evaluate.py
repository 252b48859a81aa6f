"""Loading, evaluating with stored results, explaining, previewing, and the ib_rules command."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from industrybrain.rules import evaluate as ev
from industrybrain.rules.loader import LIBRARY, library_files, load_library, load_text
from industrybrain.rules.models import Evaluation, EvaluationResult, Rule
from industrybrain.rules.rulefile import RuleFileError
from tests.rules.cases import build_enterprise, load_cases

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2023, 7, 1)
INNOVATIVE = LIBRARY / "tiers" / "innovative_sme_2022.yaml"


@pytest.fixture
def library():
    load_library()


@pytest.fixture
def three(library):
    """A passing enterprise, a failing one and one without data (from the innovative_sme cases base)."""
    _spec, suite, _ = load_cases(LIBRARY / "tiers" / "innovative_sme_2022.cases.yaml")
    good = build_enterprise(suite["base"], AS_OF)
    bad = build_enterprise({**suite["base"], "yearly": {2022: {**suite["base"]["yearly"][2022], "rd_expense": 0},
                                                        2021: suite["base"]["yearly"][2021]}}, AS_OF)
    empty = build_enterprise({}, AS_OF)
    return good, bad, empty


def run(*args) -> str:
    out = io.StringIO()
    call_command("ib_rules", *args, stdout=out)
    return out.getvalue()


def test_library_loads_idempotently(library):
    assert Rule.objects.filter(code__in=["innovative_sme", "srdi_sme", "little_giant", "single_champion"]).count() == 4
    assert {r.status for r in load_library()} == {"unchanged"}


def test_version_in_force_follows_validity_dates(library):
    # 工信部企业〔2026〕2号 in force from 2026-04-01 (tiers.md §3A)
    assert ev.version_for("srdi_sme", datetime.date(2026, 3, 31)).version == "2022.1"
    assert ev.version_for("srdi_sme", datetime.date(2026, 4, 1)).version == "2026.1"
    assert ev.version_for("little_giant", datetime.date(2024, 12, 31)).version == "2022.1"
    assert ev.version_for("little_giant", datetime.date(2025, 1, 1)).version == "2025.1"  # 工信厅企业函〔2025〕190号
    assert ev.version_for("little_giant", datetime.date(2026, 3, 31)).version == "2025.1"
    assert ev.version_for("little_giant", datetime.date(2026, 4, 1)).version == "2026.1"
    assert ev.version_for("single_champion", datetime.date(2026, 4, 1)).version == "2023.1"
    assert ev.version_for("innovative_sme", datetime.date(2026, 4, 1)).version == "2022.1"  # 附件1 still used
    with pytest.raises(ev.RuleNotFound, match="没有生效的版本"):
        ev.version_for("srdi_sme", datetime.date(2022, 5, 31))


def test_evaluation_switches_version_on_2026_04_01(library):
    """The same enterprise, evaluated the day before and the day the 2026 measures take effect."""
    _spec, suite, _ = load_cases(LIBRARY / "tiers" / "srdi_sme_2026.cases.yaml")
    ent = build_enterprise(suite["base"], datetime.date(2026, 1, 1))
    before = ev.evaluate_rule("srdi_sme", datetime.date(2026, 3, 31), [ent.pk])
    after = ev.evaluate_rule("srdi_sme", datetime.date(2026, 4, 1), [ent.pk])
    assert (before.rule_version.version, after.rule_version.version) == ("2022.1", "2026.1")
    assert set(EvaluationResult.objects.get(evaluation=after).criteria) >= {"c1", "c5", "c6"}
    assert "x13" in EvaluationResult.objects.get(evaluation=before).criteria


def test_province_indicators_replace_the_characteristic_dimension():
    from industrybrain.rules.loader import apply_province, province_configs
    from industrybrain.rules.rulefile import load_rule

    text = (LIBRARY / "tiers" / "srdi_sme_2022.yaml").read_text(encoding="utf-8")
    assert set(province_configs()) >= {"shandong", "zhejiang"}
    shandong = load_rule(apply_province(text, "shandong"))
    assert shandong.version == "2022.1+shandong"
    dim = next(d for d in shandong.dimensions if d.id == "characteristic")
    assert dim.indicators == ("x9a", "x9b", "x9c", "x9d") and dim.max == 15
    assert load_rule(apply_province(text, "zhejiang")).version == "2022.1+zhejiang"
    other = (LIBRARY / "tiers" / "innovative_sme_2022.yaml").read_text(encoding="utf-8")
    assert apply_province(other, "shandong") == other
    with pytest.raises(RuleFileError, match="未知的省份配置"):
        apply_province(text, "atlantis")
    load_library(province="shandong")
    assert ev.version_for("srdi_sme", datetime.date(2024, 1, 1)).version == "2022.1+shandong"


def test_evaluated_version_is_immutable(three):
    version = ev.version_for("innovative_sme", AS_OF)
    ev.evaluate_rule(version, AS_OF)
    changed = version.text.replace("pass_score: 60", "pass_score: 55")
    with pytest.raises(RuleFileError, match="请提升 version"):
        load_text(changed)
    assert load_text(changed.replace('version: "2022.1"', 'version: "2022.2"')).status == "created"


def test_evaluate_stores_outcomes_values_and_version(three):
    good, bad, empty = three
    evaluation = ev.evaluate_rule("innovative_sme", AS_OF)
    assert (evaluation.pass_count, evaluation.fail_count, evaluation.unknown_count) == (1, 1, 1)
    assert evaluation.rule_version.version == "2022.1" and evaluation.as_of == AS_OF
    result = EvaluationResult.objects.get(evaluation=evaluation, enterprise=good)
    assert result.outcome == "pass" and result.score == 70
    # whole base: compact rows (outcome, score, counts); the detail is rebuilt from the frozen snapshot
    assert result.criteria == {} and result.values == {} and evaluation.snapshot.frozen
    assert (result.failed_units, result.unknown_units) == (0, 0)
    data = ev.result_payload(result)
    assert data["subscores"]["innovation"]["value"] == 20
    assert data["criteria"]["sme"] == "pass" and data["criteria"]["credit"] == "manual" and data["criteria"]["i2"] == 15
    assert data["values"]["rd_ratio_last_year"] == 4.0 and data["values"]["size_class_last_year"] == "small"
    assert EvaluationResult.objects.get(evaluation=evaluation, enterprise=empty).outcome == "unknown"
    failed = EvaluationResult.objects.get(evaluation=evaluation, enterprise=bad)
    assert failed.outcome == "fail" and failed.failed_units >= 1
    subset = ev.evaluate_rule("innovative_sme", AS_OF, [bad.pk])  # subset: JSON stored, same counts
    assert EvaluationResult.objects.get(evaluation=subset).failed_units == failed.failed_units
    latest = ev.latest_results("innovative_sme", [bad.pk, good.pk])  # subset rows and whole-base rows alike
    assert latest[bad.pk].evaluation == subset and latest[bad.pk].subset
    assert latest[good.pk].evaluation == evaluation and not latest[good.pk].subset
    assert set(ev.latest_results("innovative_sme")) == {good.pk, bad.pk, empty.pk}


def test_whole_base_decision_is_reproducible_after_the_data_change(three, django_capture_on_commit_callbacks):
    """Compact results + frozen snapshot: after an edit (snapshot rows refreshed by the after-commit hook)
    the old evaluation still explains itself with the values it read; the new one sees the new data."""
    from industrybrain.rules import snapshot

    good, _bad, _empty = three
    evaluation = ev.evaluate_rule("innovative_sme", AS_OF)
    spec = evaluation.rule_version.spec()
    before = ev.explain(spec, ev.result_rows(evaluation, [good.pk])[good.pk])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        fact = good.yearly_facts.get(year=2022)
        fact.rd_expense = 0
        fact.save()
    snap = evaluation.snapshot
    snap.refresh_from_db()
    assert snap.refresh_seq >= 1 and snapshot.current(AS_OF) == snap  # still the current snapshot, refreshed
    result = EvaluationResult.objects.get(evaluation=evaluation, enterprise=good)
    assert ev.result_payload(result)["values"]["rd_ratio_last_year"] == 4.0 and result.outcome == "pass"
    assert ev.explain(spec, ev.result_rows(evaluation, [good.pk])[good.pk]) == before
    again = ev.evaluate_rule("innovative_sme", AS_OF, reuse_snapshot=True)
    assert again.snapshot_id == snap.pk and again.snapshot_seq == snap.refresh_seq
    now = EvaluationResult.objects.get(evaluation=again, enterprise=good)
    assert now.outcome == "fail" and ev.result_payload(now)["values"]["rd_ratio_last_year"] == 0.0
    # a newer snapshot of the date replaces it as current, but the referenced one is kept (stale)
    newer = snapshot.build(AS_OF)
    snap.refresh_from_db()
    assert snapshot.current(AS_OF) == newer and snap.status == "stale"
    assert ev.result_payload(result)["values"]["rd_ratio_last_year"] == 4.0
    Evaluation.objects.filter(snapshot=snap).delete()
    assert snapshot.release_unreferenced() == 1


def test_stored_values_survive_later_data_changes(three):
    good, _bad, _empty = three
    evaluation = ev.evaluate_rule("innovative_sme", AS_OF, [good.pk])
    good.yearly_facts.filter(year=2022).update(rd_expense=0)
    assert evaluation.subset and evaluation.enterprise_count == 1
    stored = EvaluationResult.objects.get(evaluation=evaluation)
    assert stored.values["rd_ratio_last_year"] == 4.0 and stored.outcome == "pass"
    again = ev.evaluate_rule("innovative_sme", AS_OF, [good.pk])
    assert EvaluationResult.objects.get(evaluation=again).outcome == "fail"


def test_explain_lists_every_criterion(three):
    good, *_ = three
    spec = ev.version_for("innovative_sme", AS_OF).spec()
    data = ev.explain(spec, ev.run(spec, AS_OF, [good.pk])[0])
    assert [c["id"] for c in data["criteria"]][:2] == ["sme", "legal_entity"]
    i2 = next(i for i in data["indicators"] if i["id"] == "i2")
    assert i2["points"] == 15 and i2["values"][0]["value"] == 4.0 and i2["values"][0]["unit"] == "%"


def test_preview_counts_by_region(three):
    rows = ev.preview(INNOVATIVE.read_text(encoding="utf-8"), AS_OF)
    assert rows == [{"region_code": "330106", "passed": 1, "failed": 1, "unknown": 1, "total": 3}]
    city = ev.preview_by_level(INNOVATIVE.read_text(encoding="utf-8"), AS_OF, level=2)
    assert city[0]["region_code"] == "330100" and city[0]["total"] == 3


def test_cli_check_ok_and_errors(tmp_path):
    assert "通过" in run("check", str(INNOVATIVE))
    bad = tmp_path / "bad.yaml"
    bad.write_text(INNOVATIVE.read_text(encoding="utf-8").replace(
        "expr: equity_financing_3y >= 500", "expr: equity_financing >= 500; DROP TABLE x"), encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="未通过校验"):
        call_command("ib_rules", "check", str(bad), stdout=out)
    text = out.getvalue()
    line = next(i for i, s in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "DROP TABLE" in s)
    assert f"bad.yaml:{line}:" in text and "只能写一个表达式" in text and "^" in text


def test_cli_check_reports_bracket_gaps(tmp_path):
    bad = tmp_path / "gap.yaml"
    bad.write_text(INNOVATIVE.read_text(encoding="utf-8").replace("{from: 2, to: 3, points: 10}",
                                                                  "{from: 2, to: 2.5, points: 10}"), encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("ib_rules", "check", str(bad), stdout=out)
    assert "档位不连续" in out.getvalue()


def test_cli_evaluate_and_explain(three):
    good, *_ = three
    out = run("evaluate", "innovative_sme", "--as-of", "2023-07-01")
    assert "符合 1  不符合 1  数据不足 1" in out and "耗时" in out
    assert Evaluation.objects.count() == 1
    text = run("explain", "innovative_sme", "--enterprise", good.uscc, "--as-of", "2023-07-01")
    assert "结论：符合" in text and "得分：70" in text and "rd_ratio_last_year) = 4%" in text
    data = json.loads(run("explain", "innovative_sme", "--enterprise", good.uscc, "--as-of", "2023-07-01", "--json"))
    assert data["outcome"] == "pass" and data["score"] == 70


def test_cli_errors_are_chinese(library):
    with pytest.raises(CommandError, match="规则不存在"):
        run("evaluate", "nope")
    with pytest.raises(CommandError, match="企业不存在"):
        run("explain", "innovative_sme", "--enterprise", "91330106MA0000000X")
    with pytest.raises(CommandError, match="没有生效的版本"):
        run("evaluate", "srdi_sme", "--as-of", "2022-05-31")


def test_cli_preview(three):
    out = run("preview", str(INNOVATIVE), "--as-of", "2023-07-01", "--level", "3")
    assert "330106" in out and "耗时" in out


@pytest.mark.parametrize("path", library_files(),
                         ids=lambda p: p.stem)
@pytest.mark.parametrize("dialect", ["spark", "trino", "postgres", "sqlite"])
def test_every_shipped_rule_emits_sql_that_parses(path: Path, dialect):
    import sqlglot

    from industrybrain.rules.compiler import preview_statement, statement
    from industrybrain.rules.rulefile import load_rule

    spec = load_rule(path.read_text(encoding="utf-8"))
    for stmt in (statement(spec, dialect, AS_OF), statement(spec, dialect, AS_OF, [1, 2]),
                 preview_statement(spec, dialect, AS_OF)):
        sql = stmt.sql
        if dialect in ("postgres", "sqlite"):  # pyformat placeholders are the driver's, not SQL
            sql = sql.replace("%(", ":").replace(")s", "")
        parsed = sqlglot.parse(sql, read=dialect)
        assert len(parsed) == 1 and parsed[0] is not None
