"""Monthly investment reports imported from Excel/CSV: the form's checks, row by row, all or nothing."""

from decimal import Decimal

import pytest

from industrybrain.core.models import ImportJob
from industrybrain.projects.models import MonthlyInvestmentReport
from tests.projects.conftest import make_project
from tests.registry.test_importers import applied_job, checked_job, errors_of

pytestmark = pytest.mark.django_db

HEADER = ["项目编号", "年度", "月份", "本月完成投资（万元）", "本年累计完成投资（万元）", "自开工累计完成投资（万元）",
          "本年累计设备投资（万元）", "更正说明", "累计超总投资（已确认）", "形象进度"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def projects(db, roles):
    return {
        "xihu": make_project("330106", code="XH-001", stage="started", total=Decimal("50000")),
        "ningbo": make_project("330203", code="NB-001", stage="started", total=Decimal("80000")),
    }


def test_reports_are_created_with_cumulative_figures_filled_in(roles, projects):
    job = applied_job(roles["county"], "project_reports", [
        HEADER, ["XH-001", "2026", "1", "1200", "", "", "", "", "否", "土方开挖"]])
    assert job.status == ImportJob.Status.DONE, job.errors or job.message
    report = MonthlyInvestmentReport.objects.get(project=projects["xihu"], year=2026, month=1)
    assert (report.ytd_completed, report.cumulative_completed) == (Decimal("1200"), Decimal("1200"))
    assert report.source.startswith("导入：")
    job = applied_job(roles["county"], "project_reports", [HEADER, ["XH-001", "2026", "2", "800"]])
    assert MonthlyInvestmentReport.objects.get(project=projects["xihu"], month=2).cumulative_completed == 2000


def test_the_forms_checks_apply_to_every_row(roles, projects):
    MonthlyInvestmentReport.objects.create(project=projects["xihu"], year=2026, month=1, month_completed=3000,
                                           ytd_completed=3000, cumulative_completed=3000)
    job = checked_job(roles["province"], "project_reports", [
        HEADER,
        ["XH-001", "2026", "2", "100", "", "2500"],          # cumulative decreases without a note
        ["NB-001", "2026", "1", "90000"],                    # above the total without the flag
        ["XX-404", "2026", "1", "10"],                       # unknown project
        ["NB-001", "2026", "2", "10"],                       # same project twice in one file
    ])
    assert job.status == ImportJob.Status.REJECTED
    rows = {(e[0], e[1]) for e in errors_of(job)}
    assert (2, "本月完成投资（万元）") in rows and (3, "本月完成投资（万元）") in rows
    assert (4, "项目编号") in rows and (5, "项目编号") in rows
    reasons = " ".join(e[2] for e in errors_of(job))
    assert "累计数不能减少" in reasons and "超过项目总投资" in reasons and "没有该项目编号" in reasons
    assert MonthlyInvestmentReport.objects.count() == 1  # the dry run wrote nothing


def test_county_officer_cannot_import_another_countys_project(roles, projects):
    job = checked_job(roles["county"], "project_reports", [HEADER, ["NB-001", "2026", "1", "10"]])
    assert job.status == ImportJob.Status.REJECTED
    assert any("无权导入" in e[2] for e in errors_of(job))


def test_template_download_has_the_headers(client, roles):
    import io

    import openpyxl

    client.force_login(roles["province"])
    response = client.get("/imports/template/project_reports/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet[1]][:4] == HEADER[:4]
