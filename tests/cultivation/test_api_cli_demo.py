"""API (scoped like the pages), the ib_cultivation command and the demo hook."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from industrybrain.cultivation import demo_data, services
from industrybrain.cultivation.models import CertificationInfo, PoolEntry, TierRun
from industrybrain.registry.models import Certification
from tests.cultivation.conftest import AS_OF
from tests.cultivation.test_gaps import RD_SHORT

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.cultivation.api_urls")]


def rows_of(data):
    """The list whether or not the API paginates."""
    return data["results"] if isinstance(data, dict) else data


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def pool_world(maker, roles):
    xihu = maker(RD_SHORT, region="330106", name="西湖后备企业")
    xiaoshan = maker(RD_SHORT, region="330109", name="萧山后备企业")
    services.start_run(roles["province"], "srdi_sme", AS_OF)
    return {"xihu": xihu, "xiaoshan": xiaoshan}


def test_pool_api_is_scoped_and_sorted(pool_world, roles):
    data = api(roles["county"]).get("/capi/cultivation-pool/?tier=srdi_sme").json()
    names = [row["name"] for row in rows_of(data)]
    assert names == ["西湖后备企业"]
    data = api(roles["city"]).get("/capi/cultivation-pool/?tier=srdi_sme").json()
    rows = rows_of(data)
    assert {r["name"] for r in rows} == {"西湖后备企业", "萧山后备企业"}
    assert rows[0]["gaps"][0]["text"] == "研发费用占比 2.6%，差 0.4 个百分点"


def test_tier_explanation_api(pool_world, roles):
    uscc = pool_world["xihu"].uscc
    data = api(roles["county"]).get(f"/capi/cultivation-tiers/{uscc}/").json()
    srdi = next(t for t in data["tiers"] if t["tier"] == "srdi_sme")
    assert srdi["status"] == "evaluated" and srdi["explanation"]["outcome"] == "fail"
    c2 = next(c for c in srdi["explanation"]["criteria"] if c["id"] == "c2")
    assert c2["result"] == "fail" and c2["gap"] == "研发费用占比 2.6%，差 0.4 个百分点"
    assert {v["code"]: v["value"] for v in c2["values"]}["rd_ratio_last_year"] == pytest.approx(2.6)
    assert api(roles["county"]).get(f"/capi/cultivation-tiers/{pool_world['xiaoshan'].uscc}/").status_code == 404


def test_runs_api(roles, library):
    response = api(roles["county"]).post("/capi/cultivation-runs/", {"tier": "srdi_sme", "as_of": "2023-07-01"})
    assert response.status_code == 403
    response = api(roles["province"]).post("/capi/cultivation-runs/", {"tier": "srdi_sme", "as_of": "2023-07-01"})
    assert response.status_code == 201 and response.json()["status"] == "done"
    uuid = response.json()["uuid"]
    assert api(roles["province"]).get(f"/capi/cultivation-runs/{uuid}/").json()["progress"] == 100
    assert api(roles["county"]).get(f"/capi/cultivation-runs/{uuid}/").status_code == 404
    response = api(roles["province"]).post("/capi/cultivation-runs/", {"tier": "leading_enterprise",
                                                                       "as_of": "2023-07-01"})
    assert response.status_code == 400


def test_certifications_api(roles, xihu_enterprise, city_enterprise):
    for ent in (xihu_enterprise, city_enterprise):
        Certification.objects.create(enterprise=ent, kind="srdi_sme", name="专精特新中小企业", level="省级",
                                     issued_on=dt.date(2022, 12, 1), valid_until=dt.date(2025, 11, 30))
    data = api(roles["county"]).get("/capi/cultivation-certifications/?tier=srdi_sme").json()
    rows = rows_of(data)
    assert [r["enterprise_name"] for r in rows] == ["西湖芯片有限公司"]
    assert rows[0]["tier_display"] == "专精特新中小企业" and rows[0]["review_status"] == "未复核"


def test_cli_evaluate_and_pool(maker, roles):
    maker(RD_SHORT, region="330106", name="西湖后备企业")
    maker(RD_SHORT, region="330109", name="萧山后备企业")
    out = io.StringIO()
    call_command("ib_cultivation", "evaluate", "--tier", "srdi_sme", "--as-of", "2023-07-01", stdout=out)
    assert "专精特新中小企业评价（2023-07-01" in out.getvalue() and "后备库2家" in out.getvalue()
    out = io.StringIO()
    call_command("ib_cultivation", "pool", "--tier", "srdi_sme", "--region", "330106", stdout=out)
    text = out.getvalue()
    assert "共1家" in text and "西湖后备企业" in text and "萧山后备企业" not in text
    assert "研发费用占比 2.6%，差 0.4 个百分点" in text
    with pytest.raises(CommandError, match="未知的梯度层级"):
        call_command("ib_cultivation", "pool", "--tier", "nope")
    with pytest.raises(CommandError, match="尚未评价"):
        call_command("ib_cultivation", "pool", "--tier", "innovative_sme")


def test_cli_alerts(roles, xihu_enterprise):
    Certification.objects.create(enterprise=xihu_enterprise, kind="srdi_sme", name="x", issued_on=dt.date(2021, 11, 20),
                                 valid_until=dt.date(2024, 11, 19))
    out = io.StringIO()
    call_command("ib_cultivation", "alerts", "--as-of", "2024-07-01", stdout=out)
    assert "1个资质，发送通知2条" in out.getvalue()


def test_demo_hook(maker, roles):
    ent = maker(RD_SHORT, name="后备企业")
    Certification.objects.create(enterprise=ent, kind="little_giant", name="x", level="国家级",
                                 issued_on=dt.date(2022, 8, 10), valid_until=dt.date(2025, 8, 9))
    context = SimpleNamespace(enterprises=100, seed=1, last_year=2022)
    message = demo_data.build(context)
    assert "评价日期2023-07-01" in message
    assert TierRun.objects.filter(status="done", tier="srdi_sme").exists()
    assert CertificationInfo.objects.get(certification__kind="little_giant").batch == "第四批"
    demo_data.build(context)  # idempotent
    assert TierRun.objects.filter(tier="srdi_sme").count() == 1
    demo_data.clear()
    assert not TierRun.objects.exists() and not PoolEntry.objects.exists()
    assert not CertificationInfo.objects.exists()
