"""For every role, the API shows exactly the rows `core.access.scope` allows and 404s the rest."""

import pytest

from industrybrain.core.access import scope
from industrybrain.registry.models import Enterprise, MonthlyFact, YearlyFact
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["province", "city", "county", "reviewer", "steward", "enterprise", "admin"]


@pytest.fixture
def world(roles, xihu_enterprise, other_enterprises, city_enterprise):
    everyone = [xihu_enterprise, city_enterprise, *other_enterprises]
    for ent in everyone:
        factories.yearly_fact(ent, 2022)
        factories.yearly_fact(ent, 2023)
        for month in (1, 2):
            MonthlyFact.objects.create(enterprise=ent, year=2024, month=month, output=100)
    return everyone


def all_ids(client, url):
    ids, page = [], url + ("&" if "?" in url else "?") + "page_size=500"
    while page:
        response = client.get(page)
        assert response.status_code == 200, response.content
        ids += [row["id"] for row in response.json()["results"]]
        page = response.json()["next"]
    return ids


@pytest.mark.parametrize("role", ROLES)
def test_enterprise_list_is_exactly_the_scope(role, roles, world, api_as):
    user = roles[role]
    expected = set(scope(user, Enterprise.objects.all()).values_list("id", flat=True))
    ids = all_ids(api_as(user), "/api/enterprises/")
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert expected  # every role sees at least its own enterprise in this world


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url", "model"), [("/api/yearly-facts/", YearlyFact), ("/api/monthly-facts/", MonthlyFact)])
def test_fact_lists_are_exactly_the_scope(role, url, model, roles, world, api_as):
    user = roles[role]
    expected = set(scope(user, model.objects.all()).values_list("id", flat=True))
    assert set(all_ids(api_as(user), url)) == expected


@pytest.mark.parametrize("role", ROLES)
def test_out_of_scope_enterprise_is_404_everywhere(role, roles, world, api_as):
    user = roles[role]
    client = api_as(user)
    visible = set(scope(user, Enterprise.objects.all()).values_list("id", flat=True))
    for ent in world:
        urls = [f"/api/enterprises/{ent.pk}/", f"/api/enterprises/{ent.pk}/yearly-facts/",
                f"/api/enterprises/{ent.pk}/monthly-facts/"]
        urls += [f"/api/yearly-facts/{fact.pk}/" for fact in ent.yearly_facts.all()]
        urls += [f"/api/monthly-facts/{fact.pk}/" for fact in ent.monthly_facts.all()]
        for url in urls:
            expected = 200 if ent.pk in visible else 404
            assert client.get(url).status_code == expected, (role, url)


@pytest.mark.parametrize("role", ["city", "county", "steward", "enterprise"])
def test_filtering_facts_by_a_foreign_enterprise_gives_nothing(role, roles, world, other_enterprises, api_as):
    client = api_as(roles[role])
    ningbo = other_enterprises[0]
    for url in ("/api/yearly-facts/", "/api/monthly-facts/"):
        response = client.get(url, {"enterprise": ningbo.pk})
        assert response.status_code == 200
        assert response.json()["count"] == 0


def test_unknown_enterprise_is_404_like_a_foreign_one(roles, api_as):
    assert api_as(roles["province"]).get("/api/enterprises/999999/").status_code == 404
    assert api_as(roles["province"]).get("/api/enterprises/999999/yearly-facts/").status_code == 404


def test_inactive_user_sees_nothing(roles, world, api_as):
    county = roles["county"]
    client = api_as(county)
    county.is_active = False
    county.save()
    # Session of a deactivated user no longer authenticates.
    assert client.get("/api/enterprises/").status_code in (401, 403)


@pytest.mark.parametrize("url", [
    "/api/enterprises/", "/api/yearly-facts/", "/api/monthly-facts/", "/api/regions/", "/api/industries/",
    "/api/industry-systems/", "/api/industry-categories/", "/api/enterprises/1/",
])
def test_anonymous_is_refused(url, api, xihu_enterprise):
    response = api.get(url)
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


def test_facts_carry_the_source_of_every_value(roles, xihu_enterprise, api_as):
    fact = factories.yearly_fact(xihu_enterprise, 2023, source="统计局年报")
    fact.record_field_source(["rd_expense"], "税务局", "2024-05-31T00:00:00+08:00")
    fact.save()
    data = api_as(roles["county"]).get(f"/api/enterprises/{xihu_enterprise.pk}/yearly-facts/").json()
    row = data["results"][0]
    assert row["year"] == 2023
    assert row["revenue"] == "5000.00"
    assert row["sources"]["revenue"]["source"] == "统计局年报"
    assert row["sources"]["rd_expense"] == {"source": "税务局", "at": "2024-05-31T00:00:00+08:00"}
    assert set(row["sources"]) >= {"revenue", "staff", "energy_use"}


def test_monthly_facts_in_order_with_sources(roles, xihu_enterprise, api_as):
    for month in (3, 1, 2):
        MonthlyFact.objects.create(enterprise=xihu_enterprise, year=2024, month=month, output=10 * month,
                                   source="电力公司")
    rows = api_as(roles["steward"]).get(f"/api/enterprises/{xihu_enterprise.pk}/monthly-facts/").json()["results"]
    assert [r["month"] for r in rows] == [1, 2, 3]
    assert rows[0]["sources"]["electricity"]["source"] == "电力公司"


@pytest.mark.parametrize("role", ROLES)
def test_daily_electricity_is_scoped_and_asks_for_an_enterprise(role, roles, world, api_as):
    import datetime as dt

    from industrybrain.registry.models import DailyElectricity

    for ent in world:
        for day in (1, 2):
            DailyElectricity.objects.create(enterprise=ent, day=dt.date(2023, 12, day), electricity=5)
    user = roles[role]
    client = api_as(user)
    response = client.get("/api/daily-electricity/")
    assert response.status_code == 400 and "企业" in response.json()["enterprise"][0]
    visible = set(scope(user, Enterprise.objects.all()).values_list("id", flat=True))
    for ent in world:
        rows = all_ids(client, f"/api/daily-electricity/?enterprise={ent.pk}&day_from=2023-12-02")
        assert len(rows) == (1 if ent.pk in visible else 0), (role, ent.pk)
        reading = DailyElectricity.objects.filter(enterprise=ent).first()
        assert client.get(f"/api/daily-electricity/{reading.pk}/").status_code == (200 if ent.pk in visible else 404)
