"""API: scoped lists, 404 outside scope, the move action (idempotent), report validation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIClient

from industrybrain.projects import api
from industrybrain.projects.models import Project

from .conftest import make_project

router = DefaultRouter()
api.register(router)
urlpatterns = [path("api/", include(router.urls))]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.projects.test_api")]


@pytest.fixture
def client_for():
    def build(user):
        c = APIClient()
        c.force_authenticate(user)
        return c
    return build


def test_list_is_scoped(client_for, roles, xihu_enterprise, other_enterprises):
    make_project("330106", xihu_enterprise, name="西湖")
    ningbo = make_project("330203", other_enterprises[0], name="宁波")
    data = client_for(roles["county"]).get("/api/projects/").json()
    assert [p["name"] for p in data["results"]] == ["西湖"]
    assert client_for(roles["county"]).get(f"/api/projects/{ningbo.pk}/").status_code == 404
    assert client_for(roles["enterprise"]).get("/api/projects/").json()["count"] == 1


def test_create_checks_region_and_role(client_for, roles):
    body = {"code": "API-1", "name": "新项目", "investor_name": "某某新材料有限公司", "region": "330203",
            "total_investment": "20000", "project_type": "new", "actual_signed": "2026-02-01"}
    response = client_for(roles["county"]).post("/api/projects/", body, format="json")
    assert response.status_code == 400 and "region" in response.json()
    assert client_for(roles["enterprise"]).post("/api/projects/", {**body, "region": "330106"},
                                                format="json").status_code == 403
    response = client_for(roles["county"]).post("/api/projects/", {**body, "region": "330106"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["stage"] == "signed"


def test_move_action_and_retry(client_for, roles, xihu_enterprise, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    project = make_project("330106", xihu_enterprise, land_parcel="XH-1")
    c = client_for(roles["county"])
    response = c.post(f"/api/projects/{project.pk}/move/", {"target": "land_acquired"}, format="multipart")
    assert response.status_code == 400
    assert "请填写拿地的实际日期" in response.json()["errors"]
    body = {"target": "land_acquired", "effective_date": "2026-03-01", "expected_stage": "signed", "token": "abc",
            "evidence": [SimpleUploadedFile("证.pdf", b"%PDF")]}
    assert c.post(f"/api/projects/{project.pk}/move/", body, format="multipart").json()["created"] is True
    body["evidence"] = [SimpleUploadedFile("证.pdf", b"%PDF")]
    assert c.post(f"/api/projects/{project.pk}/move/", body, format="multipart").json()["created"] is False
    body.update(token="other", evidence=[SimpleUploadedFile("证.pdf", b"%PDF")])
    assert c.post(f"/api/projects/{project.pk}/move/", body, format="multipart").status_code == 409
    assert Project.objects.get(pk=project.pk).stage == "land_acquired"


def test_report_validation_over_api(client_for, roles, xihu_enterprise, other_enterprises):
    project = make_project("330106", xihu_enterprise)
    ningbo = make_project("330203", other_enterprises[0])
    c = client_for(roles["enterprise"])
    ok = c.post("/api/project-reports/", {"project": project.pk, "year": 2026, "month": 1,
                                          "month_completed": "100"}, format="json")
    assert ok.status_code == 201 and ok.json()["cumulative_completed"] == "100.00"
    bad = c.post("/api/project-reports/", {"project": project.pk, "year": 2026, "month": 2, "month_completed": "0",
                                           "cumulative_completed": "50", "ytd_completed": "50"}, format="json")
    assert bad.status_code == 400 and "累计数不能减少" in bad.json()["errors"][0]
    assert c.post("/api/project-reports/", {"project": ningbo.pk, "year": 2026, "month": 1,
                                            "month_completed": "1"}, format="json").status_code == 404


def test_alert_rules_read_by_officers_changed_by_the_province_with_validation(client_for, roles):
    import datetime as dt

    from industrybrain.projects.models import AlertRule

    county, province = client_for(roles["county"]), client_for(roles["province"])
    codes = {r["code"] for r in county.get("/api/project-alert-rules/").json()["results"]}
    assert {"stage_overdue", "behind_time_progress", "start_rate_below_curve", "stage_too_long"} <= codes
    assert client_for(roles["enterprise"]).get("/api/project-alert-rules/").status_code == 403
    assert county.patch("/api/project-alert-rules/stage_overdue/", {"condition": "TRUE"}, format="json"
                        ).status_code == 403
    response = province.patch("/api/project-alert-rules/stage_overdue/",
                              {"condition": "next_stage_days_overdue > 1; DROP TABLE x"}, format="json")
    assert response.status_code == 400 and "只能写一个表达式" in response.json()["condition"][0]
    response = province.patch("/api/project-alert-rules/stage_overdue/",
                              {"condition": "next_stage_days_overdue > 3"}, format="json")
    assert response.status_code == 200
    assert AlertRule.objects.get(code="stage_overdue").updated_by == roles["province"]
    make_project("330106", planned_land_acquired=dt.date(2026, 3, 2))
    make_project("310115", planned_land_acquired=dt.date(2026, 3, 2))
    body = province.post("/api/project-alert-rules/preview/", {"condition": "next_stage_days_overdue > 3",
                                                               "as_of": "2026-03-09"}, format="json").json()
    assert (body["total"], body["matched"], body["unknown"]) == (1, 1, 0)  # Shanghai is outside the scope
    assert body["sample"][0]["values"] == {"next_stage_days_overdue": 5}
    assert province.post("/api/project-alert-rules/preview/", {"condition": "nope > 1"},
                         format="json").status_code == 400
