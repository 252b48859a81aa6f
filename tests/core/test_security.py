"""Login safety and transport settings: Argon2, axes lockout, CSRF, security headers, production cookies."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, override_settings

from industrybrain.settings import base
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "test-pass-123"


def test_argon2_is_the_first_hasher_in_base_settings():
    # settings.test swaps in a fast hasher; the real configuration is base's.
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_passwords_are_stored_as_argon2():
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        user = factories.user("hashed", "county_officer", "330106")
        assert user.password.startswith("argon2$argon2id$")
        assert user.check_password(PASSWORD)


def test_login_is_locked_after_repeated_failures(roles):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/login/", {"username": "county", "password": "wrong-password"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post("/login/", {"username": "county", "password": "wrong-password"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "账号已锁定" in page and "连续登录失败" in page
    # The right password no longer opens the account, and no session is created.
    response = client.post("/login/", {"username": "county", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not affected (lockout is per username and address).
    assert Client().post("/login/", {"username": "city", "password": PASSWORD}).status_code == 302


def test_admin_login_is_locked_too(roles):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "admin", "password": "wrong-password"})
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429


def test_successful_login_resets_the_failure_count(roles):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": "county", "password": "wrong-password"})
    assert client.post("/login/", {"username": "county", "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/login/", {"username": "county", "password": "wrong"}).status_code == 200


def test_login_post_requires_a_csrf_token(roles):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "county", "password": PASSWORD})
    assert response.status_code == 403
    client.get("/login/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post("/login/", {"username": "county", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_session_authenticated_api_writes_require_csrf(roles, xihu_enterprise):
    client = Client(enforce_csrf_checks=True)
    client.force_login(roles["province"])
    response = client.patch(f"/api/enterprises/{xihu_enterprise.pk}/", json.dumps({"name": "x"}),
                            content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize("url", ["/login/", "/api/docs/", "/api/regions/", "/"])
def test_security_headers(url, roles):
    client = Client()
    client.force_login(roles["county"])
    response = client.get(url)
    assert response.status_code in (200, 302)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    if url != "/api/docs/":  # drf-spectacular relaxes COOP on Swagger UI for its OAuth2 pop-up
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_session_cookie_is_http_only(roles):
    client = Client()
    client.post("/login/", {"username": "county", "password": PASSWORD})
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


def test_production_settings_are_secure(tmp_path):
    code = (
        "import json; from industrybrain.settings import prod as s; print(json.dumps({"
        "'debug': s.DEBUG, 'secret': s.SECRET_KEY, 'session': s.SESSION_COOKIE_SECURE,"
        "'csrf': s.CSRF_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS, 'ssl': s.SECURE_SSL_REDIRECT,"
        "'hasher': s.PASSWORD_HASHERS[0], 'xfo': s.X_FRAME_OPTIONS, 'nosniff': s.SECURE_CONTENT_TYPE_NOSNIFF}))"
    )
    env = {**os.environ, "IB_SECRET_KEY": "a-production-secret-for-the-test", "IB_VAR_DIR": str(tmp_path)}
    env.pop("IB_SSL_REDIRECT", None)
    env.pop("IB_HSTS_SECONDS", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values == {
        "debug": False, "secret": "a-production-secret-for-the-test", "session": True, "csrf": True,
        "hsts": 31536000, "ssl": True, "hasher": "django.contrib.auth.hashers.Argon2PasswordHasher",
        "xfo": "DENY", "nosniff": True,
    }


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "IB_SECRET_KEY"}
    result = subprocess.run([sys.executable, "-c", "import industrybrain.settings.prod"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "IB_SECRET_KEY" in result.stderr
