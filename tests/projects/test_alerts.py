"""Alert rules: the four default rules (overdue planned stage, behind time progress, start rate below the curve,
too long in a stage) on the shared rules language, thresholds edited in the conditions."""

import datetime as dt
from decimal import Decimal as D

import pytest

from industrybrain.core.models import Notification
from industrybrain.projects import alerts
from industrybrain.projects.models import AlertRule, MonthlyInvestmentReport, Programme, ProjectAlert

pytestmark = pytest.mark.django_db


def kinds(as_of):
    return sorted((f.kind, f.project_id) for f in alerts.find_all(as_of))


def set_condition(code, condition):
    rule = AlertRule.objects.get(code=code)
    rule.condition = condition
    rule.full_clean()
    rule.save()


def test_planned_stage_date_passed(xihu_project):
    xihu_project.planned_land_acquired = dt.date(2026, 6, 1)
    xihu_project.stage_entered_on = dt.date(2026, 5, 1)
    xihu_project.save()
    assert kinds(dt.date(2026, 6, 1)) == []
    found = alerts.find_all(dt.date(2026, 6, 3))
    assert [(f.kind, f.stage, f.values["next_stage_days_overdue"]) for f in found] == [
        ("stage_overdue", "signed", 2)]
    assert "计划2026-06-01拿地，已逾期2个工作日仍未进入拿地清单" in found[0].message
    set_condition("stage_overdue", "COALESCE(next_stage_days_overdue, next_stage_calendar_days_overdue) > 5")
    assert kinds(dt.date(2026, 6, 3)) == []


def test_behind_time_progress_threshold(xihu_project, plan):
    plan(xihu_project, "12000")
    xihu_project.stage_entered_on = dt.date(2026, 5, 1)
    xihu_project.save()
    MonthlyInvestmentReport.objects.create(project=xihu_project, year=2026, month=6, month_completed=D(4700),
                                           ytd_completed=D(4700), cumulative_completed=D(4700))
    # 4700/12000 = 39.17%, time progress 50% → 10.83 points behind > 10
    found = alerts.find_all(dt.date(2026, 7, 10))
    assert [f.kind for f in found] == ["behind_time_progress"]
    assert found[0].message.endswith("投资完成率39.17%，落后时间进度10.83个百分点")
    assert found[0].values == {"progress_gap_points": "-10.83", "stage": "signed"}
    set_condition("behind_time_progress", "stage <> 'in_production' AND progress_gap_points < -11")
    assert alerts.find_all(dt.date(2026, 7, 10)) == []


def test_too_long_in_one_stage(xihu_project):
    xihu_project.stage_entered_on = dt.date(2026, 1, 5)
    xihu_project.save()
    found = alerts.find_all(dt.date(2026, 7, 1))  # about 118 working days: within 120
    assert found == []
    found = alerts.find_all(dt.date(2026, 7, 10))
    assert [f.kind for f in found] == ["stage_too_long"]


def test_programme_start_rate_below_curve(project_factory):
    programme = Programme.objects.get(code="qxwy-manufacturing")
    for i in range(10):
        project_factory("330106", programme=programme, stage="started" if i < 3 else "land_acquired",
                        planned_started=dt.date(2026, 3, 1), stage_entered_on=dt.date(2026, 3, 1),
                        actual_started=dt.date(2026, 3, 20) if i < 3 else None)
    # 3/10 = 30% at end of Q1 meets "达到30%"
    assert [f for f in alerts.find_all(dt.date(2026, 4, 1)) if f.kind == "start_rate_below_curve"] == []
    found = [f for f in alerts.find_all(dt.date(2026, 7, 1)) if f.kind == "start_rate_below_curve"]
    assert len(found) == 1
    assert found[0].region_id == "330100"
    assert "开工率30.00%（3/10），未达到“二季度末开工率超过60%”" in found[0].message


def test_run_checks_opens_keeps_closes_and_notifies(roles, xihu_project):
    xihu_project.planned_land_acquired = dt.date(2026, 6, 1)
    xihu_project.stage_entered_on = dt.date(2026, 5, 1)
    xihu_project.service_specialist = roles["steward"]
    xihu_project.save()
    assert alerts.run_checks(dt.date(2026, 6, 10)) == alerts.RunResult(1, 0, 0)
    assert alerts.run_checks(dt.date(2026, 6, 11)) == alerts.RunResult(0, 1, 0)
    assert Notification.objects.filter(user=roles["steward"]).count() == 1
    xihu_project.stage = "land_acquired"
    xihu_project.stage_entered_on = dt.date(2026, 6, 11)
    xihu_project.save()
    assert alerts.run_checks(dt.date(2026, 6, 12)) == alerts.RunResult(0, 0, 1)
    assert ProjectAlert.objects.get().status == "closed"


def test_an_alert_is_raised_to_a_warning_letter_for_its_region(client, roles, xihu_project):
    import datetime as dt

    from industrybrain.monitoring.models import WarningLetter
    from industrybrain.projects import alerts
    from industrybrain.projects.models import ProjectAlert

    xihu_project.planned_land_acquired = dt.date(2026, 3, 1)
    xihu_project.save()
    alerts.run_checks(dt.date(2026, 6, 1), notify=False)
    alert = ProjectAlert.objects.get(project=xihu_project)
    client.force_login(roles["county"])  # its own region: nothing to raise
    assert client.post(f"/projects/alerts/{alert.pk}/raise/").status_code == 404
    client.force_login(roles["city"])
    assert client.get(f"/projects/alerts/{alert.pk}/raise/").status_code == 404  # POST only
    response = client.post(f"/projects/alerts/{alert.pk}/raise/")
    assert response.status_code == 302
    letter = WarningLetter.objects.get()
    assert (letter.region_id, letter.state) == ("330106", "draft")
    assert "西湖芯片扩产项目" in letter.reasons[0]
    client.force_login(roles["enterprise"])
    assert client.post(f"/projects/alerts/{alert.pk}/raise/").status_code == 404
