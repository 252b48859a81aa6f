"""Feature snapshots, set-based result storage and the after-commit re-evaluation hook."""

import datetime

import pytest
from django.db import transaction

from industrybrain.rules import evaluate as ev
from industrybrain.rules import pyeval, snapshot
from industrybrain.rules.loader import LIBRARY, load_library
from industrybrain.rules.models import Evaluation, EvaluationResult, FeatureSnapshot
from industrybrain.rules.rulefile import pass_units
from tests.rules.cases import build_enterprise, load_cases, merge

pytestmark = pytest.mark.django_db
AS_OF = datetime.date(2023, 7, 1)


@pytest.fixture
def enterprises():
    load_library()
    _spec, suite, cases = load_cases(LIBRARY / "tiers" / "srdi_sme_2022.cases.yaml")
    ents = [build_enterprise(merge(suite["base"], case.get("given") or {}), AS_OF) for case in cases[:12]]
    ents.append(build_enterprise({}, AS_OF))
    return ents


def same(a, b) -> bool:
    """JSON as stored (SQLite keeps 15 significant digits) against the Python payload."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def ours(callbacks) -> list:
    return [c for c in callbacks if getattr(c, "ib_rules", False)]


@pytest.mark.parametrize("code", ["innovative_sme", "srdi_sme"])
def test_results_stored_in_sql_equal_the_python_payload(enterprises, code):
    version = ev.version_for(code, AS_OF)
    spec = version.spec()
    evaluation = ev.evaluate_rule(version, AS_OF)
    assert evaluation.snapshot is not None and evaluation.enterprise_count == len(enterprises)
    rows = {r["enterprise_id"]: r for r in ev.run(spec, AS_OF)}
    subset = ev.evaluate_rule(version, AS_OF, [e.pk for e in enterprises])  # JSON built in SQL
    stored = {r.enterprise_id: r for r in EvaluationResult.objects.filter(evaluation=subset)}
    rebuilt = ev.result_rows(evaluation)
    for result in EvaluationResult.objects.filter(evaluation=evaluation):
        want = ev.payload(spec, rows[result.enterprise_id])
        full = stored[result.enterprise_id]
        got = {"outcome": full.outcome, "score": full.score, "subscores": full.subscores,
               "criteria": full.criteria, "values": full.values}
        assert same(got, want), (result.enterprise_id, got, want)
        # whole base: compact row; the detail rebuilt from the frozen snapshot is the same
        assert result.criteria == {} and same(ev.result_payload(result), want)
        assert rebuilt[result.enterprise_id] == rows[result.enterprise_id]
        # failed / unknown criteria counted in SQL = counted in Python over the pass units
        env = {**{c.id: rows[result.enterprise_id][f"c_{c.id}"] for c in spec.criteria if not c.manual},
               **{n: rows[result.enterprise_id][n] for n in ("score", "scoring_ok", "direct_any", "conditions_all")},
               **{i.id: rows[result.enterprise_id][f"p_{i.id}"] for i in spec.indicators},
               **{d.id: rows[result.enterprise_id][f"d_{d.id}"] for d in spec.dimensions}}
        states = [pyeval.evaluate(tree, env) for _uid, tree in pass_units(spec)]
        assert (result.failed_units, result.unknown_units) == (states.count(False), states.count(None))
        assert (full.failed_units, full.unknown_units) == (result.failed_units, result.unknown_units)
    counts = (evaluation.pass_count, evaluation.fail_count, evaluation.unknown_count)
    assert sum(counts) == len(enterprises) and counts[0] > 0 and counts[1] > 0 and counts[2] > 0


def test_snapshot_gives_the_same_rows_as_the_registry(enterprises):
    snap = snapshot.build(AS_OF)
    assert snap.status == FeatureSnapshot.Status.READY and snap.enterprise_count == len(enterprises)
    for code in ("innovative_sme", "srdi_sme", "little_giant"):
        spec = ev.version_for(code, datetime.date(2023, 7, 1)).spec()
        direct = sorted(ev.run(spec, AS_OF), key=lambda r: r["enterprise_id"])
        from_snap = sorted(ev.run(spec, AS_OF, snapshot=snap), key=lambda r: r["enterprise_id"])
        assert direct == from_snap
        assert ev.preview(spec, AS_OF, snapshot=False) == ev.preview(spec, AS_OF, snapshot=snap)


def test_a_new_snapshot_replaces_the_old_one_of_the_date(enterprises):
    first = snapshot.build(AS_OF)
    second = snapshot.build(AS_OF)
    assert snapshot.current(AS_OF) == second
    assert not FeatureSnapshot.objects.filter(pk=first.pk).exists()
    assert snapshot.ensure(AS_OF) == second
    ev.evaluate_rules(["innovative_sme", "srdi_sme"], AS_OF, snapshot=second)
    assert Evaluation.objects.filter(snapshot=second).count() == 2


def test_edit_re_evaluates_after_commit(enterprises, django_capture_on_commit_callbacks):
    good = enterprises[0]
    ev.evaluate_rule("srdi_sme", AS_OF)  # the rule is in use; today's version gets re-evaluated on edits
    spec = ev.version_for("srdi_sme", AS_OF).spec()
    before = ev.preview(spec, AS_OF)
    day = datetime.date.today()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        fact = good.yearly_facts.get(year=2022)
        fact.rd_expense = 0
        fact.save()
        good.save()
    assert len(ours(callbacks)) == 1  # one callback per transaction, whatever the number of writes
    edits = Evaluation.objects.filter(trigger="edit")
    in_force = [v.rule.code for v in ev.rules_in_force(day)]
    if "srdi_sme" in in_force:
        assert edits.filter(rule_version__rule__code="srdi_sme", subset=True, enterprise_count=1).exists()
        latest = ev.latest_results("srdi_sme", [good.pk])[good.pk]
        assert latest.evaluation.trigger == "edit"
    after = ev.preview(spec, AS_OF)  # the snapshot row was refreshed
    assert after[0]["passed"] == before[0]["passed"] - 1


def test_rolled_back_edit_does_nothing(enterprises, django_capture_on_commit_callbacks):
    ev.evaluate_rule("srdi_sme", AS_OF)
    with (django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic(),
          pytest.raises(RuntimeError), transaction.atomic()):
        enterprises[0].save()
        raise RuntimeError("rolled back")
    assert ours(callbacks) == [] and not Evaluation.objects.filter(trigger="edit").exists()


def test_hook_can_be_switched_off(enterprises, django_capture_on_commit_callbacks, settings):
    settings.IB_RULES_AUTO_REEVALUATE = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enterprises[0].save()
    assert ours(callbacks) == []


@pytest.mark.django_db(transaction=True)
def test_parallel_preview_over_snapshot_slices_adds_up(monkeypatch):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the slices are a SQLite measure (PostgreSQL parallelises one statement itself)")
    load_library()
    _spec, suite, cases = load_cases(LIBRARY / "tiers" / "innovative_sme_2022.cases.yaml")
    for case in cases[:8]:
        build_enterprise(merge(suite["base"], case.get("given") or {}), AS_OF)
    snap = snapshot.build(AS_OF)
    try:
        spec = ev.version_for("innovative_sme", AS_OF).spec()
        single = ev.preview(spec, AS_OF, snapshot=snap)
        monkeypatch.setattr(ev, "PARALLEL_PREVIEW_MIN", 1)
        assert ev.preview(spec, AS_OF, snapshot=snap) == single
        assert sum(r["total"] for r in single) == 8
    finally:
        snapshot.drop(snap)


@pytest.mark.parametrize("code", ["innovative_sme", "srdi_sme", "little_giant", "single_champion"])
def test_preview_short_cut_gives_the_counts_of_the_full_rule(enterprises, code):
    """The preview counts rows whose top-level criterion is FALSE without computing the score: the counts
    must equal those of the full statement, region by region (fail, pass and unknown rows mixed)."""
    spec = ev.version_for(code, AS_OF).spec()
    snap = snapshot.build(AS_OF)
    want: dict[str, list[int]] = {}
    for row in ev.run(spec, AS_OF, snapshot=snap):
        agg = want.setdefault(row["region_code"], [0, 0, 0, 0])
        agg[0 if row["outcome"] is True else 1 if row["outcome"] is False else 2] += 1
        agg[3] += 1
    got = {r["region_code"]: [r["passed"], r["failed"], r["unknown"], r["total"]] for r in ev.preview(spec, AS_OF, snap)}
    assert got == want and sum(v[3] for v in got.values()) == len(enterprises)
    # without the short cut (PostgreSQL, when almost no row is decided): the same counts
    from django.db import connection

    from industrybrain.rules.compiler import dialect_for, preview_statement

    stmt = preview_statement(spec, dialect_for(connection.vendor), AS_OF, snap.table, short_cut=False)
    with connection.cursor() as cursor:
        cursor.execute(stmt.sql, stmt.params)
        full = {r[0]: [int(v or 0) for v in r[1:]] for r in cursor.fetchall()}
    assert full == want
    if connection.vendor == "postgresql":  # the sampling statement runs; too few rows to judge: short cut kept
        assert ev._short_cut_pays(spec, AS_OF, snap) is True
