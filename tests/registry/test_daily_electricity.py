"""日用电量 import: wide layout (one row per enterprise-month), errors, scope, audit, and the monthly total."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from industrybrain.core import imports
from industrybrain.core.models import ImportJob, Role
from industrybrain.registry.importers import DAILY_SOURCE, DailyElectricityImporter, fill_monthly_electricity
from industrybrain.registry.models import DailyElectricity, MonthlyFact
from tests import factories
from tests.registry.test_importers import applied_job, checked_job, csv_bytes, errors_of

pytestmark = pytest.mark.django_db

HEADER = ["统一社会信用代码", "年度", "月份", *(f"{d}日" for d in range(1, 32))]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin(db):
    return factories.user("admin", Role.ADMINISTRATOR)


def row(code: str, year: int, month: int, values: dict[int, str] | list[str]) -> list[str]:
    if isinstance(values, list):
        values = dict(enumerate(values, start=1))
    return [code, str(year), str(month), *(values.get(d, "") for d in range(1, 32))]


def days(ent, year, month) -> dict[int, Decimal]:
    return {d.day.day: d.electricity for d in DailyElectricity.objects.filter(
        enterprise=ent, day__year=year, day__month=month)}


def test_import_creates_days_fills_the_month_and_audits(admin):
    ent = factories.enterprise("330106")
    february = ["1.5"] * 28                                 # a complete February 2023: 28 × 1.5 = 42
    october = {1: "2.0000", 2: "0", 3: "1.2345"}            # an incomplete October: no monthly total
    job = applied_job(admin, "daily_electricity", [HEADER, row(ent.uscc, 2023, 2, february),
                                                   row(ent.uscc, 2023, 10, october)])
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.updated_count) == (2, 0)
    assert DailyElectricity.objects.filter(enterprise=ent).count() == 31
    assert days(ent, 2023, 10) == {1: Decimal("2"), 2: Decimal("0"), 3: Decimal("1.2345")}
    fact = MonthlyFact.objects.get(enterprise=ent, year=2023, month=2)
    assert fact.electricity == Decimal("42.00") and fact.source == DAILY_SOURCE
    assert not MonthlyFact.objects.filter(enterprise=ent, year=2023, month=10).exists()
    entries = LogEntry.objects.filter(additional_data__enterprise_id=ent.pk, additional_data__import_job=job.pk)
    summaries = sorted(e.changes["daily_electricity"][1] for e in entries if "daily_electricity" in e.changes)
    assert summaries == ["2023-02：新增28天，更新0天", "2023-10：新增3天，更新0天"]


def test_reimport_updates_changed_days_with_old_and_new_value(admin):
    ent = factories.enterprise("330106")
    applied_job(admin, "daily_electricity", [HEADER, row(ent.uscc, 2023, 10, {1: "2", 2: "3"})])
    job = applied_job(admin, "daily_electricity", [HEADER, row(ent.uscc, 2023, 10, {1: "2", 2: "3.5", 4: "1"})])
    assert (job.created_count, job.updated_count) == (0, 1)
    assert days(ent, 2023, 10) == {1: Decimal("2"), 2: Decimal("3.5"), 4: Decimal("1")}
    entry = LogEntry.objects.filter(additional_data__import_job=job.pk, object_pk=str(ent.pk)).get()
    assert entry.changes["2023-10-02"] == ["3.0000", "3.5000"]
    again = applied_job(admin, "daily_electricity", [HEADER, row(ent.uscc, 2023, 10, {1: "2"})])
    assert (again.created_count, again.updated_count) == (0, 0)  # unchanged rows are not written


def test_reported_monthly_figure_wins_over_the_daily_sum(admin):
    reported, filled = factories.enterprise("330106"), factories.enterprise("330106")
    MonthlyFact.objects.create(enterprise=reported, year=2023, month=2, electricity=Decimal("40.00"), output=Decimal(1))
    MonthlyFact.objects.create(enterprise=filled, year=2023, month=2, output=Decimal("900"))  # no electricity yet
    applied_job(admin, "daily_electricity", [HEADER, row(reported.uscc, 2023, 2, ["1.5"] * 28),
                                             row(filled.uscc, 2023, 2, ["1"] * 28)])
    assert MonthlyFact.objects.get(enterprise=reported, year=2023, month=2).electricity == Decimal("40.00")
    fact = MonthlyFact.objects.get(enterprise=filled, year=2023, month=2)
    assert (fact.electricity, fact.output, fact.source_of("electricity")["source"]) == (
        Decimal("28.00"), Decimal("900"), DAILY_SOURCE)
    # a corrected day refills a month that was filled from daily readings
    applied_job(admin, "daily_electricity", [HEADER, row(filled.uscc, 2023, 2, {5: "3"})])
    assert MonthlyFact.objects.get(enterprise=filled, year=2023, month=2).electricity == Decimal("30.00")
    assert fill_monthly_electricity([(reported.pk, 2023, 2)]) == 0


def test_every_error_has_row_column_and_reason(admin):
    ent = factories.enterprise("330106")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    rows = [HEADER,
            row(ent.uscc, 2023, 2, {29: "1", 30: "1"}),               # 2 row 2: February 2023 has 28 days
            row(ent.uscc, 2023, 3, {1: "-1", 2: "1.23456", 3: "abc"}),  # row 3: negative, 5 decimals, not a number
            row(factories.uscc_for("330106"), 2023, 4, {1: "1"}),      # row 4: unknown enterprise
            row(ent.uscc, 2023, 5, {}),                                 # row 5: no reading at all
            row(ent.uscc, 2023, 2, {1: "1"}),                           # row 6: same enterprise and month as row 2
            row(ent.uscc, tomorrow.year, tomorrow.month, {tomorrow.day: "1"})]
    job = checked_job(admin, "daily_electricity", rows)
    assert job.status == ImportJob.Status.REJECTED
    errors = errors_of(job)
    assert {(2, "29日", "2023年2月只有28天，没有29日"), (2, "30日", "2023年2月只有28天，没有30日"),
            (3, "1日", "不能为负数"), (3, "2日", "最多保留4位小数"), (3, "3日", "“abc”不是有效数字"),
            (4, "统一社会信用代码", "企业不存在，请先导入企业名录"), (5, "1日", "该行没有任何一天的用电量"),
            (6, "月份", "与第2行是同一企业同一月份，重复"),
            (7, f"{tomorrow.day}日", "日期晚于今天，不能填写用电量")} <= errors
    assert not DailyElectricity.objects.exists()


def test_county_officer_only_imports_own_enterprises(db):
    county = factories.user("xihu", Role.COUNTY_OFFICER, "330106")
    own, other = factories.enterprise("330106"), factories.enterprise("330203")
    job = checked_job(county, "daily_electricity", [HEADER, row(own.uscc, 2023, 1, {1: "1"}),
                                                    row(other.uscc, 2023, 1, {1: "1"})])
    assert errors_of(job) == {(3, "统一社会信用代码", "无权导入该地区企业")}


def test_gbk_csv_and_template(admin):
    ent = factories.enterprise("330106")
    data = csv_bytes([HEADER, row(ent.uscc, 2023, 1, {1: "1,234.5"})], encoding="gbk")
    job = applied_job(admin, "daily_electricity", data)
    assert days(ent, 2023, 1) == {1: Decimal("1234.5")}
    assert job.status == ImportJob.Status.DONE
    template = imports.template_xlsx(DailyElectricityImporter)
    assert template.startswith(b"PK") and len(DailyElectricityImporter.columns) == 34


def test_failure_mid_apply_leaves_nothing(admin, monkeypatch):
    ent = factories.enterprise("330106")
    monkeypatch.setattr("industrybrain.registry.importers.fill_monthly_electricity",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    job = checked_job(admin, "daily_electricity", [HEADER, row(ent.uscc, 2023, 2, ["1"] * 28)])
    from industrybrain.core.tasks import queue_import_job

    queue_import_job(job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert not DailyElectricity.objects.exists() and not MonthlyFact.objects.exists()
