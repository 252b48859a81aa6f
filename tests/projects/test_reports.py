"""Monthly investment reports: cumulative never decreases without a note; above total only when flagged."""

import datetime as dt
from decimal import Decimal as D

import pytest

from industrybrain.projects.models import MonthlyInvestmentReport
from industrybrain.projects.services import ActionError, ReportInput, submit_report

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def report(project, user, month, amount, **kw):
    return submit_report(project, user, ReportInput(year=2026, month=month, month_completed=D(amount), **kw),
                         today=TODAY)


def test_cumulative_figures_are_derived(roles, xihu_project):
    report(xihu_project, roles["county"], 1, "1000")
    r = report(xihu_project, roles["enterprise"], 2, "500")
    assert (r.ytd_completed, r.cumulative_completed, r.submitted_by) == (D(1500), D(1500), roles["enterprise"])


def test_decrease_needs_correction_note(roles, xihu_project):
    report(xihu_project, roles["county"], 1, "1000")
    with pytest.raises(ActionError) as exc:
        report(xihu_project, roles["county"], 2, "0", cumulative_completed=D(800), ytd_completed=D(800))
    assert exc.value.errors[0].startswith("自开工累计完成投资800万元小于2026年1月的1000.00万元")
    assert len(exc.value.errors) == 2  # the ytd figure decreased too
    r = report(xihu_project, roles["county"], 2, "-200", correction_note="1月多报200万元，核减")
    assert r.cumulative_completed == D(800)


def test_above_total_needs_flag(roles, xihu_project):
    xihu_project.total_investment = D(1000)
    xihu_project.save()
    with pytest.raises(ActionError) as exc:
        report(xihu_project, roles["county"], 3, "1200")
    assert "超过项目总投资" in exc.value.errors[0]
    r = report(xihu_project, roles["county"], 3, "1200", over_total_flag=True, progress_note="追加设备投资")
    assert r.over_total_flag


def test_changing_a_filed_month_needs_note_and_future_month_refused(roles, xihu_project):
    report(xihu_project, roles["county"], 1, "1000")
    with pytest.raises(ActionError) as exc:
        report(xihu_project, roles["county"], 1, "900")
    assert exc.value.errors == ["2026年1月已填报，修改已填报数据必须填写更正说明"]
    with pytest.raises(ActionError) as exc:
        report(xihu_project, roles["county"], 12, "10")
    assert exc.value.errors == ["不能填报未来月份（2026年12月）"]
    assert MonthlyInvestmentReport.objects.get().month_completed == D(1000)


def test_other_enterprise_and_steward_cannot_report(roles, xihu_project, project_factory, other_enterprises):
    ningbo = project_factory("330203", other_enterprises[0])
    with pytest.raises(ActionError):
        report(ningbo, roles["enterprise"], 1, "10")
    with pytest.raises(ActionError):
        report(ningbo, roles["county"], 1, "10")
    with pytest.raises(ActionError):
        report(xihu_project, roles["steward"], 1, "10")
    assert not MonthlyInvestmentReport.objects.exists()
