"""The OpenAPI schema builds cleanly and Swagger UI works offline (assets from the sidecar, no CDN)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PATHS = ["/api/regions/", "/api/industries/", "/api/industry-systems/", "/api/industry-categories/",
         "/api/enterprises/", "/api/enterprises/{id}/", "/api/enterprises/{id}/yearly-facts/",
         "/api/enterprises/{id}/monthly-facts/", "/api/yearly-facts/", "/api/monthly-facts/", "/api/auth/token/"]


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in PATHS:
        assert f"  {path}:" in text


def test_schema_needs_a_signed_in_user(client):
    assert client.get("/api/schema/").status_code in (401, 403)


def test_schema_endpoint_lists_every_path_and_enterprise_filters(client, roles):
    client.force_login(roles["county"])
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert set(PATHS) <= set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/enterprises/"]["get"]["parameters"]}
    assert {"q", "region", "industry", "above_scale", "size_class", "sort", "page", "page_size"} <= params
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_swagger_ui_loads_only_local_assets(client, roles):
    client.force_login(roles["county"])
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    external = re.findall(r"""(?:src|href)\s*=\s*["'](https?:)?//""", html)
    assert external == []
    assert not re.search(r"https?://(?!localhost|testserver)[^\"' ]+\.(?:js|css)", html)
    # Every asset the page references is shipped (found by the static files finders).
    assets = re.findall(r"/static/([^\"' ?]+)", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert finders.find(asset), asset
