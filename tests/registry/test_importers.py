"""Registry importers: enterprises, yearly and monthly facts — happy paths, every error, scope, atomicity."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import xlsxwriter
from auditlog.models import LogEntry
from django.core.files.base import ContentFile
from django.utils import timezone

from industrybrain.core import imports
from industrybrain.core.models import ImportJob, Role
from industrybrain.core.tasks import queue_import_job, run_import_job
from industrybrain.registry.models import Enterprise, MonthlyFact, Ownership, Tag, YearlyFact
from tests import factories

pytestmark = pytest.mark.django_db

ENTERPRISE_HEADER = ["统一社会信用代码", "企业名称", "区划代码", "行业代码", "成立日期", "登记注册类型", "标签", "地址",
                     "法定代表人"]
YEARLY_HEADER = ["统一社会信用代码", "年度", "营业收入（万元）", "主营业务收入（万元）", "从业人员（人）", "研发人员（人）",
                 "利润总额（万元）"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# ----------------------------------------------------------------------------------------------- helpers


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("数据")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    workbook.close()
    return buffer.getvalue()


def checked_job(user, kind: str, rows: list[list] | bytes, name: str = "data.csv") -> ImportJob:
    """Upload + dry run, like the page does."""
    if isinstance(rows, list):
        data = xlsx_bytes(rows) if name.endswith(".xlsx") else csv_bytes(rows)
    else:
        data = rows
    job = ImportJob.objects.create(kind=kind, file=ContentFile(data, name=name), original_name=name,
                                   created_by=user)
    imports.dry_run_job(job)
    job.refresh_from_db()
    return job


def applied_job(user, kind: str, rows, name: str = "data.csv") -> ImportJob:
    job = checked_job(user, kind, rows, name)
    assert job.status == ImportJob.Status.CHECKED, job.errors or job.message
    queue_import_job(job)  # ImmediateBackend in tests: runs now
    job.refresh_from_db()
    return job


def errors_of(job: ImportJob) -> set[tuple[int, str, str]]:
    return {(e["row"], e["column"], e["reason"]) for e in job.errors}


def enterprise_row(code: str, name: str = "新导入企业有限公司", region: str = "330106", industry: str = "3973",
                   founded="2018-06-01", ownership="民营", tags="", address="西湖区文三路1号", legal="张三") -> list:
    return [code, name, region, industry, founded, ownership, tags, address, legal]


@pytest.fixture
def admin(db):
    return factories.user("admin", Role.ADMINISTRATOR)


@pytest.fixture
def county(db):
    return factories.user("county", Role.COUNTY_OFFICER, "330106")


# ----------------------------------------------------------------------------------------- enterprises


@pytest.mark.parametrize("name", ["new.csv", "new.xlsx"])
def test_enterprise_import_creates_enterprises_with_audit(admin, name):
    Tag.objects.create(code="hitech", name="高新技术企业")
    Tag.objects.create(code="sme-tech", name="科技型中小企业")
    first, second = factories.uscc_for("330106"), factories.uscc_for("330109")
    rows = [ENTERPRISE_HEADER,
            enterprise_row(first, "西湖导入科技有限公司", tags="高新技术企业、科技型中小企业"),
            enterprise_row(second, "萧山导入电池有限公司", region="330109", industry="3841", ownership="外资",
                           founded=dt.date(2015, 3, 4) if name.endswith("xlsx") else "2015/03/04")]
    job = applied_job(admin, "enterprises", rows, name)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.updated_count, job.total_rows) == (2, 0, 2)
    one = Enterprise.objects.get(uscc=first)
    assert one.name == "西湖导入科技有限公司" and one.region_id == "330106" and one.industry_id == "3973"
    assert one.founded_on == dt.date(2018, 6, 1) and one.ownership == Ownership.PRIVATE
    assert set(one.tags.values_list("code", flat=True)) == {"hitech", "sme-tech"}
    two = Enterprise.objects.get(uscc=second)
    assert two.founded_on == dt.date(2015, 3, 4) and two.ownership == Ownership.FOREIGN
    entry = LogEntry.objects.get_for_object(one).filter(action=LogEntry.Action.CREATE).get()
    assert entry.actor == admin and entry.additional_data["import_job"] == job.pk
    assert entry.changes["name"] == ["None", "西湖导入科技有限公司"]
    assert LogEntry.objects.get_for_object(job).exists()  # the summary entry


def test_enterprise_import_updates_by_uscc_and_empty_cells_change_nothing(admin, xihu_enterprise):
    xihu_enterprise.address = "旧地址"
    xihu_enterprise.legal_representative = "李四"
    xihu_enterprise.save()
    rows = [ENTERPRISE_HEADER,
            enterprise_row(xihu_enterprise.uscc, "西湖芯片股份有限公司", founded="", ownership="", address="",
                           legal="王五")]
    job = applied_job(admin, "enterprises", rows)
    assert (job.created_count, job.updated_count) == (0, 1)
    xihu_enterprise.refresh_from_db()
    assert xihu_enterprise.name == "西湖芯片股份有限公司"
    assert xihu_enterprise.legal_representative == "王五"
    assert xihu_enterprise.address == "旧地址"  # empty cell: unchanged
    entry = LogEntry.objects.get_for_object(xihu_enterprise).filter(action=LogEntry.Action.UPDATE, actor=admin).get()
    assert entry.changes == {"name": ["西湖芯片有限公司", "西湖芯片股份有限公司"], "legal_representative": ["李四", "王五"]}


def test_unchanged_rows_are_counted_not_written(admin, xihu_enterprise):
    rows = [ENTERPRISE_HEADER, enterprise_row(xihu_enterprise.uscc, xihu_enterprise.name, founded="",
                                              ownership="", address="", legal="")]
    job = applied_job(admin, "enterprises", rows)
    assert (job.created_count, job.updated_count) == (0, 0)
    assert "无变化1条" in job.message
    assert not LogEntry.objects.get_for_object(xihu_enterprise).filter(actor=admin).exists()


def test_gbk_csv_with_bom_free_chinese_is_read(admin):
    code = factories.uscc_for("330106")
    data = csv_bytes([ENTERPRISE_HEADER, enterprise_row(code, "杭州国标编码有限公司")], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    job = applied_job(admin, "enterprises", data, "gbk.csv")
    assert Enterprise.objects.get(uscc=code).name == "杭州国标编码有限公司"
    assert job.created_count == 1


def test_utf8_bom_csv_is_read(admin):
    code = factories.uscc_for("330106")
    data = b"\xef\xbb\xbf" + csv_bytes([ENTERPRISE_HEADER, enterprise_row(code, "带BOM有限公司")])
    applied_job(admin, "enterprises", data, "bom.csv")
    assert Enterprise.objects.filter(uscc=code, name="带BOM有限公司").exists()


def test_every_enterprise_error_is_reported_with_row_column_reason(admin):
    Tag.objects.create(code="hitech", name="高新技术企业")
    good = factories.uscc_for("330106")
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        ENTERPRISE_HEADER,
        enterprise_row(bad_check),                                          # 2: checksum
        enterprise_row(factories.uscc_for("330106"), name=""),              # 3: required empty
        enterprise_row(factories.uscc_for("330106"), region="339999"),      # 4: unknown region
        enterprise_row(factories.uscc_for("330106"), region="330000"),      # 5: province level
        enterprise_row(factories.uscc_for("330106"), industry="9999"),      # 6: unknown industry
        enterprise_row(factories.uscc_for("330106"), industry="C"),         # 7: 门类 only
        enterprise_row(factories.uscc_for("330106"), founded="2020-13-01"),  # 8: bad date
        enterprise_row(factories.uscc_for("330106"), founded="2999-01-01"),  # 9: future date
        enterprise_row(factories.uscc_for("330106"), ownership="集体"),      # 10: unknown ownership
        enterprise_row(factories.uscc_for("330106"), tags="高新技术企业、独角兽"),  # 11: unknown tag
        enterprise_row(factories.uscc_for("330106"), name="长" * 201),       # 12: too long
        enterprise_row("1234"),                                              # 13: wrong length
        enterprise_row(good),                                                # 14: fine
        enterprise_row(good, name="重复企业"),                                # 15: duplicate of row 14
    ]
    job = checked_job(admin, "enterprises", rows)
    assert job.status == ImportJob.Status.REJECTED
    assert errors_of(job) == {
        (2, "统一社会信用代码", "统一社会信用代码校验位错误（第18位）"),
        (3, "企业名称", "必填项为空"),
        (4, "区划代码", "区划代码“339999”不存在"),
        (5, "区划代码", "区划代码应为县级（或地市级）代码，不能是省级代码"),
        (6, "行业代码", "行业代码“9999”不在GB/T 4754-2017中"),
        (7, "行业代码", "“C”是门类，请填写4位小类代码（GB/T 4754-2017），至少到大类"),
        (8, "成立日期", "“2020-13-01”不是有效日期"),
        (9, "成立日期", "日期不能晚于今天"),
        (10, "登记注册类型", "“集体”不是可选值，应为：国有、民营、外资、港澳台、央企"),
        (11, "标签", "标签不存在：独角兽（请先由管理员建立标签）"),
        (12, "企业名称", "长度不能超过200个字符（实际201个）"),
        (13, "统一社会信用代码", "统一社会信用代码应为18位，实际为4位"),
        (15, "统一社会信用代码", "与第14行的统一社会信用代码重复"),
    }
    assert job.error_count == 13
    assert "13行有错误" in job.message
    assert not Enterprise.objects.exists()  # the dry run never writes registry data


def test_xlsx_row_numbers_count_blank_rows(admin):
    rows = [ENTERPRISE_HEADER, enterprise_row(factories.uscc_for("330106")), [None] * 9,
            enterprise_row(factories.uscc_for("330106"), region="339999")]
    job = checked_job(admin, "enterprises", rows, "gap.xlsx")
    assert errors_of(job) == {(4, "区划代码", "区划代码“339999”不存在")}
    assert job.total_rows == 2


def test_county_officer_cannot_import_outside_own_subtree(county, city_enterprise):
    inside, outside = factories.uscc_for("330106"), factories.uscc_for("330109")
    rows = [ENTERPRISE_HEADER,
            enterprise_row(inside),
            enterprise_row(outside, region="330109"),  # a new enterprise in 萧山
            enterprise_row(city_enterprise.uscc, region="330106")]  # moving 萧山's enterprise into 西湖
    job = checked_job(county, "enterprises", rows)
    assert job.status == ImportJob.Status.REJECTED
    assert errors_of(job) == {
        (3, "区划代码", "无权导入该地区企业"),
        (4, "统一社会信用代码", "无权导入该地区企业（该企业登记在您的辖区之外）"),
    }
    assert not Enterprise.objects.filter(uscc__in=[inside, outside]).exists()
    city_enterprise.refresh_from_db()
    assert city_enterprise.region_id == "330109"


def test_city_officer_may_import_into_its_counties(db):
    city = factories.user("city", Role.CITY_OFFICER, "330100")
    code = factories.uscc_for("330109")
    job = applied_job(city, "enterprises", [ENTERPRISE_HEADER, enterprise_row(code, region="330109")])
    assert job.status == ImportJob.Status.DONE
    assert Enterprise.objects.get(uscc=code).region_id == "330109"


def test_tags_replace_existing_tags(admin, xihu_enterprise):
    old = Tag.objects.create(code="old", name="旧标签")
    new = Tag.objects.create(code="new", name="新标签")
    xihu_enterprise.tags.add(old)
    applied_job(admin, "enterprises", [ENTERPRISE_HEADER, enterprise_row(
        xihu_enterprise.uscc, xihu_enterprise.name, tags="新标签", founded="", ownership="", address="", legal="")])
    assert list(xihu_enterprise.tags.all()) == [new]


# ------------------------------------------------------------------------------------------ atomicity


def test_failure_mid_apply_leaves_nothing(admin, monkeypatch):
    rows = [ENTERPRISE_HEADER] + [enterprise_row(factories.uscc_for("330106"), f"企业{i}") for i in range(30)]
    job = checked_job(admin, "enterprises", rows)
    assert job.status == ImportJob.Status.CHECKED

    def explode(self):
        raise RuntimeError("磁盘已满")

    # the enterprises are already inserted when the audit entries are flushed at the end
    monkeypatch.setattr(imports.AuditWriter, "flush", explode)
    queue_import_job(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "已全部回滚" in job.message and "磁盘已满" in job.message
    assert not Enterprise.objects.exists()
    assert not LogEntry.objects.filter(actor=admin).exists()
    assert (job.created_count, job.updated_count) == (0, 0)


def test_apply_twice_does_nothing_twice(admin):
    code = factories.uscc_for("330106")
    job = applied_job(admin, "enterprises", [ENTERPRISE_HEADER, enterprise_row(code)])
    entries = LogEntry.objects.count()
    assert queue_import_job(job) is False  # already done: not queued again
    run_import_job.call(job.pk)  # a duplicated task delivery: the claim fails, nothing happens
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 1
    assert Enterprise.objects.filter(uscc=code).count() == 1
    assert LogEntry.objects.count() == entries


def test_apply_rechecks_the_file(county):
    """A dry run passed, then the enterprise moved out of the county: the apply refuses and writes nothing."""
    ent = factories.enterprise("330106", "3973")
    job = checked_job(county, "yearly", [YEARLY_HEADER, [ent.uscc, "2023", "100", "", "", "", ""]])
    assert job.status == ImportJob.Status.CHECKED
    Enterprise.objects.filter(pk=ent.pk).update(region_id="330109")
    queue_import_job(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REJECTED
    assert errors_of(job) == {(2, "统一社会信用代码", "无权导入该地区企业")}
    assert "数据已变化" in job.message
    assert not YearlyFact.objects.exists()


# -------------------------------------------------------------------------------------------- yearly


@pytest.mark.parametrize("name", ["facts.csv", "facts.xlsx"])
def test_yearly_import_creates_facts_with_source_and_sizing(admin, xihu_enterprise, name):
    rows = [YEARLY_HEADER, [xihu_enterprise.uscc, 2023, 45000.5, 30000, 1200, 150, -12.25]]
    job = applied_job(admin, "yearly", rows, name)
    assert job.status == ImportJob.Status.DONE, job.message
    fact = YearlyFact.objects.get(enterprise=xihu_enterprise, year=2023)
    assert fact.revenue == Decimal("45000.50") and fact.staff == 1200 and fact.profit == Decimal("-12.25")
    assert fact.source == f"导入：{name}" and fact.import_job == job
    xihu_enterprise.refresh_from_db()
    assert (xihu_enterprise.size_class, xihu_enterprise.above_scale) == ("large", True)
    entry = LogEntry.objects.get_for_object(fact).get()
    assert entry.additional_data == {"enterprise_id": xihu_enterprise.pk, "import_job": job.pk}


def test_yearly_update_records_field_sources_and_keeps_empty_cells(admin, xihu_enterprise):
    fact = factories.yearly_fact(xihu_enterprise, 2023, revenue=Decimal("5000"), main_business_revenue=Decimal("4800"),
                                 staff=120, source="统计局")
    xihu_enterprise.refresh_from_db()
    assert xihu_enterprise.size_class == "small"
    job = applied_job(admin, "yearly", [YEARLY_HEADER, [xihu_enterprise.uscc, "2023", "", "", "350", "", ""]])
    assert (job.created_count, job.updated_count) == (0, 1)
    fact.refresh_from_db()
    assert fact.staff == 350 and fact.revenue == Decimal("5000")
    assert fact.source == "统计局"  # the row keeps its source …
    assert fact.source_of("staff")["source"] == "导入：data.csv"  # … the changed field names the import
    assert fact.source_of("revenue")["source"] == "统计局"
    assert fact.import_job == job
    xihu_enterprise.refresh_from_db()
    assert xihu_enterprise.size_class == "medium"
    entry = LogEntry.objects.get_for_object(fact).filter(actor=admin).get()
    assert entry.changes == {"staff": ["120", "350"]}


def test_yearly_errors(admin, xihu_enterprise, other_enterprises):
    county = factories.user("county", Role.COUNTY_OFFICER, "330106")
    ningbo = other_enterprises[0]
    unknown = factories.uscc_for("330106")
    rows = [
        YEARLY_HEADER,
        [xihu_enterprise.uscc, "2023", "-5", "", "", "", ""],         # 2 negative revenue
        [xihu_enterprise.uscc, "2022", "1.234", "", "", "", ""],      # 3 three decimals
        [xihu_enterprise.uscc, "2021", "", "", "12.5", "", ""],        # 4 non-integer staff
        [xihu_enterprise.uscc, "1980", "", "", "", "", ""],            # 5 year too early
        [xihu_enterprise.uscc, "2020", "abc", "", "", "", ""],         # 6 not a number
        [xihu_enterprise.uscc, "2019", "", "", "10", "20", ""],        # 7 R&D staff > staff
        [unknown, "2023", "1", "", "", "", ""],                        # 8 enterprise not in registry
        [ningbo.uscc, "2023", "1", "", "", "", ""],                    # 9 outside the county
        [xihu_enterprise.uscc, "2018", "1", "", "", "", ""],           # 10 fine
        [xihu_enterprise.uscc, "2018", "2", "", "", "", ""],           # 11 same enterprise and year
        [xihu_enterprise.uscc, "", "1", "", "", "", ""],               # 12 year empty
    ]
    job = checked_job(county, "yearly", rows)
    this_year = timezone.localdate().year
    assert errors_of(job) == {
        (2, "营业收入（万元）", "不能为负数"),
        (3, "营业收入（万元）", "最多保留2位小数"),
        (4, "从业人员（人）", "应为整数"),
        (5, "年度", f"年度应在1990至{this_year}之间"),
        (6, "营业收入（万元）", "“abc”不是有效数字"),
        (7, "研发人员（人）", "研发人员不能多于从业人员"),
        (8, "统一社会信用代码", "企业不存在，请先导入企业名录"),
        (9, "统一社会信用代码", "无权导入该地区企业"),
        (11, "年度", "与第10行是同一企业同一期间，重复"),
        (12, "年度", "必填项为空"),
    }
    assert not YearlyFact.objects.exists()


def test_yearly_missing_columns_are_named(admin):
    job = checked_job(admin, "yearly", [["统一社会信用代码", "营业收入（万元）"], ["x", "1"]])
    assert job.status == ImportJob.Status.REJECTED
    assert job.message == "文件被拒绝：缺少必需的列：年度（请使用下载的模板，表头须在第1行）"


# ------------------------------------------------------------------------------------------- monthly


def test_monthly_import_and_errors(admin, xihu_enterprise):
    header = ["统一社会信用代码", "年度", "月份", "工业总产值（万元）", "工业增加值（可比价）（万元）", "用电量（万千瓦时）"]
    job = applied_job(admin, "monthly", [header, [xihu_enterprise.uscc, "2024", "1", "1200.5", "300", "45.25"],
                                         [xihu_enterprise.uscc, "2024", "2", "1100", "", ""]], "m.xlsx")
    assert job.created_count == 2
    jan = MonthlyFact.objects.get(enterprise=xihu_enterprise, year=2024, month=1)
    assert (jan.output, jan.value_added, jan.electricity) == (Decimal("1200.50"), Decimal("300"), Decimal("45.25"))
    assert MonthlyFact.objects.get(month=2).value_added is None
    today = timezone.localdate()
    next_month = (today.year + (today.month == 12), today.month % 12 + 1)
    bad = checked_job(admin, "monthly", [header, [xihu_enterprise.uscc, "2024", "13", "1", "", ""],
                                         [xihu_enterprise.uscc, str(next_month[0]), str(next_month[1]), "1", "", ""],
                                         [xihu_enterprise.uscc, "2024", "1", "", "", "-1"]])
    errors = errors_of(bad)
    assert (2, "月份", "月份应为1至12") in errors
    assert (4, "用电量（万千瓦时）", "不能为负数") in errors
    if next_month[0] == today.year:
        assert (3, "月份", "月份不能晚于本月") in errors
    else:
        assert (3, "年度", f"年度应在1990至{today.year}之间") in errors
