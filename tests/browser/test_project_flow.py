"""A county officer walks a project through the six lists with evidence; a late stage raises an alert;
the lists export to Excel."""

import datetime as dt

import pytest

from industrybrain.projects import alerts
from industrybrain.projects.models import Programme
from tests.projects.conftest import make_project

pytestmark = pytest.mark.django_db(transaction=True)

MOVES = [  # target, actual date, land parcel
    ("land_acquired", "2026-02-02", "西湖区2026-07号地块"),
    ("started", "2026-03-02", ""),
    ("under_construction", "2026-04-01", ""),
    ("completed", "2026-08-03", ""),
    ("in_production", "2026-09-01", ""),
]


@pytest.fixture
def project(reference_data, roles, xihu_enterprise):
    from industrybrain.projects.models import Project  # noqa: F401  (migrated apps are loaded)

    return make_project("330106", xihu_enterprise, name="西湖芯片扩产项目",
                        programme=Programme.objects.get(code="qxwy-manufacturing"))


def test_project_moves_through_the_six_lists(project, page, live_server, login, shot, tmp_path):
    evidence = tmp_path / "佐证材料.pdf"
    evidence.write_bytes(b"%PDF-1.4 demo evidence")
    login(page, "county")
    for target, day, parcel in MOVES:
        page.goto(f"{live_server.url}/projects/{project.pk}/move/")
        page.select_option("select[name=target]", target)
        page.fill("input[name=effective_date]", day)
        if parcel:
            page.fill("input[name=land_parcel]", parcel)
        page.set_input_files("input[name=evidence]", str(evidence))
        page.click("[data-testid=move-form] button.btn-primary")
        page.wait_for_selector("[data-testid=project-stage]")
        assert page.locator("[data-testid=form-errors]").count() == 0, target
    assert "投产" in page.locator("[data-testid=project-stage]").inner_text()
    assert page.locator("[data-testid=transitions] tbody tr").count() >= len(MOVES)
    shot(page, "project-in-production")


def test_a_move_without_evidence_is_refused(project, page, live_server, login):
    login(page, "county")
    page.goto(f"{live_server.url}/projects/{project.pk}/move/")
    page.select_option("select[name=target]", "land_acquired")
    page.fill("input[name=effective_date]", "2026-02-02")
    page.fill("input[name=land_parcel]", "西湖区2026-07号地块")
    page.click("[data-testid=move-form] button.btn-primary")
    page.wait_for_selector("[data-testid=form-errors]")
    project.refresh_from_db()
    assert project.stage == "signed"


def test_late_stage_raises_an_alert_and_lists_export(project, page, live_server, login, shot):
    project.planned_land_acquired = dt.date(2026, 3, 1)
    project.save()
    alerts.run_checks(dt.date(2026, 6, 1))
    login(page, "county")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert page.locator("[data-testid=project-alert]").count() >= 1
    shot(page, "project-alert")
    page.goto(f"{live_server.url}/projects/")
    with page.expect_download() as download:
        page.click("text=导出Excel")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_province_officer_tunes_an_alert_rule_with_a_preview(project, page, live_server, login, shot):
    """A bad condition is refused with its position; the preview counts what the new threshold alerts; saved,
    the next check follows it."""
    from industrybrain.projects.models import AlertRule, ProjectAlert

    project.planned_land_acquired = dt.date(2026, 5, 25)
    project.save()
    alerts.run_checks(dt.date(2026, 6, 1))
    assert ProjectAlert.objects.filter(status="open", kind="stage_overdue").count() == 1
    login(page, "province")
    page.goto(f"{live_server.url}/projects/alert-rules/")
    page.click("a[href$='/alert-rules/stage_overdue/']")
    page.fill("textarea[name=condition]", "days_overdue > 10")
    page.click("[data-testid=rule-preview]")
    page.wait_for_selector("[data-testid=field-error]")
    assert "未知字段" in page.locator("[data-testid=field-error]").first.inner_text()
    page.fill("textarea[name=condition]", "next_stage_days_overdue > 10")
    page.fill("input[name=preview_on]", "2026-06-01")
    page.click("[data-testid=rule-preview]")
    page.wait_for_selector("[data-testid=preview]")
    assert "1个对象中有0个将预警" in page.locator("[data-testid=preview]").inner_text()
    shot(page, "project-alert-rule-preview")
    page.click("button[name=action][value=save]")
    page.wait_for_selector("[data-testid=rule-table]")
    assert AlertRule.objects.get(code="stage_overdue").condition == "next_stage_days_overdue > 10"
    assert alerts.run_checks(dt.date(2026, 6, 2)).closed == 1


def test_city_officer_cross_checks_industrial_investment(project, page, live_server, login, shot):
    """工业投资 beside the projects' reports, the caveat, a flag below the band and the export."""
    from decimal import Decimal

    from industrybrain.indicators import services as indicators
    from industrybrain.indicators.models import Indicator
    from industrybrain.projects.models import MonthlyInvestmentReport

    MonthlyInvestmentReport.objects.create(project=project, year=2026, month=6, month_completed=Decimal(0),
                                           ytd_completed=Decimal(30000), cumulative_completed=Decimal(30000))
    ind = Indicator.objects.get(code="industrial_investment")
    indicators.record_values([indicators.Figure(ind.pk, 2026, 6, ytd_value=Decimal(v), ytd_yoy_pct=Decimal("9.1"),
                                                region_id=code) for code, v in (("330100", "150"), ("330106", "20"))],
                             source="测试")
    login(page, "city")
    page.goto(f"{live_server.url}/projects/crosscheck/?year=2026")
    assert "500万元及以上" in page.locator("[data-testid=crosscheck-caveat]").inner_text()
    table = page.locator("[data-testid=crosscheck-table]").inner_text()
    assert "15.00%" in table and "2.00%" in table  # 西湖 3亿/20亿; 杭州 3亿/150亿 (below 5%: flagged)
    assert page.locator("[data-testid=diverges]").count() == 1
    shot(page, "project-crosscheck")
    with page.expect_download() as download:
        page.click("[data-testid=crosscheck-export]")
    assert download.value.suggested_filename.endswith(".xlsx")
