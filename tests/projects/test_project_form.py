"""Registering and correcting a project through the page; the list it is on changes only by a stage move."""

import datetime as dt

import pytest

from industrybrain.projects.models import Project

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {"code": "XH-2026-001", "name": "西湖新建芯片封测项目", "investor_uscc": "", "investor_name": "新落地投资有限公司",
            "region": "330106", "project_type": "new", "total_investment": "120000", "actual_signed": "2026-03-01",
            "industry_code": "3973"}
    data.update(overrides)
    return data


def test_officer_registers_a_project_on_the_signed_list(client, roles, xihu_enterprise):
    client.force_login(roles["county"])
    response = client.post("/projects/new/", form_data(investor_uscc=xihu_enterprise.uscc))
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    project = Project.objects.get(code="XH-2026-001")
    assert (project.stage, project.stage_entered_on) == ("signed", dt.date(2026, 3, 1))
    assert project.enterprise == xihu_enterprise  # linked to the registry profile by USCC
    assert project.industry_id == "3973"


def test_outside_region_bad_uscc_and_unknown_industry_are_refused(client, roles):
    client.force_login(roles["county"])
    response = client.post("/projects/new/", form_data(region="330203", investor_uscc="91350100M000100Y44",
                                                       industry_code="9999"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"region", "investor_uscc", "industry_code"} <= set(errors)
    assert "校验位错误" in str(errors["investor_uscc"])
    assert not Project.objects.exists()


def test_only_officers_register_and_edit_keeps_the_stage(client, roles, xihu_enterprise):
    client.force_login(roles["enterprise"])
    assert client.get("/projects/new/").status_code == 403
    client.force_login(roles["county"])
    client.post("/projects/new/", form_data())
    project = Project.objects.get(code="XH-2026-001")
    response = client.post(f"/projects/{project.pk}/edit/", form_data(name="西湖芯片封测扩建项目", stage="completed",
                                                                     code="CHANGED"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.stage, project.code) == ("西湖芯片封测扩建项目", "signed", "XH-2026-001")
    client.force_login(roles["steward"])
    assert client.get(f"/projects/{project.pk}/edit/").status_code == 404
