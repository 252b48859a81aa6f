"""The API filters enterprises with the pages' EnterpriseFilter: same parameters, same results, within scope."""

import pytest

from industrybrain.registry.models import Enterprise
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(roles, xihu_enterprise, other_enterprises, city_enterprise):
    factories.yearly_fact(xihu_enterprise, 2023, revenue=30000, main_business_revenue=25000, staff=400)  # 规上, 中型
    factories.yearly_fact(city_enterprise, 2023, revenue=500, main_business_revenue=480, staff=15)  # 规下, 小/微
    return {"xihu": xihu_enterprise, "xiaoshan": city_enterprise, "ningbo": other_enterprises[0],
            "longgang": other_enterprises[1], "pudong": other_enterprises[2]}


def names(client, **params):
    response = client.get("/api/enterprises/", {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_region_filter_takes_the_subtree(roles, world, api_as):
    client = api_as(roles["province"])
    assert names(client, region="330100") == {"西湖芯片有限公司", "萧山电池有限公司"}
    assert names(client, region="330106") == {"西湖芯片有限公司"}
    assert names(client, region="330000") == {"西湖芯片有限公司", "萧山电池有限公司", "宁波生物药业有限公司",
                                              "龙港纺织有限公司"}


def test_region_filter_cannot_widen_the_scope(roles, world, api_as):
    client = api_as(roles["county"])
    response = client.get("/api/enterprises/", {"region": "330100"})
    assert response.status_code == 400
    assert "不在您的管辖范围内" in response.json()["region"][0]
    response = api_as(roles["city"]).get("/api/enterprises/", {"region": "310000"})
    assert response.status_code == 400


def test_industry_filter_by_code_prefix_or_section(roles, world, api_as):
    client = api_as(roles["admin"])
    assert names(client, industry="3973") == {"西湖芯片有限公司"}
    assert names(client, industry="39") == {"西湖芯片有限公司"}
    assert names(client, industry="38") == {"萧山电池有限公司"}
    assert names(client, industry="C") == {e.name for e in Enterprise.objects.all()}
    assert client.get("/api/enterprises/", {"industry": "ZZ"}).status_code == 400


def test_above_scale_and_size_class(roles, world, api_as):
    client = api_as(roles["city"])
    assert names(client, above_scale="true") == {"西湖芯片有限公司"}
    assert names(client, above_scale="false") == {"萧山电池有限公司"}
    xihu = world["xihu"]
    xihu.refresh_from_db()
    assert names(client, size_class=xihu.size_class) == {"西湖芯片有限公司"}


def test_q_searches_name_and_uscc_prefix_within_scope(roles, world, api_as):
    client = api_as(roles["city"])
    assert names(client, q="萧山") == {"萧山电池有限公司"}
    assert names(client, q=world["xihu"].uscc[:12]) == {"西湖芯片有限公司"}
    assert names(client, q="宁波") == set()  # exists, but outside 杭州
    assert names(client, q=world["ningbo"].uscc) == set()


def test_sort(roles, world, api_as):
    client = api_as(roles["admin"])
    default = [r["uscc"] for r in client.get("/api/enterprises/").json()["results"]]
    assert default == sorted(default)
    by_uscc = [r["uscc"] for r in client.get("/api/enterprises/", {"sort": "-uscc"}).json()["results"]]
    assert by_uscc == sorted(by_uscc, reverse=True)


def test_pagination(roles, world, api_as):
    client = api_as(roles["admin"])
    first = client.get("/api/enterprises/", {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
