"""The cockpit's schematic map: green is always "good" — the colour scale reverses for lower-is-better
indicators, and the legend says so; lower-is-better triggers and ranks follow the direction."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from industrybrain.indicators.models import Aggregation, Direction, Indicator
from industrybrain.indicators.services import Figure, record_values
from industrybrain.monitoring import views
from industrybrain.monitoring.models import Level, TriggerRule
from industrybrain.monitoring.rankings import build_board
from industrybrain.monitoring.triggers import preview

ENERGY = {"330100": "0.40", "330200": "0.55", "330300": "0.50", "330400": "0.70"}  # 吨标煤/万元, lower is better


@pytest.fixture
def energy(db):
    indicator = Indicator.objects.create(code="energy_intensity", name="单位工业增加值能耗", unit="吨标煤/万元",
                                         aggregation=Aggregation.RATIO, direction=Direction.LOWER_BETTER)
    figures = [Figure(indicator_id=indicator.pk, region_id=code, year=2023, month=m, ytd_value=Decimal(v) + d)
               for code, v in ENERGY.items() for m, d in ((9, Decimal("0.01")), (10, Decimal(0)))]
    record_values(figures, source="测试")
    return indicator


def _map(html: str) -> dict:
    return json.loads(re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S).group(1))


def test_lower_is_better_reverses_the_scale_and_says_so(client, city_board, energy, officers):
    client.force_login(officers["province"])
    low = _map(client.get("/monitoring/?indicator=energy_intensity&level=city").content.decode())
    high = _map(client.get("/monitoring/?indicator=above_scale_value_added&level=city").content.decode())
    # ECharts runs inRange colours from the minimum to the maximum: green must sit at the "good" end
    assert high["colors"] == [views.BAD, views.MIDDLE, views.GOOD] and high["lower_is_better"] is False
    assert low["colors"] == [views.GOOD, views.MIDDLE, views.BAD] and low["lower_is_better"] is True
    assert low["legend"] == ["高（较差）", "低（较好）"] and high["legend"] == ["高（较好）", "低（较差）"]
    html = client.get("/monitoring/?indicator=energy_intensity&level=city").content.decode()
    legend = html.split('data-testid="map-legend"')[1].split("</p>")[0]
    assert "越低越好" in legend and "色阶已反向" in legend and "单位工业增加值能耗" in legend


def test_lower_is_better_board_and_triggers(energy):
    board = build_board(energy, 2023, 10, Level.CITY, "330000")
    ranked = [(r.code, r.rank) for r in board.rows if r.rank]
    assert ranked == [("330100", 1), ("330300", 2), ("330200", 3), ("330400", 4)]
    # average of the four (no province figure): 0.5375; 温州 0.50 and 杭州 0.40 are better (below it)
    assert board.average_source == "mean" and board.province_value == Decimal("0.5375")
    rule = TriggerRule(name="能耗高于平均", condition="NOT meets_average", consecutive=2)
    assert {h.region.code for h in preview(rule, 2023, 10)} == {"330200", "330400"}
    rule.condition = "lower_is_better AND gap_to_average > 0.1"
    assert {h.region.code for h in preview(rule, 2023, 10)} == {"330400"}
