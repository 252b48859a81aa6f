"""The imports engine (reading, parsers, templates) and the import pages (flow and permissions)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from industrybrain.core import imports
from industrybrain.core.imports import CellError, ImportFileError
from industrybrain.core.models import ImportJob
from industrybrain.registry.importers import EnterpriseImporter, YearlyFactImporter
from industrybrain.registry.models import Enterprise
from tests import factories
from tests.registry.test_importers import (
    ENTERPRISE_HEADER,
    checked_job,
    csv_bytes,
    enterprise_row,
    xlsx_bytes,
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# ---------------------------------------------------------------------------------------------- reading


def test_csv_encodings_are_detected():
    rows = [["统一社会信用代码", "企业名称"], ["X", "杭州某某有限公司"]]
    for data in (csv_bytes(rows), b"\xef\xbb\xbf" + csv_bytes(rows), csv_bytes(rows, "gbk"),
                 "\ufeff统一社会信用代码\t企业名称\r\nX\t杭州某某有限公司\r\n".encode("utf-16")):
        table = imports.read_table(data, "a.CSV")
        assert table.headers == ["统一社会信用代码", "企业名称"]
        assert table.rows == [(2, ["X", "杭州某某有限公司"])]


def test_header_normalisation_and_blank_rows_keep_numbers():
    data = csv_bytes([[" 统一社会信用代码 ", "*企业名称", "营业收入(万元)"], ["a", "b", "1"], ["", "", ""], ["c", "d", "2"]])
    table = imports.read_table(data, "a.csv")
    assert table.headers == ["统一社会信用代码", "企业名称", "营业收入（万元）"]
    assert [number for number, _ in table.rows] == [2, 4]


def test_xlsx_cells_are_read_as_text_with_true_row_numbers():
    data = xlsx_bytes([["年度", "成立日期", "数额", "代码"], [2023, dt.date(2019, 3, 4), 1234.5, "0101"], [None] * 4,
                       ["2024", "2020-01-02", 120, "3973"]])
    table = imports.read_table(data, "a.xlsx")
    assert table.rows == [(2, ["2023", "2019-03-04 00:00:00", "1234.5", "0101"]),
                          (4, ["2024", "2020-01-02", "120", "3973"])]


def test_xlsx_with_a_blank_first_row_is_refused():
    data = xlsx_bytes([[None, None], ["统一社会信用代码", "企业名称"], ["a", "b"]])
    with pytest.raises(ImportFileError, match="第1行应为表头"):
        imports.read_table(data, "a.xlsx")


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "a.csv", "文件为空"),
    (b"xx", "a.xls", "不支持.xls格式，请用Excel另存为.xlsx"),
    (b"xx", "a.pdf", "不支持的文件类型“.pdf”"),
    (b"not a zip", "a.xlsx", "文件不是有效的Excel（.xlsx）文件"),
    (b"PK\x03\x04broken", "a.xlsx", "无法读取Excel文件"),
    ("统一".encode()[:-1] + b"\xff\xfe\x00\x81", "a.csv", "无法识别CSV文件的编码"),
])
def test_bad_files_are_refused_with_a_clear_message(data, name, message):
    with pytest.raises(ImportFileError, match=message):
        imports.read_table(data, name)


@pytest.mark.django_db
def test_missing_and_duplicate_columns_and_empty_files(roles):
    importer = EnterpriseImporter(roles["admin"])
    with pytest.raises(ImportFileError) as missing:
        imports.check_table(importer, imports.read_table(csv_bytes([["企业名称", "地址"], ["a", "b"]]), "a.csv"))
    assert str(missing.value) == "缺少必需的列：统一社会信用代码、区划代码、行业代码（请使用下载的模板，表头须在第1行）"
    with pytest.raises(ImportFileError, match="列“企业名称”出现了不止一次"):
        imports.check_table(importer, imports.read_table(
            csv_bytes([[*ENTERPRISE_HEADER, "企业名称"], enterprise_row("x") + ["y"]]), "a.csv"))
    with pytest.raises(ImportFileError, match="文件中没有数据行"):
        imports.check_table(importer, imports.read_table(csv_bytes([ENTERPRISE_HEADER, [""] * 9]), "a.csv"))


@pytest.mark.django_db
def test_extra_columns_are_ignored_and_named(roles):
    job = checked_job(roles["admin"], "enterprises", [[*ENTERPRISE_HEADER, "备注"],
                                                      enterprise_row(factories.uscc_for("330106")) + ["随便写"]])
    assert job.status == ImportJob.Status.CHECKED
    assert "以下列不属于模板，将被忽略：备注" in job.message
    assert "将新增1条、更新0条" in job.message


# ---------------------------------------------------------------------------------------------- parsers


def test_number_parsers():
    money = imports.decimal_number(2)
    assert money("1,234.5") == Decimal("1234.50")
    assert money("1.5E+3") == Decimal("1500.00")
    for bad, reason in (("1.001", "最多保留2位小数"), ("-1", "不能为负数"), ("1e20", "数值过大"), ("NaN", "不是有效数字"),
                        ("十", "不是有效数字")):
        with pytest.raises(CellError, match=reason):
            money(bad)
    assert imports.decimal_number(2, allow_negative=True)("-3.5") == Decimal("-3.50")
    count = imports.integer()
    assert count("120") == 120 and count("120.0") == 120
    for bad, reason in (("1.5", "应为整数"), ("-2", "不能为负数"), ("3000000000", "不能大于")):
        with pytest.raises(CellError, match=reason):
            count(bad)


def test_date_parser():
    expected = dt.date(2020, 5, 18)
    for value in ("2020-05-18", "2020-5-18", "2020/05/18", "2020.5.18", "2020年5月18日", "20200518",
                  "2020-05-18 00:00:00", "43969", "43969.0"):
        assert imports.date_value(value) == expected, value
    for bad in ("2020-02-30", "18/05/2020", "明天", "3000-01-01"):
        with pytest.raises(CellError):
            imports.date_value(bad)


def test_choice_and_list_parsers():
    parse = imports.choice([("state", "国有"), ("private", "民营")])
    assert parse("国有") == "state" and parse("private") == "private"
    with pytest.raises(CellError, match="应为：国有、民营"):
        parse("集体")
    assert imports.split_list("甲、乙,丙，丁; 戊") == ["甲", "乙", "丙", "丁", "戊"]


# -------------------------------------------------------------------------------------------- templates


@pytest.mark.parametrize("importer", [EnterpriseImporter, YearlyFactImporter])
def test_template_has_headers_and_instructions(importer):
    book = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx(importer)))
    assert book.sheetnames == [importer.label, "填写说明"]
    headers = [cell.value for cell in book.worksheets[0][1]]
    assert headers == [c.header for c in importer.columns]
    notes = book["填写说明"]
    assert [c.value for c in notes[1]] == ["列名", "是否必填", "填写说明", "示例"]
    described = {notes.cell(row=i, column=1).value: notes.cell(row=i, column=2).value
                 for i in range(2, len(importer.columns) + 2)}
    assert described["统一社会信用代码"] == "必填"
    assert all(described[c.header] == ("必填" if c.required else "选填") for c in importer.columns)


@pytest.mark.django_db
def test_a_filled_in_template_imports(roles):
    """The downloaded template, filled in, is accepted as is (header row 1, sheet 1)."""
    book = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx(EnterpriseImporter)))
    sheet = book.worksheets[0]
    code = factories.uscc_for("330106")
    sheet.append(enterprise_row(code, "模板填写有限公司"))
    out = io.BytesIO()
    book.save(out)
    job = checked_job(roles["admin"], "enterprises", out.getvalue(), "模板.xlsx")
    assert job.status == ImportJob.Status.CHECKED, job.errors or job.message


# ---------------------------------------------------------------------------------------------- pages


def upload(client, kind: str, rows, name: str = "data.csv"):
    data = rows if isinstance(rows, bytes) else csv_bytes(rows)
    return client.post(reverse("core:import-new"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["enterprise", "steward", "reviewer"])
def test_non_officers_cannot_open_import_pages(client, roles, role):
    owner_job = checked_job(roles["admin"], "enterprises", [ENTERPRISE_HEADER, enterprise_row("x")])
    client.force_login(roles[role])
    for url in (reverse("core:import-list"), reverse("core:import-new"),
                reverse("core:import-template", args=["enterprises"]),
                reverse("core:import-detail", args=[owner_job.pk]),
                reverse("core:import-errors", args=[owner_job.pk]),
                reverse("core:import-file", args=[owner_job.pk])):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("core:import-apply", args=[owner_job.pk])).status_code == 403
    response = upload(client, "enterprises", [ENTERPRISE_HEADER, enterprise_row(factories.uscc_for("330106"))])
    assert response.status_code == 403
    assert ImportJob.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("core:import-list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_officers_see_only_their_own_jobs(client, roles):
    county_job = checked_job(roles["county"], "enterprises", [ENTERPRISE_HEADER, enterprise_row("x")], "county.csv")
    city_job = checked_job(roles["city"], "enterprises", [ENTERPRISE_HEADER, enterprise_row("y")], "city.csv")
    client.force_login(roles["county"])
    listing = client.get(reverse("core:import-list")).content.decode()
    assert "county.csv" in listing and "city.csv" not in listing
    for url in (reverse("core:import-detail", args=[city_job.pk]), reverse("core:import-errors", args=[city_job.pk]),
                reverse("core:import-file", args=[city_job.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("core:import-apply", args=[city_job.pk])).status_code == 404
    assert client.get(reverse("core:import-detail", args=[county_job.pk])).status_code == 200
    client.force_login(roles["admin"])
    listing = client.get(reverse("core:import-list")).content.decode()
    assert "county.csv" in listing and "city.csv" in listing


@pytest.mark.django_db
def test_upload_dry_run_report_and_error_download(client, roles):
    client.force_login(roles["county"])
    rows = [ENTERPRISE_HEADER, enterprise_row(factories.uscc_for("330106")),
            enterprise_row(factories.uscc_for("330109"), region="330109")]
    response = upload(client, "enterprises", rows)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("core:import-detail", args=[job.pk])
    assert job.status == ImportJob.Status.REJECTED and job.created_by == roles["county"]
    page = client.get(response["Location"]).content.decode()
    assert "无权导入该地区企业" in page and "区划代码" in page
    assert 'data-testid="import-apply"' not in page
    report = client.get(reverse("core:import-errors", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["行号", "列", "错误原因"], [3, "区划代码", "无权导入该地区企业"]]
    assert client.get(reverse("core:import-file", args=[job.pk])).status_code == 200
    assert client.post(reverse("core:import-apply", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REJECTED  # a refused file is never applied
    assert not Enterprise.objects.filter(region_id="330109").exists()


@pytest.mark.django_db
def test_upload_then_apply_in_background(client, roles):
    client.force_login(roles["city"])
    code = factories.uscc_for("330109")
    upload(client, "enterprises", xlsx_bytes([ENTERPRISE_HEADER, enterprise_row(code, region="330109")]), "企业.xlsx")
    job = ImportJob.objects.get()
    page = client.get(reverse("core:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-apply"' in page and "校验通过" in page
    assert not Enterprise.objects.filter(uscc=code).exists()
    response = client.post(reverse("core:import-apply", args=[job.pk]), follow=True)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 1
    assert Enterprise.objects.filter(uscc=code).exists()
    assert "导入完成" in response.content.decode()
    again = client.post(reverse("core:import-apply", args=[job.pk]), follow=True)
    assert "不能再次导入" in again.content.decode()
    assert Enterprise.objects.filter(uscc=code).count() == 1


@pytest.mark.django_db
def test_progress_partial_polls_while_running_and_refreshes_when_done(client, roles):
    job = checked_job(roles["county"], "enterprises", [ENTERPRISE_HEADER, enterprise_row(factories.uscc_for("330106"))])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, processed_rows=1, total_rows=4)
    client.force_login(roles["county"])
    url = reverse("core:import-detail", args=[job.pk]) + "?progress=1"
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    html = partial.content.decode()
    assert 'hx-trigger="every 2s"' in html and "25%" in html and "<html" not in html
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


@pytest.mark.django_db
def test_upload_form_refuses_bad_files(client, roles):
    client.force_login(roles["province"])
    response = upload(client, "enterprises", b"x", "old.xls")
    assert response.status_code == 200 and "不支持.xls旧格式" in response.content.decode()
    response = upload(client, "enterprises", b"", "empty.csv")
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0
    response = upload(client, "enterprises", csv_bytes([["企业名称"], ["某公司"]]), "bad.csv")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    assert "缺少必需的列：统一社会信用代码、区划代码、行业代码" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_template_download(client, roles):
    client.force_login(roles["county"])
    response = client.get(reverse("core:import-template", args=["monthly"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.worksheets[0][1]][:3] == ["统一社会信用代码", "年度", "月份"]
    assert client.get(reverse("core:import-template", args=["nothing"])).status_code == 404


# ------------------------------------------------------------------------------------- after apply

@pytest.mark.django_db
def test_import_applied_is_sent_after_commit_with_the_touched_enterprises(roles, xihu_enterprise,
                                                                         django_capture_on_commit_callbacks):
    from tests.registry.test_importers import YEARLY_HEADER, applied_job

    received = []

    def receiver(sender, job, enterprise_ids, **kwargs):
        received.append((sender, job.pk, job.status, enterprise_ids))

    imports.import_applied.connect(receiver)
    try:
        code = factories.uscc_for("330106")
        with django_capture_on_commit_callbacks(execute=True):
            job = applied_job(roles["admin"], "enterprises", [ENTERPRISE_HEADER, enterprise_row(code)])
        created = Enterprise.objects.get(uscc=code)
        assert received == [(EnterpriseImporter, job.pk, ImportJob.Status.DONE, frozenset({created.pk}))]
        received.clear()
        with django_capture_on_commit_callbacks(execute=True):
            job = applied_job(roles["admin"], "yearly", [YEARLY_HEADER, [xihu_enterprise.uscc, 2023, 100, 90, 10, 1, 5],
                                                         [code, 2023, 200, 180, 20, 2, 8]])
        assert received == [(YearlyFactImporter, job.pk, ImportJob.Status.DONE,
                             frozenset({created.pk, xihu_enterprise.pk}))]
        received.clear()
        # a refused import sends nothing
        with django_capture_on_commit_callbacks(execute=True):
            bad = checked_job(roles["admin"], "yearly", [YEARLY_HEADER, ["91330106MA00000000", 2023, 1, 1, 1, 1, 1]])
        assert bad.status != ImportJob.Status.CHECKED and received == []
    finally:
        imports.import_applied.disconnect(receiver)
