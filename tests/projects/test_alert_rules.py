"""Alert rules on the shared rules language: the default rules at their edges (golden, mechanisms.md §2),
refusal of bad conditions and message templates, the edit page with its preview, and the audit trail."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from industrybrain.core import calendar
from industrybrain.projects import alerts, catalogue
from industrybrain.projects.models import AlertRule, MonthlyInvestmentReport, Programme, ProjectAlert

from .conftest import make_project

pytestmark = pytest.mark.django_db


def found(code, as_of):
    rule = AlertRule.objects.get(code=code)
    return alerts.find_all(as_of, rules=[rule])


# -- the seeded rules ------------------------------------------------------------------------------------


def test_migration_seeds_the_default_rules_with_the_default_thresholds():
    seeded = {r.code: r for r in AlertRule.objects.all()}
    for spec in alerts.default_rules():
        rule = seeded[spec["code"]]
        assert (rule.condition, rule.message, rule.subject, rule.kind, rule.enabled) == (
            spec["condition"], spec["message"], spec["subject"], spec["kind"], True)
        rule.full_clean()  # every default rule is valid against its catalogue
    assert "working_days_in_stage > CASE WHEN stage = 'signed' THEN 120" in seeded["stage_too_long"].condition
    assert "progress_gap_points < -10" in seeded["behind_time_progress"].condition


def test_default_rules_carry_migrated_thresholds():
    rules = {r["code"]: r["condition"] for r in alerts.default_rules(D("7.5"), 3, {"started": 90})}
    assert rules["behind_time_progress"] == "stage <> 'in_production' AND progress_gap_points < -7.5"
    assert rules["stage_overdue"].endswith("> 3")
    assert "WHEN stage = 'started' THEN 90" in rules["stage_too_long"]


# -- golden edges of the default rules ------------------------------------------------------------------


def test_stage_overdue_counts_working_days_not_calendar_days():
    # 2026-06-05 is a Friday: on Sunday the planned date is two calendar days but no working day behind.
    p = make_project(planned_land_acquired=dt.date(2026, 6, 5), stage_entered_on=dt.date(2026, 5, 1))
    assert found("stage_overdue", dt.date(2026, 6, 5)) == []
    assert found("stage_overdue", dt.date(2026, 6, 7)) == []
    hits = found("stage_overdue", dt.date(2026, 6, 8))
    assert [(f.project_id, f.values) for f in hits] == [
        (p.pk, {"next_stage_calendar_days_overdue": 3, "next_stage_days_overdue": 1})]


def test_stage_overdue_falls_back_to_calendar_days_when_the_calendar_does_not_know_the_year():
    year = max(calendar.known_years()) + 5
    make_project(planned_land_acquired=dt.date(year, 3, 2), stage_entered_on=dt.date(year, 1, 2),
                 actual_signed=dt.date(year, 1, 2))
    hits = found("stage_overdue", dt.date(year, 3, 4))
    assert [f.values for f in hits] == [{"next_stage_calendar_days_overdue": 2, "next_stage_days_overdue": None}]


def test_projects_in_production_have_no_next_stage():
    make_project(stage="in_production", planned_in_production=dt.date(2026, 1, 5),
                 stage_entered_on=dt.date(2025, 1, 5))
    assert found("stage_overdue", dt.date(2026, 6, 1)) == []
    assert found("stage_too_long", dt.date(2026, 6, 1)) == []


@pytest.mark.parametrize(("completed", "alerted"), [(D(4800), False), (D(4799), True)])
def test_behind_time_progress_more_than_ten_points(plan, completed, alerted):
    # plan 12000, reported up to June: 时间进度 50%; 4800 → 40.00% (exactly 10 points behind: no alert),
    # 4799 → 39.99% (10.01 points behind: alert).
    p = make_project(stage="started", stage_entered_on=dt.date(2026, 5, 4))
    plan(p, "12000")
    MonthlyInvestmentReport.objects.create(project=p, year=2026, month=6, month_completed=completed,
                                           ytd_completed=completed, cumulative_completed=completed)
    hits = found("behind_time_progress", dt.date(2026, 7, 10))
    assert bool(hits) is alerted
    if alerted:
        assert hits[0].message.endswith("投资完成率39.99%，落后时间进度10.01个百分点")


def test_behind_time_progress_skips_projects_in_production_and_without_plan(plan):
    done = make_project(stage="in_production", stage_entered_on=dt.date(2026, 5, 4))
    plan(done, "12000")
    no_plan = make_project(stage="started", stage_entered_on=dt.date(2026, 5, 4))
    for p in (done, no_plan):
        MonthlyInvestmentReport.objects.create(project=p, year=2026, month=6, month_completed=D(100),
                                               ytd_completed=D(100), cumulative_completed=D(100))
    assert found("behind_time_progress", dt.date(2026, 7, 10)) == []


@pytest.mark.parametrize(("as_of", "started", "planned", "alerted"), [
    (dt.date(2026, 3, 30), 0, 10, False),   # before the first checkpoint: nothing to compare
    (dt.date(2026, 3, 31), 3, 10, False),   # 一季度末达到30%: 30% meets it
    (dt.date(2026, 3, 31), 2, 10, True),
    (dt.date(2026, 6, 30), 6, 10, True),    # 二季度末超过60%: exactly 60% does not
    (dt.date(2026, 6, 30), 7, 10, False),
    (dt.date(2026, 9, 30), 17, 20, True),   # 三季度末超过85%: exactly 85% does not
    (dt.date(2026, 9, 30), 18, 20, False),
    (dt.date(2026, 10, 31), 9, 10, True),   # 10月底前全部实质性开工
    (dt.date(2026, 12, 31), 10, 10, False),
])
def test_start_rate_against_the_30_60_85_100_curve(as_of, started, planned, alerted):
    programme = Programme.objects.get(code="qxwy-manufacturing")
    for i in range(planned):
        make_project("330106", programme=programme, stage="started" if i < started else "land_acquired",
                     planned_started=dt.date(2026, 2, 1), stage_entered_on=dt.date(2026, 2, 1),
                     actual_started=dt.date(2026, 3, 2) if i < started else None)
    hits = found("start_rate_below_curve", as_of)
    assert bool(hits) is alerted
    if alerted:
        assert hits[0].region_id == "330100" and hits[0].programme_id == programme.pk
        assert f"（{started}/{planned}）" in hits[0].message


def test_start_rate_counts_starts_by_the_checkpoint_only():
    programme = Programme.objects.get(code="qxwy-manufacturing")
    make_project("330106", programme=programme, stage="started", planned_started=dt.date(2026, 3, 1),
                 actual_started=dt.date(2026, 4, 2), stage_entered_on=dt.date(2026, 4, 2))
    hits = found("start_rate_below_curve", dt.date(2026, 4, 10))  # started after 31 March: 0/1 at the checkpoint
    assert [f.values["start_rate"] for f in hits] == ["0.00"]


def test_too_long_in_one_stage_edges():
    entered = dt.date(2026, 3, 2)
    make_project(stage="started", stage_entered_on=entered, planned_under_construction=dt.date(2027, 1, 4))
    limit = calendar.add_working_days(entered, 60)  # the 60th working day in 开工清单
    assert found("stage_too_long", limit) == []
    hits = found("stage_too_long", calendar.add_working_days(entered, 61))
    assert [f.values for f in hits] == [{"stage": "started", "working_days_in_stage": 61}]
    assert hits[0].message.endswith("已在开工清单停留61个工作日")


# -- officer-written rules ----------------------------------------------------------------------------


def test_a_custom_rule_with_a_generated_message(xihu_enterprise):
    key = make_project(total=D("200000"), programme=Programme.objects.get(code="city-key"), name="重点大项目")
    make_project(total=D("200000"), programme=Programme.objects.get(code="qxwy-manufacturing"))
    rule = AlertRule(code="big-key", name="重点大项目关注", subject="project",
                     condition="is_key_project AND total_investment >= 100000", severity="serious")
    rule.full_clean()
    rule.save()
    hits = alerts.find_all(dt.date(2026, 6, 1), rules=[rule])
    assert [f.project_id for f in hits] == [key.pk]
    assert hits[0].message == "重点大项目：重点大项目关注（重点项目是，总投资200000.00万元）"
    assert hits[0].kind == "other" and hits[0].severity == "serious"


def test_message_placeholders_are_replaced_never_formatted():
    p = make_project(name="测试{项目}")
    rule = AlertRule(code="t", name="t", subject="project", condition="total_investment > 0",
                     message="{name}/{0}/{name.__class__}/{{code}}")
    assert alerts.message_problems("project", rule.message) == []
    hits = alerts.find_all(dt.date(2026, 6, 1), rules=[rule])
    assert hits[0].message == f"测试{{项目}}/{{0}}/{{name.__class__}}/{{{p.code}}}"


@pytest.mark.parametrize(("condition", "expected"), [
    ("days_late > 1", "未知字段"),
    ("next_stage_days_overdue > 0; DROP TABLE projects_project", "只能写一个表达式"),
    ("(SELECT 1) > 0", "第 1 行"),
    ("stage > 3", "第 1 行"),
    ("total_investment + 1", "逻辑值"),
    ("", "表达式为空"),
])
def test_bad_conditions_are_refused_in_chinese_with_a_position(condition, expected):
    rule = AlertRule(code="bad", name="坏规则", subject="project", condition=condition)
    with pytest.raises(ValidationError) as err:
        rule.full_clean()
    text = " ".join(err.value.message_dict["condition"])
    assert expected in text


def test_conditions_are_checked_against_the_chosen_subject():
    rule = AlertRule(code="bad", name="坏规则", subject="programme_city", condition="next_stage_days_overdue > 0")
    with pytest.raises(ValidationError) as err:
        rule.full_clean()
    assert "next_stage_days_overdue" in " ".join(err.value.message_dict["condition"])
    rule.subject, rule.message = "project", "{name}{start_rate}"
    with pytest.raises(ValidationError) as err:
        rule.full_clean()
    assert err.value.message_dict["message"] == ["消息模板中的 {start_rate} 不是“重大项目”的字段"]


def test_disabled_rules_do_not_run_and_run_records_the_audit_values(roles):
    p = make_project(planned_land_acquired=dt.date(2026, 3, 2), stage_entered_on=dt.date(2026, 1, 10))
    assert alerts.run_checks(dt.date(2026, 3, 4), notify=False) == alerts.RunResult(1, 0, 0)
    alert = ProjectAlert.objects.get()
    assert (alert.rule.code, alert.severity, alert.key) == ("stage_overdue", "warning", f"stage_overdue:{p.pk}:signed")
    assert alert.values == {"next_stage_calendar_days_overdue": 2, "next_stage_days_overdue": 2}
    assert alert.condition == AlertRule.objects.get(code="stage_overdue").condition
    AlertRule.objects.filter(code="stage_overdue").update(enabled=False)
    assert alerts.run_checks(dt.date(2026, 3, 5), notify=False) == alerts.RunResult(0, 0, 1)


def test_a_rule_broken_outside_the_form_is_skipped_and_reported():
    make_project(planned_land_acquired=dt.date(2026, 3, 2))
    AlertRule.objects.filter(code="stage_too_long").update(condition="no_such_feature > 1")
    result = alerts.run_checks(dt.date(2026, 3, 4), notify=False)
    assert result.opened == 1 and len(result.skipped) == 1 and "stage_too_long" in result.skipped[0]


def test_catalogue_help_lists_every_feature_with_a_chinese_type():
    rows = catalogue.reference("project")
    codes = {r["code"] for r in rows}
    assert {"next_stage_days_overdue", "completion_rate", "progress_gap_points", "working_days_in_stage",
            "total_investment", "programme", "is_key_project", "stage"} <= codes
    assert {r["type"] for r in rows} <= {"数值", "逻辑值", "文本", "日期"}


# -- the pages --------------------------------------------------------------------------------------------


def test_only_province_officers_and_admins_edit_rules(client, roles):
    for role, status in (("county", 403), ("city", 403), ("steward", 403), ("enterprise", 403)):
        client.force_login(roles[role])
        assert client.get("/projects/alert-rules/stage_overdue/").status_code == status, role
        assert client.post("/projects/alert-rules/new/", {"code": "x"}).status_code == status, role
    client.force_login(roles["county"])
    assert client.get("/projects/alert-rules/").status_code == 200  # officers read the rules
    client.force_login(roles["province"])
    html = client.get("/projects/alert-rules/stage_overdue/").content.decode()
    assert "next_stage_days_overdue" in html and "下一节点逾期工作日" in html  # the catalogue as help
    assert client.get("/projects/alert-rules/nope/").status_code == 404


def form_data(rule, **changes):
    data = {"code": rule.code, "name": rule.name, "kind": rule.kind, "subject": rule.subject,
            "severity": rule.severity, "enabled": "on", "order": rule.order, "condition": rule.condition,
            "message": rule.message, "description": rule.description}
    data.update(changes)
    return data


def test_edit_page_refuses_a_bad_condition_and_saves_a_good_one(client, roles):
    rule = AlertRule.objects.get(code="behind_time_progress")
    client.force_login(roles["province"])
    response = client.post("/projects/alert-rules/behind_time_progress/",
                           form_data(rule, condition="progress_gap < -5", action="save"))
    assert response.status_code == 200
    assert "未知字段" in response.content.decode()
    rule.refresh_from_db()
    assert "-10" in rule.condition
    response = client.post("/projects/alert-rules/behind_time_progress/",
                           form_data(rule, condition="progress_gap_points < -5", action="save"))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.condition, rule.updated_by) == ("progress_gap_points < -5", roles["province"])
    from auditlog.models import LogEntry

    assert LogEntry.objects.get_for_object(rule).exists()  # the change is audited


def test_preview_counts_what_would_be_alerted_now_within_the_officers_scope(client, roles, xihu_enterprise):
    for region in ("330106", "330106", "330203", "310115"):
        make_project(region, planned_land_acquired=dt.date(2026, 3, 2))
    make_project("330106", planned_land_acquired=dt.date(2026, 9, 1))
    rule = AlertRule.objects.get(code="stage_overdue")
    client.force_login(roles["province"])
    response = client.post("/projects/alert-rules/stage_overdue/",
                           form_data(rule, action="preview", preview_on="2026-04-01"))
    html = response.content.decode()
    assert "4个对象中有3个将预警" in html  # Shanghai is outside the province officer's scope
    assert not ProjectAlert.objects.exists()
    rule.refresh_from_db()
    assert rule.updated_by is None  # a preview saves nothing


def test_a_new_rule_is_created_from_the_page(client, roles):
    client.force_login(roles["admin"])
    response = client.post("/projects/alert-rules/new/", {
        "code": "blocked", "name": "问题久拖未决", "kind": "other", "subject": "project", "severity": "notice",
        "enabled": "on", "order": 50, "condition": "open_blockers >= 2", "message": "{name}：{open_blockers}个问题待协调",
        "action": "save"})
    assert response.status_code == 302
    assert AlertRule.objects.get(code="blocked").updated_by == roles["admin"]


def test_working_days_agree_with_the_calendar_in_both_directions():
    days = catalogue._Days(dt.date(2026, 6, 9))
    for offset in (-400, -31, -9, -1, 0, 1, 3, 8, 30, 150):
        day = dt.date(2026, 6, 9) + dt.timedelta(days=offset)
        assert days.since(day) == -calendar.working_days_between(dt.date(2026, 6, 9), day), offset
    assert days.since(dt.date(max(calendar.known_years()) + 3, 1, 5)) is None


def test_evaluation_reads_a_fixed_number_of_queries(django_assert_max_num_queries):
    for region in ("330106", "330109", "330203"):
        for _ in range(5):
            make_project(region, planned_land_acquired=dt.date(2026, 3, 2))
    with django_assert_max_num_queries(12):
        found = alerts.find_all(dt.date(2026, 4, 1))
    assert len([f for f in found if f.kind == "stage_overdue"]) == 15


def test_alert_list_shows_the_values_the_condition_used(client, roles, xihu_enterprise):
    make_project("330106", xihu_enterprise, planned_land_acquired=dt.date(2026, 3, 2))
    alerts.run_checks(dt.date(2026, 3, 4), notify=False)
    client.force_login(roles["county"])
    html = client.get("/projects/alerts/").content.decode()
    assert "判定依据：下一节点逾期自然日2天；下一节点逾期工作日2工作日" in html
