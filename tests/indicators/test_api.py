"""Indicators API: catalogue, scoped cube, revisions through POST, reference series, targets."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from industrybrain.indicators.models import Indicator, IndicatorTarget, IndicatorValue
from industrybrain.indicators.services import record_values
from tests.indicators.fixtures import fig, load_report_figures

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.indicators.api_urls")]
BASE = "/api-indicators/"


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def cube(db):
    load_report_figures()
    record_values([fig("above_scale_value_added", "330106", 2023, 10, "3.1"),
                   fig("above_scale_value_added", "330203", 2023, 10, "6.1")], source="测试")


def regions_of(response):
    return sorted({row["region"] for row in response.json()["results"]})


def test_values_are_scoped_by_region(cube, roles):
    url = BASE + "indicator-values/?indicator=above_scale_value_added&period=2023-10"
    assert regions_of(client_for(roles["county"]).get(url)) == ["330106"]
    assert regions_of(client_for(roles["city"]).get(url)) == ["330106"]
    assert regions_of(client_for(roles["province"]).get(url)) == ["330000", "330106", "330203"]
    assert regions_of(client_for(roles["admin"]).get(url)) == ["330000", "330106", "330203"]
    assert client_for(roles["enterprise"]).get(url).json()["results"] == []
    other = IndicatorValue.objects.get(region_id="330203")
    assert client_for(roles["county"]).get(f"{BASE}indicator-values/{other.pk}/").status_code == 404
    assert APIClient().get(url).status_code in (401, 403)


def test_region_subtree_filter(cube, roles):
    url = BASE + "indicator-values/?indicator=above_scale_value_added&region=330100&subtree=1"
    assert regions_of(client_for(roles["province"]).get(url)) == ["330106"]
    url = BASE + "indicator-values/?indicator=above_scale_value_added&region=330000"
    assert regions_of(client_for(roles["province"]).get(url)) == ["330000"]


def test_post_records_a_revision_and_history_shows_it(cube, roles):
    client = client_for(roles["province"])
    payload = {"indicator": "above_scale_value_added", "region": "330000", "year": 2023, "month": 10,
               "ytd_yoy_pct": "5.7"}
    response = client.post(BASE + "indicator-values/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["revision"] == 2
    assert client.post(BASE + "indicator-values/", payload, format="json").status_code == 200  # unchanged
    rows = client.get(BASE + "indicator-values/?indicator=above_scale_value_added&region=330000&period=2023-10"
                      "&history=1").json()["results"]
    assert [(r["revision"], r["is_current"]) for r in rows] == [(2, True), (1, False)]
    outside = client_for(roles["county"]).post(BASE + "indicator-values/", payload, format="json")
    assert outside.status_code == 400 and "region" in outside.json()
    january = dict(payload, indicator="manufacturing_investment", month=1)
    assert client.post(BASE + "indicator-values/", january, format="json").status_code == 400
    assert client_for(roles["enterprise"]).post(BASE + "indicator-values/", payload, format="json").status_code == 403


def test_officers_add_their_own_indicators(roles):
    client = client_for(roles["city"])
    response = client.post(BASE + "indicators/", {"code": "hz-robots", "name": "工业机器人新增装机量", "unit": "台",
                                                  "is_official": True}, format="json")
    assert response.status_code == 201
    created = Indicator.objects.get(code="hz-robots")
    assert not created.is_official and created.created_by == roles["city"]
    assert client.patch(BASE + "indicators/above_scale_value_added/", {"unit": "万元"},
                        format="json").status_code == 403
    assert client.delete(BASE + "indicators/hz-robots/").status_code == 204
    assert client_for(roles["enterprise"]).post(BASE + "indicators/", {"code": "x", "name": "x"},
                                                format="json").status_code == 403
    codes = [r["code"] for r in client_for(roles["enterprise"]).get(BASE + "indicators/").json()["results"]]
    assert "above_scale_value_added" in codes


def test_reference_values_and_targets(cube, roles):
    rows = client_for(roles["county"]).get(BASE + "reference-values/?series=national&period=2023-10").json()["results"]
    assert {(r["indicator"], r["ytd_yoy_pct"]) for r in rows} == {("above_scale_value_added", "4.10"),
                                                                 ("industrial_investment", "9.00")}
    IndicatorTarget.objects.create(indicator=Indicator.objects.get(code="above_scale_value_added"), region_id="330203",
                                   year=2023, target_growth_pct=Decimal("6"))
    assert client_for(roles["county"]).get(BASE + "indicator-targets/").json()["results"] == []
    assert len(client_for(roles["province"]).get(BASE + "indicator-targets/").json()["results"]) == 1


def test_schema_of_the_indicators_api_builds_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--urlconf", "tests.indicators.schema_urls", "--validate", "--fail-on-warn",
                 "--file", str(tmp_path / "schema.yaml"))
    assert "/api-indicators/indicator-values/" in (tmp_path / "schema.yaml").read_text()
