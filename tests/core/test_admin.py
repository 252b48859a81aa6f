"""The admin is the system administrator's console; nobody else gets in or sees anything there."""

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from industrybrain.core.models import ImportJob
from industrybrain.registry.models import Enterprise
from tests import factories

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"core", "registry"}


def changelist_urls():
    urls = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if opts.app_label in PROJECT_APPS or model is LogEntry or opts.app_label in ("axes", "authtoken"):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    return urls


@pytest.fixture
def administrator(roles):
    """The administrator role with staff status; not a superuser: the role alone grants the admin."""
    user = roles["admin"]
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_every_project_model_and_the_audit_log_are_registered():
    registered = {m._meta.label for m in admin.site._registry}
    assert {"core.User", "core.Region", "core.Industry", "core.IndustrySystem", "core.IndustryCategory",
            "core.Department", "core.CalendarDay", "core.CalendarYear", "core.ImportJob",
            "registry.Enterprise", "registry.YearlyFact", "registry.MonthlyFact", "registry.Tag",
            "registry.Certification", "auditlog.LogEntry", "axes.AccessAttempt"} <= registered


def test_administrator_opens_every_changelist(administrator, xihu_enterprise):
    factories.yearly_fact(xihu_enterprise)
    for url in changelist_urls():
        response = administrator.get(url)
        assert response.status_code == 200, url


def test_administrator_opens_add_and_change_forms(administrator, roles, xihu_enterprise):
    fact = factories.yearly_fact(xihu_enterprise)
    for url in [
        reverse("admin:core_user_add"),
        reverse("admin:core_user_change", args=[roles["county"].pk]),
        reverse("admin:registry_enterprise_change", args=[xihu_enterprise.pk]),
        reverse("admin:registry_enterprise_add"),
        reverse("admin:registry_yearlyfact_change", args=[fact.pk]),
        reverse("admin:core_region_change", args=["330106"]),
        reverse("admin:core_calendarday_add"),
        reverse("admin:registry_enterprise_auditlog", args=[xihu_enterprise.pk]),
    ]:
        assert administrator.get(url).status_code == 200, url


def test_admin_index_shows_the_audit_log_in_chinese(administrator):
    page = administrator.get(reverse("admin:index")).content.decode()
    assert "审计日志" in page
    assert "企业库（一企一档）" in page
    response = administrator.get(reverse("admin:auditlog_logentry_changelist"))
    assert "审计日志" in response.content.decode()


def test_audit_log_shows_before_and_after(administrator, roles, xihu_enterprise):
    xihu_enterprise.name = "西湖芯片股份有限公司"
    xihu_enterprise.save()
    page = administrator.get(reverse("admin:registry_enterprise_auditlog", args=[xihu_enterprise.pk]))
    text = page.content.decode()
    assert "西湖芯片有限公司" in text and "西湖芯片股份有限公司" in text


def test_audit_log_and_import_jobs_are_read_only(administrator, roles):
    job = ImportJob.objects.create(kind="enterprises", original_name="a.xlsx", created_by=roles["county"])
    assert administrator.get(reverse("admin:core_importjob_add")).status_code == 403
    assert administrator.post(reverse("admin:core_importjob_delete", args=[job.pk]), {"post": "yes"}).status_code == 403
    assert ImportJob.objects.filter(pk=job.pk).exists()
    entry = LogEntry.objects.first()
    assert entry is not None
    assert administrator.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]),
                              {"post": "yes"}).status_code == 403


def test_enterprise_search_finds_by_uscc_and_name(administrator, xihu_enterprise, other_enterprises):
    url = reverse("admin:registry_enterprise_changelist")
    page = administrator.get(url, {"q": xihu_enterprise.uscc.lower()}).content.decode()
    assert "西湖芯片有限公司" in page and "宁波生物药业有限公司" not in page
    page = administrator.get(url, {"q": "宁波"}).content.decode()
    assert "宁波生物药业有限公司" in page and "西湖芯片有限公司" not in page
    page = administrator.get(url, {"city": "330100"}).content.decode()
    assert "西湖芯片有限公司" in page and "宁波生物药业有限公司" not in page


def test_big_foreign_keys_are_never_select_boxes():
    enterprise_admin = admin.site._registry[Enterprise]
    assert "steward" in enterprise_admin.raw_id_fields
    assert {"region", "industry"} <= set(enterprise_admin.autocomplete_fields)
    for label in ("registry.YearlyFact", "registry.MonthlyFact", "registry.Certification"):
        model_admin = next(a for m, a in admin.site._registry.items() if m._meta.label == label)
        assert "enterprise" in model_admin.raw_id_fields
    from industrybrain.core.models import User

    assert "enterprise" in admin.site._registry[User].raw_id_fields


def test_administrator_creates_a_user_with_an_argon2_password(administrator, settings):
    from industrybrain.core.models import User
    from industrybrain.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    response = administrator.post(reverse("admin:core_user_add"), {
        "username": "newofficer", "password1": "Zj-officer-2024!", "password2": "Zj-officer-2024!",
        "usable_password": "true", "display_name": "新干部", "role": "county_officer", "region": "330106",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newofficer")
    assert user.password.startswith("argon2$")
    assert user.role == "county_officer" and user.region_id == "330106"


@pytest.mark.parametrize("role", ["province", "city", "county", "reviewer", "steward", "enterprise"])
def test_other_roles_cannot_use_the_admin(role, roles):
    client = Client()
    client.force_login(roles[role])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    for url in changelist_urls():
        assert client.get(url).status_code == 302, url


def test_staff_flag_without_the_administrator_role_sees_nothing(roles):
    officer = roles["province"]
    officer.is_staff = True
    officer.save()
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    assert not page.context["app_list"]
    for url in changelist_urls():
        assert client.get(url).status_code == 403, url


def test_administrator_role_always_carries_the_staff_flag(roles):
    admin = roles["admin"]
    admin.is_staff = False
    admin.save()
    admin.refresh_from_db()
    assert admin.is_staff
    client = Client()
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200


def test_deactivated_administrator_is_kept_out(roles):
    admin = roles["admin"]
    admin.is_active = False
    admin.save()
    client = Client()
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 302


def test_anonymous_is_sent_to_the_admin_login():
    response = Client().get(reverse("admin:registry_enterprise_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
