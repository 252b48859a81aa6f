"""工业投资 (statistics) against the roll-up of the major projects' monthly reports: figures, flag, scope,
page, export and API."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIClient

from industrybrain.core.models import Region
from industrybrain.indicators import services as indicators
from industrybrain.indicators.models import Indicator
from industrybrain.projects import api, crosscheck
from industrybrain.projects.models import MonthlyInvestmentReport

from .conftest import make_project

router = DefaultRouter()
api.register(router)
urlpatterns = [path("api/", include(router.urls)), path("", include("industrybrain.urls"))]

pytestmark = pytest.mark.django_db


def report(project, month, ytd):
    MonthlyInvestmentReport.objects.create(project=project, year=2026, month=month, month_completed=D(0),
                                           ytd_completed=D(ytd), cumulative_completed=D(ytd))


def statistics(region, month, ytd, growth="8.50", basis="official"):
    ind = Indicator.objects.get(code="industrial_investment")
    indicators.record_values([indicators.Figure(ind.pk, 2026, month, ytd_value=D(ytd), ytd_yoy_pct=D(growth),
                                                region_id=region, basis=basis)], source="测试")


@pytest.fixture
def data(roles, xihu_enterprise, city_enterprise, other_enterprises):
    xihu = make_project("330106", xihu_enterprise, name="西湖芯片扩产项目", stage="started")
    xiaoshan = make_project("330109", city_enterprise, name="萧山电池项目", stage="started")
    pudong = make_project("310115", other_enterprises[2], name="浦东汽车项目", stage="started")
    report(xihu, 5, "50000")
    report(xihu, 6, "120000")      # 12亿 by June
    report(xiaoshan, 4, "80000")   # 8亿 by April, no report since: still 8亿 in June
    report(pudong, 6, "990000")
    statistics("330100", 6, "100")
    statistics("330100", 6, "90", basis="derived")  # the official release wins
    statistics("330106", 6, "30")
    statistics("330106", 2, "5")
    return {"xihu": xihu, "xiaoshan": xiaoshan}


def by_key(rows):
    return {(r.region_code, r.month): r for r in rows}


def test_ratio_of_project_reports_to_statistics_golden(data, roles):
    city = Region.objects.get(code="330100")
    assert crosscheck.band() == (D(5), D(100))
    rows = by_key(crosscheck.scoped_rows(roles["province"], city, 2026, low=D(20)))
    hz = rows[("330100", 6)]
    # (12 + 8)亿 reported by the projects / 100亿 工业投资 = 20.00%: on the lower edge of 20–100%, not flagged
    assert (hz.statistics, hz.statistics_growth, hz.projects, hz.project_count, hz.ratio) == (
        D("100.00"), D("8.50"), D("20.00"), 2, D("20.00"))
    assert hz.statistics_basis == "official" and not hz.diverges
    xh = rows[("330106", 6)]
    assert (xh.projects, xh.ratio, xh.diverges) == (D("12.00"), D("40.00"), False)
    assert rows[("330106", 5)].statistics is None and rows[("330106", 5)].ratio is None  # no release: no ratio
    assert rows[("330106", 2)].projects == D("0.00") and rows[("330106", 2)].direction == "low"
    assert not by_key(crosscheck.scoped_rows(roles["province"], city, 2026))[("330100", 6)].diverges  # 5–100%
    assert ("330109", 6) in rows and rows[("330109", 6)].statistics is None
    rows = by_key(crosscheck.scoped_rows(roles["province"], city, 2026, low=D("20.01")))
    assert rows[("330100", 6)].direction == "low"
    rows = by_key(crosscheck.scoped_rows(roles["province"], city, 2026, high=D("39.99")))
    assert rows[("330106", 6)].direction == "high"


def test_outside_regions_and_reports_are_never_counted(data, roles):
    county = Region.objects.get(code="330106")
    rows = crosscheck.scoped_rows(roles["county"], county, 2026)
    assert {r.region_code for r in rows} == {"330106"}
    assert max(r.projects for r in rows) == D("12.00")  # 萧山 and 浦东 are not in 西湖区
    # the county officer's scope has no 萧山 report: the city total they could compute shows only 西湖
    rows = by_key(crosscheck.rows(MonthlyInvestmentReport.objects.filter(project__region="330106"),
                                  indicators.current_values(), Region.objects.get(code="330100"), 2026))
    assert rows[("330100", 6)].projects == D("12.00")


def test_page_shows_both_figures_the_ratio_and_the_caveat(client, data, roles):
    client.force_login(roles["city"])
    html = client.get("/projects/crosscheck/?year=2026&month=6").content.decode()
    assert "杭州市" in html and "20.00%" in html and "100.00" in html
    assert "项目月报只覆盖纳入调度的重大产业项目" in html and "500万元及以上" in html
    html = client.get("/projects/crosscheck/?year=2026&month=6&low=25").content.decode()
    assert 'data-testid="diverges"' in html
    client.force_login(roles["county"])
    assert client.get("/projects/crosscheck/?region=330100").status_code == 404
    assert "浦东" not in client.get("/projects/crosscheck/?year=2026").content.decode()
    for role in ("steward", "enterprise"):
        client.force_login(roles[role])
        assert client.get("/projects/crosscheck/").status_code == 403


def test_export_has_every_region_and_month_with_the_caveat(client, data, roles):
    client.force_login(roles["city"])
    response = client.get("/projects/crosscheck/export/?year=2026")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert "口径说明" in sheet.cell(2, 1).value
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    hz = next(r for r in rows if r[0] == "330100" and r[3] == 6)
    assert (hz[4], hz[7], hz[9], hz[10]) == (100.0, 20.0, 20.0, None)
    assert not any(r[0] == "310115" for r in rows)


@pytest.mark.urls("tests.projects.test_crosscheck")
def test_api_returns_rows_and_caveat(data, roles):
    client = APIClient()
    client.force_authenticate(roles["city"])
    body = client.get("/api/project-crosscheck/", {"year": 2026, "month": 6}).json()
    assert "500万元及以上" in body["caveat"]
    hz = next(r for r in body["rows"] if r["region"] == "330100")
    assert (hz["statistics"], hz["projects"], hz["ratio"], hz["diverges"]) == ("100.00", "20.00", "20.00", False)
    assert {r["month"] for r in body["rows"]} == {6}
    assert client.get("/api/project-crosscheck/", {"region": "310000"}).status_code == 404
    client.force_authenticate(roles["enterprise"])
    assert client.get("/api/project-crosscheck/").status_code == 403


def test_months_after_the_latest_report_or_release_are_not_shown(data, roles):
    rows = crosscheck.scoped_rows(roles["province"], Region.objects.get(code="330100"), 2026)
    assert max(r.month for r in rows) == 6
