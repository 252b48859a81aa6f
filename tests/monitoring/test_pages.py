"""Cockpit, plans and the demo hook: pages render for officers, scoped; nobody else sees them."""

from __future__ import annotations

import json
import re

import pytest

from industrybrain.demo.build import DemoContext
from industrybrain.indicators import demo_data as indicators_demo
from industrybrain.monitoring import demo_data
from industrybrain.monitoring.models import PublishedBoard, RegionPlan, TriggerHit, WarningLetter


def test_cockpit_for_officers_only(client, city_board, officers):
    client.force_login(officers["province"])
    response = client.get("/monitoring/?indicator=above_scale_value_added&level=city")
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in html and 'data-testid="headline-cards"' in html
    data = json.loads(re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    hz = next(p for p in data["points"] if p["code"] == "330100")
    assert hz["value"][2] == 6.0 and hz["url"].startswith("/monitoring/bulletin/?region=330100")
    client.force_login(officers["county"])
    html = client.get("/monitoring/?indicator=above_scale_value_added&level=city").content.decode()
    data = json.loads(re.search(r'<script id="map-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert all(p["url"] == "" for p in data["points"])  # a 西湖区 officer sees the map, clicks nothing outside
    client.force_login(officers["enterprise"])
    assert client.get("/monitoring/").status_code == 404


def test_region_plan_edit_scoped(client, officers):
    client.force_login(officers["county"])
    response = client.post("/monitoring/plans/330106/", {"year": "2023", "targets": "增速8%", "measures": "技改",
                                                          "responsible_leader": "张副区长"})
    assert response.status_code == 302
    assert RegionPlan.objects.get(region_id="330106", year=2023).responsible_leader == "张副区长"
    assert client.post("/monitoring/plans/330206/", {"year": "2023", "targets": "x"}).status_code == 404
    assert "张副区长" in client.get("/monitoring/plans/").content.decode()
    client.force_login(officers["other_county"])
    assert "张副区长" not in client.get("/monitoring/plans/").content.decode()


@pytest.mark.slow
def test_demo_hook_populates_the_pages(client, db, officers):
    indicators_demo.build(DemoContext(enterprises=300, seed=2023))
    summary = demo_data.build(DemoContext(enterprises=300, seed=2023))
    assert "2023-12" in summary
    assert TriggerHit.objects.filter(year=2023, month=12).exists()
    assert WarningLetter.objects.count() == 6
    assert WarningLetter.objects.filter(state="issued").exists()
    assert PublishedBoard.objects.filter(year=2023, month=12, indicator__code="above_scale_value_added").count() == 2
    client.force_login(officers["province"])
    for url in ("/monitoring/", "/monitoring/board/", "/monitoring/letters/", "/monitoring/triggers/",
                "/monitoring/electricity/", "/monitoring/plans/"):
        assert client.get(url).status_code == 200, url
    assert 'data-testid="board-published"' in client.get(
        "/monitoring/board/?indicator=above_scale_value_added&period=2023-12&level=county").content.decode()
    demo_data.clear()
    assert not WarningLetter.objects.exists() and not PublishedBoard.objects.exists()


def test_cockpit_counts_the_project_alerts_the_officer_may_see(client, officers):
    import datetime as dt

    from industrybrain.projects import alerts
    from tests.projects.conftest import make_project

    late = make_project("330106", name="西湖逾期拿地项目")
    late.planned_land_acquired = dt.date(2026, 3, 1)
    late.save()
    foreign = make_project("330203", name="宁波逾期拿地项目")
    foreign.planned_land_acquired = dt.date(2026, 3, 1)
    foreign.save()
    alerts.run_checks(dt.date(2026, 6, 1), notify=False)
    client.force_login(officers["county"])
    html = client.get("/monitoring/").content.decode()
    count = re.search(r'data-testid="project-alerts">[^<]*?(\d+)</a>', html)
    assert count and count.group(1) == "1"
    client.force_login(officers["province"])
    html = client.get("/monitoring/").content.decode()
    assert re.search(r'data-testid="project-alerts">[^<]*?(\d+)</a>', html).group(1) == "2"


def test_cockpit_shows_burden_relief_in_scope(client, officers):
    from decimal import Decimal

    from industrybrain.policies.models import TaxKind, TaxReduction
    from tests import factories

    kind = TaxKind.RD_DEDUCTION
    for code, amount in (("330106", "12000"), ("330203", "30000")):
        TaxReduction.objects.create(enterprise=factories.enterprise(code), year=2023, tax_kind=kind,
                                    item="研发费用加计扣除", amount=Decimal(amount))
    client.force_login(officers["county"])  # 西湖区: only its own enterprise's 1.2 亿元
    html = client.get("/monitoring/").content.decode()
    assert "合计 1.20 亿元，惠及 1 家企业" in html and "2023年：拨付 0 万元，减税降费 12000 万元" in html
    client.force_login(officers["province"])
    assert "合计 4.20 亿元，惠及 2 家企业" in client.get("/monitoring/").content.decode()
