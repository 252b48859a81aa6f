"""Pages and their scope: a county officer sees only its county's pool and certificates; an enterprise user
only its own tier page and self-assessment; everything else is a 404."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from industrybrain.cultivation import services
from industrybrain.registry.models import Certification
from tests.cultivation.conftest import AS_OF
from tests.cultivation.test_gaps import RD_SHORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(maker, roles):
    """Pool members in 西湖区 (the county's), 萧山区 (same city) and 浦东 (another province)."""
    xihu = maker(RD_SHORT, region="330106", name="西湖后备企业")
    xiaoshan = maker(RD_SHORT, region="330109", name="萧山后备企业")
    pudong = maker(RD_SHORT, region="310115", name="浦东后备企业")
    for ent in (xihu, xiaoshan, pudong):
        Certification.objects.create(enterprise=ent, kind="innovative_sme", name="创新型中小企业", level="省级",
                                     issued_on=dt.date(2023, 9, 1), valid_until=dt.date(2026, 8, 31))
    services.start_run(roles["province"], "srdi_sme", AS_OF)
    return {"xihu": xihu, "xiaoshan": xiaoshan, "pudong": pudong}


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def xlsx(response) -> str:
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return "\n".join(str(c) for s in book.worksheets for r in s.iter_rows(values_only=True) for c in r if c)


def test_every_page_renders_for_the_province(world, roles):
    client = login(roles["province"])
    html = text(client.get(reverse("cultivation:ladder")))
    assert "西湖后备企业" not in html and "专精特新中小企业" in html
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme"))
    assert "西湖后备企业" in html and "萧山后备企业" in html and "浦东后备企业" not in html
    assert "研发费用占比 2.6%，差 0.4 个百分点" in html
    html = text(client.get(reverse("cultivation:enterprise-tiers", args=[world["xihu"].uscc])))
    assert "研发费用占比 2.6%，差 0.4 个百分点" in html and "待人工确认" in html and "附件2" in html
    assert "已确认" in html
    html = text(client.get(reverse("cultivation:certification-list")))
    assert "西湖后备企业" in html and "浦东后备企业" not in html
    text(client.get(reverse("cultivation:certification-expiring")))
    text(client.get(reverse("cultivation:run-list")))


def test_county_sees_only_its_county(world, roles):
    client = login(roles["county"])
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme"))
    assert "西湖后备企业" in html and "萧山后备企业" not in html and "浦东后备企业" not in html
    html = text(client.get(reverse("cultivation:certification-list")))
    assert "西湖后备企业" in html and "萧山后备企业" not in html
    assert "萧山后备企业" not in xlsx(client.get(reverse("cultivation:pool-export") + "?tier=srdi_sme"))
    assert "萧山后备企业" not in xlsx(client.get(reverse("cultivation:certification-export")))
    assert "西湖后备企业" in xlsx(client.get(reverse("cultivation:pool-export") + "?tier=srdi_sme"))
    # a region filter outside the county does not widen the scope
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme&region=330109"))
    assert "萧山后备企业" not in html
    assert client.get(reverse("cultivation:enterprise-tiers", args=[world["xiaoshan"].uscc])).status_code == 404
    assert client.get(reverse("cultivation:enterprise-tiers", args=[world["xihu"].uscc])).status_code == 200


def test_city_sees_its_counties(world, roles):
    html = text(login(roles["city"]).get(reverse("cultivation:pool") + "?tier=srdi_sme"))
    assert "西湖后备企业" in html and "萧山后备企业" in html and "浦东后备企业" not in html


def test_enterprise_user_sees_only_its_own(world, roles, xihu_enterprise):
    user = roles["enterprise"]
    user.enterprise = world["xihu"]
    user.save()
    client = login(user)
    html = text(client.get(reverse("cultivation:self-assessment")))
    assert "西湖后备企业" in html and "改进方向" in html and "研发费用占比 2.6%，差 0.4 个百分点" in html
    assert client.get(reverse("cultivation:enterprise-tiers", args=[world["xihu"].uscc])).status_code == 200
    for other in ("xiaoshan", "pudong"):
        assert client.get(reverse("cultivation:enterprise-tiers", args=[world[other].uscc])).status_code == 404
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme"))
    assert "萧山后备企业" not in html
    html = text(client.get(reverse("cultivation:certification-list")))
    assert "萧山后备企业" not in html and "西湖后备企业" in html


def test_self_assessment_is_only_for_enterprise_users(world, roles):
    for role in ("province", "county", "steward", "admin"):
        assert login(roles[role]).get(reverse("cultivation:self-assessment")).status_code == 404


def test_steward_sees_assigned_enterprises_only(world, roles):
    world["xihu"].steward = roles["steward"]
    world["xihu"].save()
    client = login(roles["steward"])
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme"))
    assert "西湖后备企业" in html and "萧山后备企业" not in html
    assert client.get(reverse("cultivation:enterprise-tiers", args=[world["xiaoshan"].uscc])).status_code == 404


def test_pool_export_is_sorted_with_gaps(world, roles):
    content = xlsx(login(roles["province"]).get(reverse("cultivation:pool-export") + "?tier=srdi_sme"))
    assert "研发费用占比 2.6%，差 0.4 个百分点" in content and "统一社会信用代码" in content
    assert "浦东后备企业" not in content


def test_pool_filters(world, roles):
    client = login(roles["province"])
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme&region=330109"))
    assert "萧山后备企业" in html and "西湖后备企业" not in html
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme&industry=39"))
    assert "西湖后备企业" in html
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme&industry=13"))
    assert "西湖后备企业" not in html
    html = text(client.get(reverse("cultivation:pool") + "?tier=srdi_sme&failed=2"))
    assert "西湖后备企业" not in html


def test_ladder_counts(world, roles):
    data_html = text(login(roles["county"]).get(reverse("cultivation:ladder")))
    assert 'data-tier="innovative_sme"' in data_html
    from industrybrain.cultivation import figures
    rows = {r["tier"].code: r for r in figures.ladder(roles["county"], dt.date(2024, 1, 1))["rows"]}
    assert rows["innovative_sme"]["certified"] == 1
    assert rows["srdi_sme"]["pool"] == 1
    rows = {r["tier"].code: r for r in figures.ladder(roles["province"], dt.date(2024, 1, 1))["rows"]}
    assert rows["innovative_sme"]["certified"] == 2 and rows["srdi_sme"]["pool"] == 2
