"""Token and session authentication, login lockout on the token endpoint, and audited, scoped writes."""

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from rest_framework.test import APIClient

from industrybrain.registry.models import Enterprise
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "test-pass-123"


def token_for(username, password=PASSWORD):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password})


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_is_issued_and_authenticates(roles, xihu_enterprise, other_enterprises):
    response = token_for("county")
    assert response.status_code == 200
    client = token_client(response.json()["token"])
    data = client.get("/api/enterprises/").json()
    assert [row["id"] for row in data["results"]] == [xihu_enterprise.pk]
    assert client.get(f"/api/enterprises/{other_enterprises[0].pk}/").status_code == 404


def test_wrong_password_and_bad_token_are_refused(roles):
    assert token_for("county", "wrong-password").status_code == 400
    response = token_client("0" * 40).get("/api/enterprises/")
    assert response.status_code in (401, 403)  # 401 once TokenAuthentication is listed first
    assert "results" not in response.json()


def test_token_endpoint_is_locked_out_by_axes(roles):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token_for("county", "wrong-password").status_code == 400
    assert token_for("county", "wrong-password").status_code == 403  # this failure locks the account
    # Even the right password is refused now, without issuing a token.
    response = token_for("county")
    assert response.status_code == 403
    assert "token" not in response.json()
    assert "锁定" in response.json()["detail"]


def test_session_from_the_login_page_authenticates_the_api(roles, xihu_enterprise):
    client = APIClient()
    response = client.post("/login/", {"username": "province", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/enterprises/").json()["count"] == 1


def valid_payload(region="330106", **extra):
    return {"uscc": factories.uscc_for(region), "name": "新登记智能装备有限公司", "region": region,
            "industry": "3973", "ownership": "private", **extra}


def test_officer_creates_within_region_and_the_write_is_audited(roles):
    key = token_for("county").json()["token"]
    response = token_client(key).post("/api/enterprises/", valid_payload(founded_on="2020-05-01"), format="json")
    assert response.status_code == 201, response.content
    enterprise = Enterprise.objects.get(pk=response.json()["id"])
    assert enterprise.region_id == "330106"
    entry = LogEntry.objects.get_for_object(enterprise).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == roles["county"]  # token auth: the actor is still recorded


def test_create_outside_region_or_with_bad_uscc_is_refused_in_chinese(roles, xihu_enterprise):
    client = APIClient()
    client.force_authenticate(roles["county"])
    response = client.post("/api/enterprises/", valid_payload("330203"), format="json")
    assert response.status_code == 400
    assert response.json()["region"] == ["所选区划不在您的管辖范围内"]

    bad = valid_payload()
    bad["uscc"] = bad["uscc"][:-1] + ("0" if bad["uscc"][-1] != "0" else "1")
    response = client.post("/api/enterprises/", bad, format="json")
    assert response.status_code == 400
    assert "统一社会信用代码" in response.json()["uscc"][0]

    duplicate = valid_payload(uscc=xihu_enterprise.uscc.lower())
    response = client.post("/api/enterprises/", duplicate, format="json")
    assert response.status_code == 400
    assert response.json()["uscc"] == ["该统一社会信用代码已登记在企业库中"]
    assert Enterprise.objects.count() == 1


@pytest.mark.parametrize("role", ["steward", "enterprise", "reviewer"])
def test_non_officers_cannot_write(role, roles, xihu_enterprise):
    client = APIClient()
    client.force_authenticate(roles[role])
    assert client.post("/api/enterprises/", valid_payload(), format="json").status_code == 403
    response = client.patch(f"/api/enterprises/{xihu_enterprise.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 403
    xihu_enterprise.refresh_from_db()
    assert xihu_enterprise.name == "西湖芯片有限公司"


def test_update_in_scope_records_before_and_after(roles, xihu_enterprise, city_enterprise):
    client = APIClient()
    client.force_authenticate(roles["county"])
    response = client.patch(f"/api/enterprises/{xihu_enterprise.pk}/", {"name": "西湖芯片股份有限公司"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "西湖芯片股份有限公司"
    entry = LogEntry.objects.get_for_object(xihu_enterprise).filter(action=LogEntry.Action.UPDATE).latest("pk")
    assert entry.changes_dict["name"] == ["西湖芯片有限公司", "西湖芯片股份有限公司"]
    assert entry.actor == roles["county"]
    # Moving the enterprise out of the county is refused.
    response = client.patch(f"/api/enterprises/{xihu_enterprise.pk}/", {"region": "330109"}, format="json")
    assert response.status_code == 400


def test_update_out_of_scope_is_404(roles, city_enterprise, other_enterprises):
    client = APIClient()
    client.force_authenticate(roles["county"])
    for ent in (city_enterprise, *other_enterprises):
        assert client.patch(f"/api/enterprises/{ent.pk}/", {"name": "x"}, format="json").status_code == 404
        assert client.put(f"/api/enterprises/{ent.pk}/", valid_payload(), format="json").status_code == 404


def test_size_class_is_not_writable(roles, xihu_enterprise):
    client = APIClient()
    client.force_authenticate(roles["province"])
    client.patch(f"/api/enterprises/{xihu_enterprise.pk}/", {"size_class": "L", "above_scale": True},
                 format="json")
    xihu_enterprise.refresh_from_db()
    assert (xihu_enterprise.size_class, xihu_enterprise.above_scale) == ("", False)


def test_delete_is_not_offered(roles, xihu_enterprise):
    client = APIClient()
    client.force_authenticate(roles["admin"])
    assert client.delete(f"/api/enterprises/{xihu_enterprise.pk}/").status_code == 405
