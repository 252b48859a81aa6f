"""用电监测: enterprise alerts against the December baseline and last year, region divergence, nowcast, pages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from industrybrain.core.models import Region
from industrybrain.indicators.services import record_values
from industrybrain.monitoring import electricity
from industrybrain.monitoring.models import ElectricityAlert
from industrybrain.registry.models import MonthlyFact
from tests import factories

from .conftest import figure


def _ent(region: str, dec: str, last: str, now: str, industry: str = "3973"):
    ent = factories.enterprise(region, industry)
    for (y, m), v in (((2022, 12), dec), ((2022, 10), last), ((2023, 10), now)):
        MonthlyFact.objects.create(enterprise=ent, year=y, month=m, electricity=Decimal(v))
    return ent


@pytest.fixture
def plants(db):
    return {
        "red": _ent("330106", "100", "100", "80"),            # 80% of December and −20% y/y
        "baseline": _ent("330106", "100", "80", "85", "2761"),  # 85% of December, +6% y/y
        "yoy": _ent("330203", "100", "120", "100"),           # 100% of December, −16.7% y/y
        "fine": _ent("330203", "95", "95", "95"),
        "edge": _ent("330203", "100", "100", "90"),           # exactly 90% and −10%: 90% is not below, −10% is a drop
    }


def test_alerts_levels_and_reasons(plants):
    assert electricity.run_alerts(2023, 10) == 4
    alerts = {a.enterprise_id: a for a in ElectricityAlert.objects.all()}
    red = alerts[plants["red"].pk]
    assert (red.level, red.baseline_pct, red.yoy_pct, red.below_baseline, red.yoy_drop) == (
        "red", Decimal("80.0"), Decimal("-20.0"), True, True)
    assert (alerts[plants["baseline"].pk].level, alerts[plants["baseline"].pk].yoy_drop) == ("yellow", False)
    assert (alerts[plants["yoy"].pk].level, alerts[plants["yoy"].pk].below_baseline) == ("yellow", False)
    assert plants["fine"].pk not in alerts
    assert (alerts[plants["edge"].pk].below_baseline, alerts[plants["edge"].pk].yoy_drop) == (False, True)
    assert electricity.run_alerts(2023, 10) == 4 and ElectricityAlert.objects.count() == 4   # a rerun replaces


def test_alerts_grouped_by_region_and_industry(plants):
    electricity.run_alerts(2023, 10)
    by_region = {r["region"]: (r["n"], r["red"]) for r in electricity.by_region(ElectricityAlert.objects.all())}
    assert by_region == {"330106": (2, 1), "330203": (2, 0)}
    by_industry = {r["industry__code"]: r["n"] for r in electricity.by_industry(ElectricityAlert.objects.all())}
    assert by_industry == {"3973": 3, "2761": 1}


def test_divergence_beyond_threshold(db):
    record_values([figure("industrial_electricity", "330100", 2023, 10, "10.0"),
                   figure("above_scale_value_added", "330100", 2023, 10, "3.0"),
                   figure("industrial_electricity", "330200", 2023, 10, "5.0"),
                   figure("above_scale_value_added", "330200", 2023, 10, "4.0")], source="测试")
    rows = electricity.divergence(2023, 10, list(Region.objects.filter(pk__in=["330100", "330200"])))
    assert [(d.region.code, d.gap, d.diverges) for d in rows] == [
        ("330100", Decimal("7.0"), True), ("330200", Decimal("1.0"), False)]


def test_fit_recovers_a_known_slope():
    xs = [float(x) for x in range(-5, 15)]
    fit = electricity.fit_line(xs, [1.0 + 0.8 * x for x in xs])
    assert fit is not None
    assert fit.slope == pytest.approx(0.8) and fit.intercept == pytest.approx(1.0)
    assert electricity.fit_line([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


def test_nowcast_on_a_synthetic_series(db):
    figs = []
    x_of = {}
    for i, (y, m) in enumerate((y, m) for y in (2022, 2023) for m in range(1, 13)):
        x = (i * 7 % 13) - 3.0  # electricity growth varies month to month
        x_of[(y, m)] = x
        figs.append(figure("industrial_electricity", "330100", y, m, None, yoy_pct=str(x)))
        if (y, m) != (2023, 12):  # this month's value added is not out yet
            figs.append(figure("above_scale_value_added", "330100", y, m, None, yoy_pct=str(2.0 + 0.5 * x)))
    record_values(figs, source="测试")
    [result] = electricity.nowcasts(2023, 12, [Region.objects.get(pk="330100")])
    assert result.fit is not None and result.fit.slope == pytest.approx(0.5) and result.fit.intercept == pytest.approx(2.0)
    assert result.n_train == 23 - 6 and len(result.holdout) == 6
    assert result.holdout_mae == pytest.approx(0.0, abs=1e-9)
    assert result.estimate == pytest.approx(2.0 + 0.5 * x_of[(2023, 12)])
    assert result.actual is None


def test_electricity_page_and_api_scoped(client, plants, officers):
    electricity.run_alerts(2023, 10)
    client.force_login(officers["county"])   # 西湖区
    html = client.get("/monitoring/electricity/?period=2023-10").content.decode()
    assert plants["red"].name in html and plants["yoy"].name not in html
    client.force_login(officers["province"])
    html = client.get("/monitoring/electricity/?period=2023-10").content.decode()
    assert plants["red"].name in html and plants["yoy"].name in html


@pytest.mark.urls("tests.monitoring.api_urls")
def test_api_alerts_scoped(client, plants, officers):
    electricity.run_alerts(2023, 10)
    client.force_login(officers["other_county"])   # 北仑区: the 宁波 alerts are in 海曙区 (330203), not here
    assert client.get("/api-monitoring/monitoring/electricity-alerts/").json()["results"] == []
    client.force_login(officers["county"])
    rows = client.get("/api-monitoring/monitoring/electricity-alerts/").json()["results"]
    assert {r["enterprise"] for r in rows} == {plants["red"].pk, plants["baseline"].pk}
