"""Every page, download and export, for every role: another region's or another user's objects are refused
and never leak into a list.

The URL patterns are walked automatically, so a new page with an object id is covered the day it is added
(or fails here until it is mapped to an object kind below).
"""

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from industrybrain.core.models import Department, ImportJob, Region
from industrybrain.cultivation.models import TierRun
from industrybrain.monitoring.models import TriggerRule, WarningLetter
from industrybrain.policies.models import Case, CaseState
from industrybrain.projects.models import ProjectAlert, ProjectStageEvidence
from tests import factories
from tests.policies.conftest import make_policy
from tests.projects.conftest import make_project

pytestmark = pytest.mark.django_db

ZHEJIANG_ROLES = ["province", "city", "county", "reviewer", "steward", "enterprise"]
FOREIGN_NAME = "浦东外区机密企业有限公司"
FOREIGN_PROJECT = "浦东外区机密扩产项目"
FOREIGN_POLICY = "浦东外区专属补贴政策"


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


OBJECT_PARAM = re.compile(r"<(int|uscc|uuid|str):\w+>")


def object_urls():
    """(route, pattern) for every non-admin, non-API page that takes an object id, USCC or UUID."""
    for route, _pattern in walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "api/", "^media")):
            continue
        if OBJECT_PARAM.search(route):
            yield route


# Which object an id in a route refers to: the first matching prefix wins.
ROUTE_KINDS = [("projects/evidence/", "evidence"), ("projects/alerts/", "project_alert"), ("projects/", "project"), ("enterprises/", "enterprise"),
               ("imports/", "import_job"), ("policies/cases/", "case"), ("policies/", "policy"),
               ("cultivation/runs/", "tier_run"), ("cultivation/enterprises/", "enterprise"),
               ("monitoring/triggers/rules/", "trigger_rule"), ("monitoring/letters/", "warning_letter"),
               ("monitoring/plans/", "region")]


@pytest.fixture
def foreign(db, roles):
    """Objects in Shanghai (outside every Zhejiang role) and an import job of another user."""
    enterprise = factories.enterprise("310115", "3973", name=FOREIGN_NAME)
    factories.yearly_fact(enterprise, 2023)
    project = make_project("310115", enterprise, name=FOREIGN_PROJECT)
    evidence = ProjectStageEvidence.objects.create(project=project, stage="signed", original_name="合同.pdf",
                                                   file=ContentFile(b"%PDF secret", name="contract.pdf"))
    other = factories.user("other-officer", "province_officer", "310000")
    job = ImportJob.objects.create(kind="enterprises", original_name="外区企业名单.csv", created_by=other,
                                   file=ContentFile("统一社会信用代码\n".encode(), name="x.csv"))
    shanghai = Department.objects.get(code="sh-jxw")
    policy = make_policy(title=FOREIGN_POLICY, region_id="310000", department=shanghai)
    case = Case.objects.create(policy=policy, enterprise=enterprise, mode=policy.mode, state=CaseState.LISTED,
                               department=shanghai)
    run = TierRun.objects.create(tier="innovative_sme", as_of=dt.date(2024, 7, 1), region_id="310000",
                                 created_by=other)
    project_alert = ProjectAlert.objects.create(
        kind=ProjectAlert.Kind.values[0], project=project, region_id="310115", key="foreign-alert",
        message=FOREIGN_PROJECT + "逾期", first_detected_on=dt.date(2026, 6, 1), last_detected_on=dt.date(2026, 6, 1))
    letter = WarningLetter.objects.create(number="经信提示〔2023〕99号", region_id="310115", year=2023, month=10)
    trigger_rule = TriggerRule.objects.create(name=FOREIGN_POLICY + "触发规则", condition="TRUE", province_id="310000")
    return {"enterprise": enterprise, "project": project, "evidence": evidence, "import_job": job,
            "policy": policy, "case": case, "tier_run": run, "warning_letter": letter, "project_alert": project_alert,
            "trigger_rule": trigger_rule, "region": Region.objects.get(code="310115")}


def concrete(route: str, objects) -> str:
    kind = next(k for prefix, k in ROUTE_KINDS if route.startswith(prefix))
    obj = objects[kind]
    first = [True]

    def fill(match):
        converter = match.group(1)
        if converter == "uscc":
            return obj.uscc
        if converter == "uuid":
            return str(obj.uuid)
        if converter == "str":
            return obj.code
        if first[0]:
            first[0] = False
            return str(obj.pk)
        return "2023"  # a second int (e.g. a year)

    return "/" + OBJECT_PARAM.sub(fill, route)


def test_every_object_route_is_mapped():
    unmapped = [r for r in object_urls() if not any(r.startswith(p) for p, _ in ROUTE_KINDS)]
    assert unmapped == [], "map these routes to an object kind in ROUTE_KINDS"


@pytest.mark.parametrize("role", ZHEJIANG_ROLES)
def test_foreign_objects_are_refused_on_every_page(role, roles, foreign):
    client = Client()
    client.force_login(roles[role])
    routes = list(object_urls())
    assert len(routes) >= 10
    for route in routes:
        url = concrete(route, foreign)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (403, 404, 405), (role, method, url, response.status_code)
            body = b"" if response.streaming else response.content
            for secret in (FOREIGN_NAME, FOREIGN_PROJECT, FOREIGN_POLICY):
                assert secret.encode() not in body, (role, url, secret)


def test_officers_get_404_not_403_for_foreign_objects(roles, foreign):
    """A 403 would confirm that the object exists."""
    client = Client()
    client.force_login(roles["county"])
    for route in object_urls():
        url = concrete(route, foreign)
        response = client.get(url)
        assert response.status_code in (404, 405), (url, response.status_code)


def test_administrator_reaches_the_same_objects(roles, foreign):
    client = Client()
    client.force_login(roles["admin"])
    assert client.get(f"/enterprises/{foreign['enterprise'].pk}/").status_code == 200
    assert client.get(f"/projects/{foreign['project'].pk}/").status_code == 200
    assert client.get(f"/projects/evidence/{foreign['evidence'].pk}/").status_code == 200


LIST_PAGES = ["/", "/enterprises/", "/enterprises/?q=浦东", "/projects/", "/projects/alerts/", "/projects/rollup/",
              "/imports/", "/notifications/", "/policies/", "/policies/?q=浦东", "/policies/mine/",
              "/policies/cases/", "/policies/ledger/", "/policies/dashboard/", "/policies/reductions/",
              "/cultivation/", "/cultivation/pool/", "/cultivation/certifications/",
              "/cultivation/certifications/expiring/", "/cultivation/runs/", "/monitoring/bulletin/",
              "/monitoring/", "/monitoring/board/", "/monitoring/letters/", "/monitoring/electricity/",
              "/monitoring/triggers/", "/monitoring/triggers/rules/", "/projects/crosscheck/",
              "/projects/alert-rules/"]
EXPORTS = ["/enterprises/export/", "/projects/export/", "/cultivation/pool/export/",
           "/cultivation/certifications/export/", "/monitoring/triggers/rules/xlsx/", "/projects/crosscheck/export/"]


def xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for c in row if c is not None)


@pytest.mark.parametrize("role", ZHEJIANG_ROLES)
def test_lists_and_exports_never_leak(role, roles, foreign, xihu_enterprise):
    client = Client()
    client.force_login(roles[role])
    for url in LIST_PAGES:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), (role, url)
        text = response.content.decode()
        for secret in (FOREIGN_NAME, FOREIGN_PROJECT, FOREIGN_POLICY, "外区企业名单"):
            assert secret not in text, (role, url, secret)
    for url in EXPORTS:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), (role, url)
        if response.status_code == 200:
            text = xlsx_text(b"".join(response.streaming_content))
            assert FOREIGN_NAME not in text and FOREIGN_PROJECT not in text, (role, url)


def test_uploaded_files_are_not_served_from_media_url(client, roles, foreign):
    client.force_login(roles["admin"])
    assert client.get("/media/" + foreign["evidence"].file.name).status_code == 404
