"""指标晾晒: peer groups, competition ranks, rank change, traffic lights (incl. lower-is-better), exports, CLI."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from docx import Document

from industrybrain.indicators.models import Aggregation, Direction, Indicator, IndicatorTarget
from industrybrain.indicators.services import Figure, record_values
from industrybrain.monitoring import rankings
from industrybrain.monitoring.models import MonitoringConfig
from industrybrain.monitoring.rankings import (
    GREEN,
    RED,
    YELLOW,
    build_board,
    competition_ranks,
    traffic_light,
)
from tests import factories


def test_competition_ranks_share_ties_and_skip():
    values = {"a": Decimal("6"), "b": Decimal("5"), "c": Decimal("5"), "d": Decimal("4"), "e": None}
    assert competition_ranks(values, Direction.HIGHER_BETTER) == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert competition_ranks(values, Direction.LOWER_BETTER) == {"d": 1, "b": 2, "c": 2, "a": 4}


def test_traffic_light_rule():
    assert traffic_light(True, True) == GREEN
    assert traffic_light(True, False) == YELLOW
    assert traffic_light(False, True) == YELLOW
    assert traffic_light(False, False) == RED
    assert traffic_light(True, None) == GREEN   # no target: the average alone
    assert traffic_light(False, None) == RED
    assert traffic_light(None, None) == ""


def test_city_board_ranks_changes_and_lights(city_board):
    board = build_board(city_board, 2023, 10, "city", "330000")
    assert board.previous == (2023, 9)
    assert board.province_value == Decimal("5.0")
    got = {r.code: (r.rank, r.previous_rank, r.rank_change, r.status) for r in board.rows if r.value is not None}
    assert got == {
        "330100": (1, 3, 2, YELLOW),   # above average, below its 7.0% target
        "330200": (2, 1, -1, GREEN),   # at the average (ties meet it), above its 4.5% target
        "330300": (2, 2, 0, GREEN),    # no target: the average alone
        "330400": (4, 4, 0, RED),      # below both
    }
    assert {r.group for r in board.rows} == {"设区市"}
    assert all(r.rank is None for r in board.rows if r.value is None)  # cities without figures are unranked, last
    assert [r.code for r in board.rows[:4]] == ["330100", "330200", "330300", "330400"]


def test_lower_is_better_reverses_ranks_and_lights(db):
    ind = Indicator.objects.create(code="energy_per_output", name="单位增加值能耗", unit="吨标煤/万元",
                                   aggregation=Aggregation.RATIO, direction=Direction.LOWER_BETTER)
    figs = [Figure(indicator_id=ind.pk, region_id=c, year=2023, month=10, ytd_value=Decimal(v))
            for c, v in (("330000", "0.50"), ("330100", "0.40"), ("330200", "0.55"), ("330300", "0.45"))]
    record_values(figs, source="测试")
    IndicatorTarget.objects.create(indicator=ind, region_id="330300", year=2023, target_value=Decimal("0.42"))
    IndicatorTarget.objects.create(indicator=ind, region_id="330200", year=2023, target_value=Decimal("0.60"))
    board = build_board(ind, 2023, 10, "city", "330000")
    got = {r.code: (r.rank, r.status) for r in board.rows if r.value is not None}
    assert got == {"330100": (1, GREEN), "330300": (2, YELLOW), "330200": (3, YELLOW)}


def _county_output(region: str, yi: int) -> None:
    ent = factories.enterprise(region, "3973")
    factories.yearly_fact(ent, year=2022, industrial_output=Decimal(yi) * 10000)


def test_county_peer_groups_mountain_and_size_tiers(db):
    _county_output("330106", 1200)   # 西湖区 ≥1000亿
    _county_output("330109", 600)    # 萧山区 500–1000亿
    _county_output("330127", 1500)   # 淳安县 is 山区26县 whatever its size
    groups = rankings.peer_groups(rankings.Region.objects.get(pk="330000"), "county", 2023)
    assert groups["330106"].startswith("第一档")
    assert groups["330109"].startswith("第二档")
    assert groups["330110"].startswith("第三档")  # 余杭区: no 规上 output recorded
    assert groups["330127"] == "山区26县"
    assert sum(1 for g in groups.values() if g == "山区26县") == 26
    config = MonitoringConfig.get()
    config.tier_high_yi = Decimal(2000)
    config.save()
    assert rankings.peer_groups(rankings.Region.objects.get(pk="330000"), "county", 2023)["330106"].startswith("第二档")


def test_counties_ranked_within_their_group(db):
    _county_output("330106", 1200)
    _county_output("330108", 1100)
    va = Indicator.objects.get(code="above_scale_value_added")
    figs = [Figure(indicator_id=va.pk, region_id=c, year=2023, month=10, ytd_yoy_pct=Decimal(v))
            for c, v in (("330106", "3.0"), ("330108", "4.0"), ("330127", "2.0"), ("330110", "9.0"))]
    record_values(figs, source="测试")
    board = build_board(va, 2023, 10, "county", "330000")
    assert board.average_source == "mean"  # no province figure: the mean of the ranked regions
    row = {r.code: r for r in board.rows}
    assert (row["330108"].rank, row["330106"].rank, row["330106"].group_size) == (1, 2, 2)
    assert (row["330127"].rank, row["330127"].group_size) == (1, 1)     # alone in 山区26县 with a figure
    assert row["330110"].rank == 1 and row["330110"].group.startswith("第三档")
    assert [g for g, _ in board.groups()][-1] == "山区26县"


def test_board_page_published_but_detail_links_only_in_scope(client, city_board, officers):
    client.force_login(officers["county"])
    response = client.get("/monitoring/board/?indicator=above_scale_value_added&period=2023-10&level=city")
    assert response.status_code == 200
    html = response.content.decode()
    assert "宁波市" in html and "杭州市" in html
    assert "?region=330200" not in html          # not clickable for a 西湖区 officer
    client.force_login(officers["city"])
    html = client.get("/monitoring/board/?indicator=above_scale_value_added&period=2023-10&level=city").content.decode()
    assert "?region=330100&amp;period=2023-10" in html or "?region=330100&period=2023-10" in html
    client.force_login(officers["enterprise"])
    assert client.get("/monitoring/board/").status_code == 404


def test_board_exports(client, city_board, officers):
    client.force_login(officers["province"])
    q = "?indicator=above_scale_value_added&period=2023-10&level=city"
    response = client.get("/monitoring/board/xlsx/" + q)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("比较组", "排名", "地区", "区划代码", "数值")
    assert rows[1][1:5] == (1, "杭州市", "330100", "6.0") and rows[1][6] == "+2"
    response = client.get("/monitoring/board/docx/" + q)
    text = "\n".join(c.text for t in Document(io.BytesIO(response.content)).tables for r in t.rows for c in r.cells)
    assert "杭州市" in text and "+2" in text and "黄" in text


def test_cli_prints_the_board(city_board):
    out = io.StringIO()
    call_command("ib_rankings", "--indicator", "above_scale_value_added", "--period", "2023-10", "--level", "city",
                 stdout=out)
    text = out.getvalue()
    assert "【设区市】" in text
    assert "1\t杭州市\t6.0\t↑2\t黄" in text
    assert "2\t宁波市\t5.0\t↓1\t绿" in text


@pytest.mark.urls("tests.monitoring.api_urls")
@pytest.mark.parametrize("level", ["city", "county"])
def test_api_rankings(client, city_board, officers, level):
    client.force_login(officers["county"])
    data = client.get(f"/api-monitoring/monitoring/rankings/?indicator=above_scale_value_added&period=2023-10&level={level}").json()
    assert data["period"] == "2023-10"
    if level == "city":
        first = data["rows"][0]
        assert (first["region"], first["rank"], first["rank_change"], first["status"]) == ("330100", 1, 2, "yellow")
        assert first["detail_visible"] is False


def test_size_tier_labels_show_the_thresholds_without_trailing_zeros(db):
    config = MonitoringConfig.get()
    config.refresh_from_db()  # DecimalField values as stored: Decimal("1000.00"), Decimal("500.00")
    assert rankings.size_tier(Decimal("1200"), config) == "第一档（≥1000亿元）"
    assert rankings.size_tier(Decimal("500"), config) == "第二档（500–1000亿元）"
    assert rankings.size_tier(None, config) == "第三档（<500亿元）"
