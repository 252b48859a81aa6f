"""Reference data over the API: GB/T 2260 regions, GB/T 4754 industries, industry systems."""

import pytest

from industrybrain.core.models import Industry, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(roles, api_as):
    return api_as(roles["enterprise"])  # reference data is readable by every signed-in role


def rows(client, url, **params):
    response = client.get(url, {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_regions_filter_by_parent_and_level_and_search(client):
    counties = rows(client, "/api/regions/", parent="330100")
    assert {r["code"] for r in counties} == set(Region.objects.filter(parent="330100").values_list("code", flat=True))
    assert {"330106", "330109"} <= {r["code"] for r in counties}
    cities = rows(client, "/api/regions/", level=2)
    assert all(r["level"] == 2 and r["level_display"] == "地市级" for r in cities)
    assert [r["name"] for r in rows(client, "/api/regions/", search="西湖")] == ["西湖区"]
    xihu = client.get("/api/regions/330106/").json()
    assert xihu["full_name"] == "浙江省杭州市西湖区"
    assert xihu["parent"] == "330100"


def test_industries_filter_by_level_section_parent_and_code_prefix(client):
    sections = rows(client, "/api/industries/", level=1)
    assert len(sections) == Industry.objects.filter(level=1).count() == 20
    manufacturing = rows(client, "/api/industries/", section="C", level=2)
    assert {r["code"] for r in manufacturing} >= {"13", "39"}
    assert all(r["section"] == "C" for r in manufacturing)
    assert all(r["code"].startswith("39") for r in rows(client, "/api/industries/", search="39"))
    children = [r["code"] for r in rows(client, "/api/industries/", parent="397")]
    assert "3973" in children and all(len(c) == 4 and c.startswith("397") for c in children)
    assert client.get("/api/industries/3973/").json()["name"] == "集成电路制造"


def test_industry_systems_and_categories(client):
    systems = {s["code"]: s for s in rows(client, "/api/industry-systems/")}
    assert "sh-3-6" in systems
    assert "sh-ic" in systems["sh-3-6"]["categories"]
    ic = client.get("/api/industry-categories/sh-ic/").json()
    assert ic["system"] == "sh-3-6"
    assert ic["kind"] == "leading" and ic["kind_display"] == "先导产业"
    assert set(ic["industries"]) == {"3973", "6520", "3562", "3985"}
    leading = rows(client, "/api/industry-categories/", system="sh-3-6", kind="leading")
    assert {c["code"] for c in leading} == {"sh-ic", "sh-biomed", "sh-ai"}


def test_reference_data_is_read_only(roles, api_as):
    client = api_as(roles["admin"])
    assert client.post("/api/regions/", {"code": "999999", "name": "x", "level": 3}).status_code == 405
    assert client.delete("/api/industries/3973/").status_code == 405
