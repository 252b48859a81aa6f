"""Warning-letter triggers as conditions of the shared rules language over a region's release.

Golden figures: the `city_board` fixture (conftest) — 规上工业增加值 累计同比% of four cities at 1–9月 / 1–10月
2023: 杭州 4.0/6.0, 宁波 6.0/5.0, 温州 5.5/5.0, 嘉兴 3.0/4.0; province 5.0/5.0; growth targets 杭州 7.0,
宁波 4.5, 嘉兴 5.0. Ranks at 1–10月 (competition ranking): 杭州 1, 宁波 2, 温州 2, 嘉兴 4; at 1–9月: 宁波 1,
温州 2, 杭州 3, 嘉兴 4.
"""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from industrybrain.core.models import Region, Role
from industrybrain.monitoring import triggers
from industrybrain.monitoring.models import Level, MonitoringConfig, TriggerHit, TriggerRule
from industrybrain.monitoring.rankings import build_board
from industrybrain.monitoring.trigger_views import TriggerRuleForm
from industrybrain.monitoring.triggers import REGION_RELEASE
from tests import factories

ZJ = "330000"
CITIES = {"330100", "330200", "330300", "330400"}


def hits_of(condition: str, consecutive: int = 2, **kw) -> set[str]:
    rule = TriggerRule(name="试算", condition=condition, consecutive=consecutive, **kw)
    return {h.region.code for h in triggers.preview(rule, 2023, 10, [Region.objects.get(pk=ZJ)])}


def test_features_of_a_release_golden(city_board):
    board = build_board(city_board, 2023, 10, Level.CITY, ZJ)
    env = triggers.features(board, board.row("330400"), MonitoringConfig.get())
    assert env["value"] == Decimal("4.0") and env["rank"] == 4 and env["group_size"] == 4
    assert env["rank_from_bottom"] == 1 and env["previous_rank"] == 4 and env["rank_change"] == 0
    assert env["province_average"] == Decimal("5.0") and env["gap_to_average"] == Decimal("-1.0")
    assert env["meets_average"] is False and env["target"] == Decimal("5.0") and env["target_gap"] == Decimal("-1.0")
    assert env["meets_target"] is False and env["status"] == "red"
    assert (env["level"], env["peer_group"], env["is_mountain_county"], env["lower_is_better"]) == (
        "city", "设区市", False, False)
    assert env["month"] == 10 and env["time_progress_pct"].quantize(Decimal("0.01")) == Decimal("83.33")
    ningbo = triggers.features(board, board.row("330200"), MonitoringConfig.get())
    # tie at rank 2 of 4: two regions are 3rd from the bottom; 宁波 moved down from 1 to 2
    assert (ningbo["rank"], ningbo["rank_from_bottom"], ningbo["rank_change"]) == (2, 3, -1)
    assert ningbo["gap_to_average"] == 0 and ningbo["meets_average"] is True  # a tie meets the average
    assert ningbo["target_gap"] == Decimal("0.5") and ningbo["meets_target"] is True and ningbo["status"] == "green"
    wenzhou = triggers.features(board, board.row("330300"), MonitoringConfig.get())
    assert wenzhou["target"] is None and wenzhou["meets_target"] is None  # no target: unknown, not "behind"


def test_a_region_without_a_figure_has_unknown_features(city_board):
    board = build_board(city_board, 2023, 10, Level.CITY, ZJ)
    missing = next(r for r in board.rows if r.value is None)
    env = triggers.features(board, missing, MonitoringConfig.get())
    assert env["value"] is None and env["rank"] is None and env["rank_from_bottom"] is None
    assert env["group_size"] is None and env["meets_average"] is None and env["status"] is None


def test_default_rules_golden(city_board):
    # bottom 3 for 2 releases: 温州 (3rd from bottom both times) and 嘉兴 (last both times); 宁波 was top at 1–9月
    assert hits_of("rank_from_bottom <= 3 AND group_size > 3") == {"330300", "330400"}
    assert hits_of("NOT meets_average") == {"330400"}            # 杭州 only at 1–9月
    assert hits_of("NOT meets_target") == {"330100", "330400"}   # 温州 has no target: unknown
    assert hits_of("NOT meets_target", consecutive=3) == set()   # no 1–8月 release
    assert {(r["name"], r["condition"]) for r in triggers.DEFAULT_RULES} == {
        (r.name, r.condition) for r in TriggerRule.objects.all()}  # migration 0002/0003 seeded the same


def test_edges_of_comparisons(city_board):
    assert hits_of("gap_to_average <= 0", consecutive=1) == {"330200", "330300", "330400"}
    assert hits_of("gap_to_average < 0", consecutive=1) == {"330400"}  # exactly at the average: not below
    assert hits_of("rank_from_bottom <= 3 AND group_size > 4") == set()  # only four cities ranked
    assert hits_of("rank_from_bottom = 3", consecutive=1) == {"330200", "330300"}  # the tie at rank 2
    assert hits_of("target_gap < 0.5", consecutive=1) == {"330100", "330400"}  # 宁波's gap is exactly 0.5
    assert hits_of("rank_change < 0", consecutive=1) == {"330200"}  # 温州 stayed 2nd: change 0
    assert hits_of("status = 'red'", consecutive=1) == {"330400"}


def test_unknown_never_triggers(city_board):
    # seven cities have no figure: NOT (value > 100) is unknown for them, true for the four with figures
    assert hits_of("NOT (value > 100)", consecutive=1) == CITIES
    assert hits_of("value IS NULL", consecutive=1, level=Level.CITY) == {
        c for c in Region.objects.filter(parent_id=ZJ, level=Region.Level.CITY).values_list("code", flat=True)} - CITIES
    assert hits_of("value IS NOT NULL AND COALESCE(meets_target, FALSE) = FALSE", level=Level.CITY) == {
        "330100", "330300", "330400"}  # 温州 (no target) made explicit


def test_rule_scope_indicator_and_level(city_board):
    assert hits_of("NOT meets_average", level=Level.COUNTY) == set()
    assert hits_of("NOT meets_average", indicator=city_board) == {"330400"}
    assert hits_of("indicator = 'industrial_investment' AND NOT meets_average") == set()


def test_run_month_stores_condition_and_values_used(city_board):
    TriggerRule.objects.all().delete()
    rule = TriggerRule.objects.create(name="低于全省平均1个百分点以上", condition="gap_to_average <= -1", consecutive=2)
    stored = triggers.run_month(2023, 10)
    assert [(h.region_id, h.rule_id) for h in stored] == [("330400", rule.pk)]
    hit = TriggerHit.objects.get()
    assert hit.condition == "gap_to_average <= -1" and hit.months == 2
    assert [(e["period"], Decimal(e["values"]["gap_to_average"])) for e in hit.evidence] == [
        ("2023-10", Decimal("-1")), ("2023-09", Decimal("-2"))]
    rule.condition = "gap_to_average <= -2"   # editing the rule does not change the stored hit …
    rule.save()
    hit.refresh_from_db()
    assert hit.condition == "gap_to_average <= -1"
    assert triggers.run_month(2023, 10) == []  # … a new run replaces the period's hits (1–10月 gap is −1)
    assert not TriggerHit.objects.exists()


def test_invalid_stored_condition_is_skipped_and_reported(city_board):
    TriggerRule.objects.all().delete()
    TriggerRule.objects.create(name="坏规则", condition="rank_bottom <= 3")
    TriggerRule.objects.create(name="好规则", condition="NOT meets_average")
    problems: list[triggers.RuleProblem] = []
    stored = triggers.run_month(2023, 10, problems=problems)
    assert [h.rule.name for h in stored] == ["好规则"]
    assert problems[0].rule.name == "坏规则" and "rank_bottom" in problems[0].message


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_migrated_bottom_n_condition_equals_the_old_kind(n):
    migration = importlib.import_module("industrybrain.monitoring.migrations.0003_trigger_conditions_published_boards")
    expr = REGION_RELEASE.condition(migration.condition_of("bottom_n", n))
    for size in range(1, 12):
        for rank in range(1, size + 1):
            old = size > n and rank > size - n
            assert REGION_RELEASE.holds(expr, {"rank_from_bottom": size - rank + 1, "group_size": size}) is old
    assert migration.condition_of("below_average", 3) == "NOT meets_average"
    assert migration.condition_of("behind_target", 3) == "NOT meets_target"


@pytest.mark.parametrize(("text", "message"), [
    ("rank_bottom <= 3", "rank_bottom"),                      # unknown feature, with close matches
    ("rank_from_bottom <= 3; DROP TABLE monitoring_triggerhit", "第 1 行"),
    ("(SELECT 1) > 0", "第 1 行"),
    ("value + 1", "逻辑值"),                                  # not a condition
    ("status = 3", "第 1 行"),                                # text compared with a number
    ("meets_average > 1", "第 1 行"),
    ("", "第 1 行"),
])
def test_form_refuses_invalid_conditions_in_chinese(db, text, message):
    form = TriggerRuleForm({"name": "x", "condition": text, "consecutive": 2, "active": True})
    assert not form.is_valid()
    errors = " ".join(form.errors.get("condition", []))
    assert message in errors or (text == "" and form.errors.get("condition"))


@pytest.mark.parametrize("consecutive", [0, 13])
def test_form_refuses_consecutive_out_of_range(db, consecutive):
    form = TriggerRuleForm({"name": "x", "condition": "NOT meets_average", "consecutive": consecutive})
    assert not form.is_valid() and "consecutive" in form.errors


def test_edit_page_validates_previews_and_saves_audited(client, city_board, officers):
    client.force_login(officers["province"])
    page = client.get("/monitoring/triggers/rules/new/").content.decode()
    assert "rank_from_bottom" in page and "山区26县" in page  # the catalogue as help
    data = {"name": "倒数2位", "condition": "rank_from_bottom <= 2 AND group_size > 2", "consecutive": "2",
            "active": "on", "period": "2023-10"}
    bad = client.post("/monitoring/triggers/rules/new/", {**data, "condition": "rank_from_bottom <= ", "action": "save"})
    assert bad.status_code == 200 and "第 1 行" in bad.content.decode()
    before = TriggerRule.objects.count()
    preview = client.post("/monitoring/triggers/rules/new/", {**data, "action": "preview"}).content.decode()
    assert 'data-testid="preview"' in preview and 'data-region="330400"' in preview
    assert 'data-region="330100"' not in preview  # 杭州 was 2nd from the bottom at 1–9月 but 4th at 1–10月
    assert TriggerRule.objects.count() == before and not TriggerHit.objects.exists()
    assert client.post("/monitoring/triggers/rules/new/", {**data, "action": "save"}).status_code == 302
    rule = TriggerRule.objects.get(name="倒数2位")
    assert LogEntry.objects.get_for_object(rule).exists()
    rule_page = client.get(f"/monitoring/triggers/rules/{rule.pk}/").content.decode()
    assert "rank_from_bottom &lt;= 2" in rule_page or "rank_from_bottom <= 2" in rule_page
    assert "倒数2位" in client.get("/monitoring/triggers/rules/?q=倒数").content.decode()
    assert client.get("/monitoring/triggers/rules/xlsx/").status_code == 200


def test_who_edits_which_rule(client, city_board, officers):
    default = TriggerRule.objects.get(condition="NOT meets_average")  # a rule for all provinces
    client.force_login(officers["province"])
    assert client.get(f"/monitoring/triggers/rules/{default.pk}/").status_code == 200
    data = {"action": "save", "name": "x", "condition": "TRUE", "consecutive": 1}
    assert client.post(f"/monitoring/triggers/rules/{default.pk}/", data).status_code == 404  # administrators only
    assert client.post("/monitoring/triggers/rules/new/", {**data, "name": "浙江规则"}).status_code == 302
    own = TriggerRule.objects.get(name="浙江规则")
    assert own.province_id == "330000"  # bound to the officer's province, no choice offered
    assert client.post(f"/monitoring/triggers/rules/{own.pk}/", {**data, "name": "浙江规则2"}).status_code == 302
    shanghai = TriggerRule.objects.create(name="上海规则", condition="TRUE", consecutive=1, province_id="310000")
    assert client.get(f"/monitoring/triggers/rules/{shanghai.pk}/").status_code == 404
    assert "上海规则" not in client.get("/monitoring/triggers/rules/").content.decode()
    admin = factories.user("admin", Role.ADMINISTRATOR)
    client.force_login(admin)
    assert client.post(f"/monitoring/triggers/rules/{default.pk}/", {
        **data, "name": "全局", "province": ""}).status_code == 302
    assert TriggerRule.objects.get(pk=default.pk).condition == "TRUE"


def test_a_provinces_rule_applies_to_that_province_only(city_board):
    TriggerRule.objects.all().delete()
    TriggerRule.objects.create(name="上海规则", condition="value > 0", consecutive=1, province_id="310000")
    TriggerRule.objects.create(name="浙江规则", condition="value > 5", consecutive=1, province_id="330000")
    hits = triggers.evaluate(2023, 10)
    assert {(h.rule.name, h.region.code) for h in hits} == {("浙江规则", "330100")}


def test_read_only_users_preview_but_never_save_or_run(client, city_board, officers):
    rule = TriggerRule.objects.first()
    client.force_login(officers["city"])
    assert client.get(f"/monitoring/triggers/rules/{rule.pk}/").status_code == 200   # read and preview
    preview = client.post(f"/monitoring/triggers/rules/{rule.pk}/", {
        "action": "preview", "period": "2023-10", "name": "x", "condition": "value > 0", "consecutive": 1})
    html = preview.content.decode()
    assert 'data-testid="preview"' in html and 'data-region="330100"' in html  # 杭州's own figure
    assert 'data-region="330400"' not in html  # 嘉兴 is outside a 杭州 officer's regions
    assert client.post(f"/monitoring/triggers/rules/{rule.pk}/", {
        "action": "save", "name": "x", "condition": "TRUE", "consecutive": 1}).status_code == 404
    assert client.post("/monitoring/triggers/rules/new/", {
        "action": "save", "name": "x", "condition": "TRUE", "consecutive": 1}).status_code == 404
    assert TriggerRule.objects.get(pk=rule.pk).condition == rule.condition
    assert client.post("/monitoring/triggers/run/", {"period": "2023-10"}).status_code == 404
    client.force_login(officers["enterprise"])
    assert client.get("/monitoring/triggers/rules/").status_code == 404


def test_run_page_stores_hits_and_lists_evidence(client, city_board, officers):
    client.force_login(officers["province"])
    response = client.post("/monitoring/triggers/run/", {"period": "2023-10"})
    assert response.status_code == 302 and response["Location"].endswith("period=2023-10")
    assert set(TriggerHit.objects.values_list("region_id", flat=True)) == {"330100", "330300", "330400"}
    html = client.get(response["Location"]).content.decode()
    assert 'data-region="330400"' in html and "rank_from_bottom" in html and "判定依据" in html


def test_cli_runs_the_month_and_reports_invalid_rules(city_board):
    import io

    from django.core.management import call_command

    TriggerRule.objects.create(name="坏规则", condition="rank_bottom <= 3")
    out, err = io.StringIO(), io.StringIO()
    call_command("ib_monitoring", "run", "--period", "2023-10", stdout=out, stderr=err)
    assert "提示函触发 5 条（3 个地区）" in out.getvalue()  # the three defaults on the golden board
    assert "坏规则" in err.getvalue() and "rank_bottom" in err.getvalue()


def test_api_lists_hits_with_condition_and_values_used(client, city_board, officers):
    triggers.run_month(2023, 10)
    client.force_login(officers["province"])
    data = client.get("/api/monitoring/trigger-hits/", {"year": 2023, "month": 10, "region": "330400"}).json()
    rows = data["results"] if isinstance(data, dict) else data
    bottom = next(r for r in rows if r["condition"] == "rank_from_bottom <= 3 AND group_size > 3")
    assert bottom["evidence"] == [{"period": "2023-10", "values": {"group_size": 4, "rank_from_bottom": 1}},
                                  {"period": "2023-09", "values": {"group_size": 4, "rank_from_bottom": 1}}]
    client.force_login(officers["city"])  # 杭州 does not see 嘉兴's hits
    data = client.get("/api/monitoring/trigger-hits/", {"region": "330400"}).json()
    assert (data["results"] if isinstance(data, dict) else data) == []


def test_mountain_counties_are_their_own_group(db):
    """Three 山区26县 and two other counties of 杭州/温州 at 1–9月 and 1–10月; a rule for the mountain group only."""
    from industrybrain.indicators.services import record_values

    from .conftest import figure

    values = {"330127": ("3.0", "3.5"), "330324": ("6.0", "6.2"), "330328": ("4.0", "4.1"),   # 山区26县
              "330106": ("2.0", "2.0"), "330302": ("8.0", "8.0")}
    record_values([figure("above_scale_value_added", code, 2023, m, v) for code, pair in values.items()
                   for m, v in zip((9, 10), pair, strict=True)], source="测试")
    from industrybrain.indicators.models import Indicator

    board = build_board(Indicator.objects.get(code="above_scale_value_added"), 2023, 10, Level.COUNTY, ZJ)
    chun_an = triggers.features(board, board.row("330127"), MonitoringConfig.get())
    assert (chun_an["is_mountain_county"], chun_an["peer_group"], chun_an["rank"], chun_an["group_size"]) == (
        True, "山区26县", 3, 3)
    assert hits_of("is_mountain_county AND rank_from_bottom = 1", level=Level.COUNTY) == {"330127"}
    # 西湖区 is last of its own tier, not of the mountain group
    assert hits_of("NOT is_mountain_county AND rank_from_bottom = 1", level=Level.COUNTY) == {"330106"}
    assert hits_of("peer_group = '山区26县' AND value < 4.5", level=Level.COUNTY) == {"330127", "330328"}


def test_preview_defaults_to_this_months_release(client, city_board, officers):
    client.force_login(officers["province"])
    html = client.get("/monitoring/triggers/rules/new/").content.decode()
    assert 'id="preview-period" name="period" value="2023-10"' in html
    html = client.post("/monitoring/triggers/rules/new/", {
        "action": "preview", "name": "x", "condition": "NOT meets_average", "consecutive": 2}).content.decode()
    assert "2023-10：" in html and 'data-region="330400"' in html
