"""Pages: scoping per role (404 outside, lists never leak), the stage-move form, reports, alerts, export."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from industrybrain.projects.models import MonthlyInvestmentReport, Project, ProjectAlert
from industrybrain.workflow.models import Transition

from .conftest import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(roles, xihu_enterprise, other_enterprises, city_enterprise):
    return {
        "xihu": make_project("330106", xihu_enterprise, name="西湖芯片扩产项目", total=Decimal("150000")),
        "xihu_new": make_project("330106", None, name="西湖新落地项目", stage="started"),
        "xiaoshan": make_project("330109", city_enterprise, name="萧山电池项目"),
        "ningbo": make_project("330203", other_enterprises[0], name="宁波生物药项目"),
        "pudong": make_project("310115", other_enterprises[2], name="浦东汽车项目"),
    }


def names(client, user, url=None, **params):
    client.force_login(user)
    response = client.get(url or reverse("projects:project-list"), params)
    assert response.status_code == 200
    return {p.name for p in response.context["page"]}


def test_lists_are_scoped_per_role(client, roles, world):
    assert names(client, roles["county"]) == {"西湖芯片扩产项目", "西湖新落地项目"}
    assert names(client, roles["city"]) == {"西湖芯片扩产项目", "西湖新落地项目", "萧山电池项目"}
    assert names(client, roles["province"]) == {"西湖芯片扩产项目", "西湖新落地项目", "萧山电池项目", "宁波生物药项目"}
    assert names(client, roles["enterprise"]) == {"西湖芯片扩产项目"}
    assert names(client, roles["steward"]) == set()
    assert len(names(client, roles["admin"])) == 5


def test_tab_counts_and_filters_do_not_leak(client, roles, world):
    client.force_login(roles["county"])
    response = client.get(reverse("projects:project-list"), {"region": "330000"})  # outside their subtree
    counts = {f.stage: f.count for f in response.context["lists"]}
    assert counts["signed"] == 1 and counts["started"] == 1 and sum(counts.values()) == 2
    assert "宁波生物药项目" not in response.content.decode()
    response = client.get(reverse("projects:project-list"), {"stage": "started"})
    assert {p.name for p in response.context["page"]} == {"西湖新落地项目"}
    assert names(client, roles["province"], region="330200") == {"宁波生物药项目"}


def test_other_county_gets_404_everywhere(client, roles, world):
    client.force_login(roles["county"])
    pk = world["ningbo"].pk
    for name in ("project-detail", "project-move", "project-report", "blocker-add"):
        assert client.get(reverse(f"projects:{name}", args=[pk])).status_code == 404
    response = client.post(reverse("projects:project-move", args=[pk]), {"target": "land_acquired"})
    assert response.status_code == 404
    assert Project.objects.get(pk=pk).stage == "signed"
    client.force_login(roles["enterprise"])
    assert client.get(reverse("projects:project-detail", args=[world["xiaoshan"].pk])).status_code == 404
    assert client.get(reverse("projects:project-detail", args=[world["xihu"].pk])).status_code == 200


def test_enterprise_user_reads_but_cannot_move(client, roles, world):
    client.force_login(roles["enterprise"])
    assert client.get(reverse("projects:project-move", args=[world["xihu"].pk])).status_code == 404
    response = client.post(reverse("projects:project-report", args=[world["xihu"].pk]),
                           {"year": 2026, "month": 1, "month_completed": "1200"})
    assert response.status_code == 302
    assert MonthlyInvestmentReport.objects.get().cumulative_completed == Decimal(1200)


def test_move_form_with_evidence_and_double_post(client, roles, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(roles["county"])
    url = reverse("projects:project-move", args=[world["xihu"].pk])
    form = client.get(url).context["form"]
    token = form.initial["token"]
    data = {"target": "land_acquired", "effective_date": "2026-03-02", "land_parcel": "XH-01",
            "expected_stage": "signed", "token": token}
    missing = client.post(url, data)
    assert missing.status_code == 200
    assert "请上传佐证材料" in missing.content.decode()
    for _ in range(2):
        response = client.post(url, {**data, "evidence": SimpleUploadedFile("土地证.pdf", b"%PDF")})
        assert response.status_code == 302, response.context["form"].errors
    assert Transition.for_object(world["xihu"]).count() == 1
    assert Project.objects.get(pk=world["xihu"].pk).stage == "land_acquired"
    detail = client.get(reverse("projects:project-detail", args=[world["xihu"].pk]))
    assert "土地证.pdf" in detail.content.decode()
    evidence = detail.context["evidence"][0]
    assert client.get(reverse("projects:evidence-download", args=[evidence.pk])).status_code == 200
    client.force_login(roles["enterprise"])  # same enterprise: may read the evidence
    assert client.get(reverse("projects:evidence-download", args=[evidence.pk])).status_code == 200
    client.force_login(roles["city"])
    client.force_login(make_user_other_county())
    assert client.get(reverse("projects:evidence-download", args=[evidence.pk])).status_code == 404


def make_user_other_county():
    from tests import factories

    return factories.user("ningbo-county", "county_officer", "330203")


def test_detail_page_has_charts(client, roles, world):
    client.force_login(roles["county"])
    html = client.get(reverse("projects:project-detail", args=[world["xihu"].pk])).content.decode()
    assert "vendor/echarts/echarts.min.js" in html
    assert 'id="timeline-data"' in html and 'id="curve-data"' in html


def test_alert_list_scoped(client, roles, world):
    for p in (world["xihu"], world["ningbo"]):
        ProjectAlert.objects.create(kind="stage_overdue", project=p, region=p.region, key=f"k{p.pk}",
                                    message=f"{p.name}逾期", first_detected_on=dt.date(2026, 6, 1),
                                    last_detected_on=dt.date(2026, 6, 1))
    client.force_login(roles["county"])
    page = client.get(reverse("projects:alert-list")).context["page"]
    assert [a.message for a in page] == ["西湖芯片扩产项目逾期"]
    client.force_login(roles["enterprise"])
    assert [a.message for a in client.get(reverse("projects:alert-list")).context["page"]] == ["西湖芯片扩产项目逾期"]


def test_export_office_layout_and_scope(client, roles, world):
    client.force_login(roles["county"])
    response = client.get(reverse("projects:project-export"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["汇总", "签约清单", "拿地清单", "开工清单", "在建清单", "竣工清单", "投产清单"]
    summary = book["汇总"]
    assert summary["A1"].value == "重大产业项目六张清单汇总表"
    assert [summary.cell(r, 2).value for r in range(4, 10)] == [1, 0, 1, 0, 0, 0]
    assert summary["C4"].value == 15.0  # 150000万元 = 15亿元
    signed = book["签约清单"]
    assert signed["A3"].value == "序号" and signed["C4"].value == "西湖芯片扩产项目"
    assert signed["B5"].value == "合计" and signed["J5"].value == 15.0
    everything = "".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row)
    assert "宁波" not in everything and "萧山" not in everything


def test_rollup_page(client, roles, world):
    client.force_login(roles["province"])
    rows = client.get(reverse("projects:rollup"), {"by": "city"}).context["rows"]
    assert {(r.name, r.count) for r in rows} == {("杭州市", 3), ("宁波市", 1)}
