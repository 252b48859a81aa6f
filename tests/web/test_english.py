"""The English switch: pages render in English once the user picks it, Chinese otherwise; the catalogue is complete.

The English pages need the compiled catalogue (`make messages`, which `make test` runs through `install`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from industrybrain.projects.models import Project
from tests import factories

PO = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[-#0 +]*\d*(?:\.\d+)?[sdf]|\{[a-z_]*\}")


# ------------------------------------------------------------------------------------ the catalogue

def parse_po(path: Path) -> list[dict]:
    """A tiny .po reader: each entry's flags, msgid and msgstr (no plural forms are used)."""
    entries: list[dict] = []
    entry: dict | None = None
    key = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            entry = None
            continue
        if entry is None:
            entry = {"flags": set(), "msgid": "", "msgstr": "", "obsolete": False}
            entries.append(entry)
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid_plural", "msgstr[")):
            raise AssertionError(f"plural entries are not expected: {line}")
        elif line.startswith("msgid "):
            key, entry["msgid"] = "msgid", ast.literal_eval(line[6:])
        elif line.startswith("msgstr "):
            key, entry["msgstr"] = "msgstr", ast.literal_eval(line[7:])
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
    return entries


def messages() -> list[dict]:
    return [e for e in parse_po(PO) if e["msgid"] and not e["obsolete"]]


def test_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = messages()
    assert len(entries) > 500
    untranslated = [e["msgid"] for e in entries if not e["msgstr"].strip()]
    fuzzy = [e["msgid"] for e in parse_po(PO) if "fuzzy" in e["flags"]]
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_translations_are_english_and_keep_their_placeholders():
    for entry in messages():
        msgid, msgstr = entry["msgid"], entry["msgstr"]
        assert not CJK.search(msgstr), f"Chinese left in the English of {msgid!r}: {msgstr!r}"
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid


def test_po_reader_sees_fuzzy_and_empty(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: en\\n"\n\n#, fuzzy, python-format\nmsgid "第 %(n)s 页"\n'
                  'msgstr "Page %(n)s"\n\nmsgid "企业"\n"库"\nmsgstr ""\n', encoding="utf-8")
    entries = [e for e in parse_po(po) if e["msgid"]]
    assert entries[0]["flags"] == {"fuzzy", "python-format"}
    assert entries[1] == {"flags": set(), "msgid": "企业库", "msgstr": "", "obsolete": False}


# ------------------------------------------------------------------------------------------ pages

@pytest.fixture
def officer_client(client, roles):
    client.force_login(roles["province"])
    return client


@pytest.fixture
def english(officer_client):
    assert MO.exists(), "the English catalogue is not compiled: run `make messages`"
    response = officer_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return officer_client


@pytest.fixture
def enterprise(xihu_enterprise):
    factories.yearly_fact(xihu_enterprise, 2023)
    return xihu_enterprise


@pytest.fixture
def project(xihu_enterprise):
    return Project.objects.create(code="EN000001", name="测试项目", region_id="330106", enterprise=xihu_enterprise,
                                  investor_name=xihu_enterprise.name, investor_uscc=xihu_enterprise.uscc,
                                  total_investment=50000)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


NAVIGATION_EN = ["Home", "Enterprise registry", "Operation monitoring", "Tiered cultivation", "Policy delivery",
                 "Major projects", "Data import", "Working calendar"]
NAVIGATION_ZH = ["首页", "企业库", "运行监测", "梯度培育", "惠企政策", "重大项目", "数据导入", "工作日历"]


@pytest.mark.django_db
def test_home_in_english(english):
    html = page(english, reverse("home"))
    assert '<html lang="en">' in html
    for label in [*NAVIGATION_EN, "Dashboard", "Enterprises in scope", "Above-scale industrial enterprises",
                  "Sign out", "IndustryBrain", "Provincial Economy and IT officer"]:
        assert label in html, label
    for label in ["工作台", "可见企业", "退出", "重大项目", "省经信干部"]:
        assert label not in html, label


@pytest.mark.django_db
def test_enterprise_list_in_english(english, enterprise):
    html = page(english, reverse("registry:enterprise-list"))
    for label in ["Enterprise registry (enterprise profiles)", "Unified social credit code", "Enterprise name",
                  "Export to Excel", "Search", "Reset", "1 enterprises"]:
        assert label in html, label
    for label in ["企业库（一企一档）", "导出Excel", "查询", "统一社会信用代码"]:
        assert label not in html, label
    assert enterprise.name in html  # data stays as entered


@pytest.mark.django_db
def test_enterprise_detail_in_english(english, enterprise):
    html = page(english, reverse("registry:enterprise-detail", args=[enterprise.pk]))
    for label in ["Basic information", "Registration type", "Yearly business data", "Revenue", "Staff",
                  "10,000 yuan", "Change history", "Enterprise registry"]:
        assert label in html, label
    for label in ["基本信息", "登记注册类型", "年度经营数据", "营业收入", "变更记录"]:
        assert label not in html, label


@pytest.mark.django_db
def test_import_pages_in_english(english):
    html = page(english, reverse("core:import-list"))
    for label in ["Data import", "Upload file", "Enterprise directory template", "No imports yet"]:
        assert label in html, label
    html = page(english, reverse("core:import-new"))
    for label in ["Upload an import file", "Import type", "Upload and check", "Enterprise directory"]:
        assert label in html, label
    assert "上传并校验" not in html


@pytest.mark.django_db
def test_projects_in_english(english, project):
    html = page(english, reverse("projects:project-list"))
    for label in ["Major industrial projects: the six lists", "Signed list", "Land acquired list",
                  "In production list", "Project code", "Export to Excel", "Filter"]:
        assert label in html, label
    for label in ["六张清单", "签约清单", "项目编号"]:
        assert label not in html, label
    html = page(english, reverse("projects:project-detail", args=[project.pk]))
    for label in ["Signed list", "Total investment", "Planned and actual milestones", "Transition history"]:
        assert label in html, label


@pytest.mark.django_db
def test_calendar_in_english(english):
    html = page(english, reverse("core:calendar") + "?year=2024")
    for label in ["Working calendar", "Working-day deadline calculator", "Start date", "Calculate"]:
        assert label in html, label
    assert "工作日期限计算" not in html


@pytest.mark.django_db
def test_form_errors_in_english(english):
    response = english.post(reverse("core:import-new"), {"kind": "enterprises"})
    assert "This field is required" in response.content.decode()


@pytest.mark.django_db
def test_chinese_by_default(officer_client, enterprise, project):
    html = page(officer_client, reverse("home"))
    assert '<html lang="zh-hans">' in html
    for label in [*NAVIGATION_ZH, "工作台", "可见企业", "退出", "省经信干部"]:
        assert label in html, label
    assert "Dashboard" not in html and "Enterprise registry" not in html
    assert "企业库（一企一档）" in page(officer_client, reverse("registry:enterprise-list"))
    assert "基本信息" in page(officer_client, reverse("registry:enterprise-detail", args=[enterprise.pk]))
    assert "签约清单" in page(officer_client, reverse("projects:project-list"))
    assert "上传文件" in page(officer_client, reverse("core:import-list"))
    assert "工作日期限计算" in page(officer_client, reverse("core:calendar"))


@pytest.mark.django_db
def test_switching_back_to_chinese(english):
    english.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "工作台" in page(english, reverse("home"))


@pytest.mark.django_db
def test_exports_stay_chinese_in_english(english, enterprise):
    from io import BytesIO

    from openpyxl import load_workbook

    response = english.get(reverse("registry:enterprise-export"))
    body = b"".join(response.streaming_content)
    sheet = load_workbook(BytesIO(body), read_only=True).active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert "统一社会信用代码" in header and "登记注册类型" in header
    row = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert any(value in ("民营", "国有", "外资", "港澳台", "央企") for value in row)


@pytest.mark.django_db
def test_project_export_stays_chinese_in_english(english, project):
    from io import BytesIO

    from openpyxl import load_workbook

    response = english.get(reverse("projects:project-export"))
    body = b"".join(response.streaming_content)
    names = load_workbook(BytesIO(body), read_only=True).sheetnames
    assert "签约清单" in names and not any("list" in name for name in names)


# ------------------------------------------------------------- cultivation and monitoring (second pass)

@pytest.mark.django_db
def test_cultivation_ladder_in_english(english):
    html = page(english, reverse("cultivation:ladder"))
    for label in ["Tiered cultivation of quality enterprises: overview", "Tier overview", "Cultivation pool",
                  "Certificate list", "Expiry reminders", "Innovative SME", "SRDI “Little Giant” enterprise",
                  "Qualified, not certified", "Certifications by year", "Longitude"]:
        assert label in html, label
    for label in ["优质企业梯度培育总览", "梯度总览", "资质名录", "创新型中小企业", "符合未认定", "经度"]:
        assert label not in html, label
    html = page(english, reverse("cultivation:certification-list"))
    for label in ["Tiered cultivation certificate list", "All tiers", "All levels", "National"]:
        assert label in html, label


@pytest.mark.django_db
def test_monitoring_board_and_cockpit_in_english(english):
    html = page(english, reverse("monitoring:board"))
    assert "Ranking board" in html and "Cockpit" in html
    assert "指标晾晒" not in html
    html = page(english, reverse("monitoring:cockpit"))
    for label in ["Industrial economy cockpit", "Ranking board", "Warning letter on weaknesses",
                  "Electricity monitoring", "Bulletin", "Open warning letters", "Cities", "Latitude"]:
        assert label in html, label
    for label in ["工业经济运行驾驶舱", "未销号提示函", "用电监测", "设区市", "纬度"]:
        assert label not in html, label


@pytest.mark.django_db
def test_bulletin_page_in_english(english):
    html = page(english, reverse("monitoring:bulletin"))
    for label in ["Bulletin", "Generate bulletin", "Period"]:
        assert label in html, label
    for label in ["生成简报", "运行简报"]:
        assert label not in html, label


@pytest.mark.django_db
def test_cultivation_and_monitoring_chinese_by_default(officer_client):
    assert "优质企业梯度培育总览" in page(officer_client, reverse("cultivation:ladder"))
    assert "指标晾晒" in page(officer_client, reverse("monitoring:board"))
    html = page(officer_client, reverse("monitoring:cockpit"))
    assert "工业经济运行驾驶舱" in html and "Industrial economy cockpit" not in html
    assert "生成简报" in page(officer_client, reverse("monitoring:bulletin"))
