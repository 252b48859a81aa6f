"""Certificates: expiry alerts (list + one notification per certificate to steward and users), the import of
official lists (dry run with every error in Chinese, all or nothing), the registry list and its export."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from industrybrain.core import imports
from industrybrain.core.models import ImportJob, Notification
from industrybrain.core.tasks import queue_import_job
from industrybrain.cultivation import certificates
from industrybrain.cultivation.models import CertificationInfo, ExpiryAlert
from industrybrain.registry.models import Certification

pytestmark = pytest.mark.django_db
DAY = dt.date(2024, 7, 1)


def cert(enterprise, kind="srdi_sme", issued=dt.date(2021, 11, 20), valid=None, level="省级"):
    return Certification.objects.create(enterprise=enterprise, kind=kind, name=kind, level=level, issued_on=issued,
                                        valid_until=valid or certificates.default_valid_until(issued))


def test_default_validity_is_three_years():
    assert certificates.default_valid_until(dt.date(2021, 11, 20)) == dt.date(2024, 11, 19)
    assert certificates.default_valid_until(dt.date(2020, 2, 29)) == dt.date(2023, 2, 27)
    assert certificates.add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28)


def test_expiring_alerts_go_to_steward_and_users_once(roles, xihu_enterprise, city_enterprise):
    soon = cert(xihu_enterprise)                                       # 2024-11-19: within 6 months
    cert(xihu_enterprise, "little_giant", dt.date(2022, 8, 10))        # 2025-08-09: not yet
    cert(xihu_enterprise, "high_tech", dt.date(2021, 11, 20))          # not a tier certificate
    cert(city_enterprise, "innovative_sme", dt.date(2021, 1, 10), dt.date(2024, 1, 9))  # already expired
    result = certificates.send_expiry_alerts(DAY)
    assert (result.certificates, result.notifications) == (1, 2)
    got = Notification.objects.order_by("user__username")
    assert [n.user.username for n in got] == ["ent", "steward"]
    assert "专精特新中小企业将于2024-11-19到期" in got[0].title
    assert got[0].url == reverse("cultivation:enterprise-tiers", args=[xihu_enterprise.uscc])
    assert ExpiryAlert.objects.get().certification == soon
    again = certificates.send_expiry_alerts(DAY + dt.timedelta(days=1))
    assert (again.certificates, again.notifications) == (0, 0)
    # renewed with a new expiry date inside the window: notified again
    soon.valid_until = dt.date(2024, 12, 31)
    soon.save()
    assert certificates.send_expiry_alerts(DAY).certificates == 1


def test_expiring_list_is_scoped(roles, xihu_enterprise, city_enterprise):
    today = dt.date.today()
    cert(xihu_enterprise, issued=today.replace(year=today.year - 3) + dt.timedelta(days=40))
    cert(city_enterprise, issued=today.replace(year=today.year - 3) + dt.timedelta(days=40))
    for role, names in (("county", {"西湖芯片有限公司"}), ("city", {"西湖芯片有限公司", "萧山电池有限公司"})):
        client = Client()
        client.force_login(roles[role])
        html = client.get(reverse("cultivation:certification-expiring")).content.decode()
        for name in ("西湖芯片有限公司", "萧山电池有限公司"):
            assert (name in html) == (name in names), (role, name)
    client = Client()
    client.force_login(roles["county"])
    html = client.get(reverse("cultivation:certification-list")).content.decode()
    assert "有 1 个资质将在6个月内到期" in html


HEADER = "统一社会信用代码,企业名称,资质类型,级别,批次,认定日期,有效期至,文号\n"


def job_for(user, body: str) -> ImportJob:
    return ImportJob.objects.create(kind="certifications", original_name="名单.csv", created_by=user,
                                    file=ContentFile((HEADER + body).encode("utf-8"), name="list.csv"))


def test_import_dry_run_lists_every_error_in_chinese(roles, xihu_enterprise, city_enterprise, other_enterprises):
    x, ningbo = xihu_enterprise, other_enterprises[0]
    body = (f"{x.uscc},西湖芯片有限公司,专精特新“小巨人”企业,国家级,第五批,2023-07-20,,工信部企业函〔2023〕158号\n"
            f"{x.uscc},西湖芯片有限公司,小巨人,国家级,第五批,2023-07-20,,\n"             # duplicate of row 2
            f"{x.uscc},错误的名称,专精特新中小企业,省级,2022年度,2022-12-01,2022-11-30,\n"  # name; expiry before issue
            f"{ningbo.uscc},{ningbo.name},创新型中小企业,省级,,2023-09-01,,\n"               # outside the county
            "91330106MA27XXXXX1,无此企业,高新技术企业,部委,,2099-01-01,,\n")                 # many problems
    job = job_for(roles["county"], body)
    result = imports.dry_run_job(job)
    assert result is not None and not result.ok
    errors = {(e["row"], e["column"]): e["reason"] for e in job.errors}
    assert "与第2行重复" in errors[(3, "统一社会信用代码")]
    assert errors[(4, "企业名称")] == "企业名称与企业库不一致（企业库为“西湖芯片有限公司”）"
    assert errors[(4, "有效期至")] == "有效期至应晚于认定日期"
    assert errors[(5, "统一社会信用代码")] == "无权导入该地区企业"
    assert "不是梯度培育的资质类型" in errors[(6, "资质类型")]
    assert "不是有效的级别" in errors[(6, "级别")]
    assert "不能晚于今天" in errors[(6, "认定日期")]
    assert (6, "统一社会信用代码") in errors
    assert job.status == "rejected" and not Certification.objects.exists()


def test_import_applies_all_and_updates_on_reimport(roles, xihu_enterprise, city_enterprise):
    x, c = xihu_enterprise, city_enterprise
    body = (f"{x.uscc},西湖芯片有限公司,专精特新“小巨人”企业,,第五批,2023-07-20,,工信部企业函〔2023〕158号\n"
            f"{c.uscc},萧山电池有限公司,专精特新中小企业,省级,2022年度,2022-12-01,2025-11-30,\n")
    job = job_for(roles["city"], body)
    assert imports.dry_run_job(job).ok
    assert queue_import_job(job)
    job.refresh_from_db()
    assert job.status == "done" and job.created_count == 2, job.message
    giant = Certification.objects.get(enterprise=x)
    assert (giant.kind, giant.level, giant.valid_until) == ("little_giant", "国家级", dt.date(2026, 7, 19))
    assert giant.cultivation.batch == "第五批" and giant.document_no == "工信部企业函〔2023〕158号"
    again = job_for(roles["city"], body.replace("第五批", "第五批（复核）"))
    imports.dry_run_job(again)
    queue_import_job(again)
    again.refresh_from_db()
    assert (again.status, again.created_count, again.updated_count) == ("done", 0, 1), again.message
    assert Certification.objects.count() == 2
    assert CertificationInfo.objects.get(certification=giant).batch == "第五批（复核）"


def test_import_is_all_or_nothing(roles, xihu_enterprise, monkeypatch):
    body = f"{xihu_enterprise.uscc},西湖芯片有限公司,创新型中小企业,省级,,2023-09-01,,\n"
    job = job_for(roles["county"], body)
    assert imports.dry_run_job(job).ok

    def broken(*args, **kwargs):
        raise RuntimeError("写入中断")

    monkeypatch.setattr(CertificationInfo.objects, "bulk_create", broken)
    queue_import_job(job)
    job.refresh_from_db()
    assert job.status == "failed" and "写入中断" in job.message
    assert not Certification.objects.exists()


def test_certificate_list_filters_and_export(roles, xihu_enterprise, city_enterprise):
    cert(xihu_enterprise, "little_giant", dt.date(2023, 7, 20), level="国家级")
    CertificationInfo.objects.create(certification=Certification.objects.get(kind="little_giant"), batch="第五批",
                                     review_status="pending")
    cert(city_enterprise, "innovative_sme", dt.date(2023, 9, 1))
    client = Client()
    client.force_login(roles["city"])
    html = client.get(reverse("cultivation:certification-list") + "?tier=little_giant").content.decode()
    assert "西湖芯片有限公司" in html and "萧山电池有限公司" not in html and "第五批" in html and "复核中" in html
    html = client.get(reverse("cultivation:certification-list") + "?level=省级").content.decode()
    assert "萧山电池有限公司" in html and "西湖芯片有限公司" not in html
    html = client.get(reverse("cultivation:certification-list") + "?batch=第五").content.decode()
    assert "西湖芯片有限公司" in html and "萧山电池有限公司" not in html
    response = client.get(reverse("cultivation:certification-export") + "?tier=little_giant")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:6] == ("统一社会信用代码", "企业名称", "所在区划", "层级", "级别", "批次")
    assert len(rows) == 2 and rows[1][1] == "西湖芯片有限公司" and rows[1][3] == "专精特新“小巨人”企业"
    assert rows[1][5] == "第五批" and rows[1][9] == "复核中"


def test_import_template_is_offered(roles):
    client = Client()
    client.force_login(roles["province"])
    response = client.get(reverse("core:import-template", args=["certifications"]))
    assert response.status_code == 200
