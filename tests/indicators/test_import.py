"""Official figures in the statistics bureau's layout (kind "indicators"): template, dry run, all or nothing."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from industrybrain.core import imports
from industrybrain.core.imports import CellError
from industrybrain.core.models import ImportJob
from industrybrain.indicators.importers import IndicatorImporter, parse_period
from industrybrain.indicators.models import IndicatorValue
from tests.registry.test_importers import applied_job, checked_job, errors_of, xlsx_bytes

pytestmark = pytest.mark.django_db
HEADER = ["地区代码", "地区", "指标", "期别", "本月", "累计", "同比%", "累计同比%"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_period_forms():
    assert parse_period("2023年1-10月") == (2023, 10)
    assert parse_period("2023年1—10月份") == (2023, 10)
    assert parse_period("2023年10月") == (2023, 10)
    assert parse_period("2023-10") == (2023, 10)
    assert parse_period("202310") == (2023, 10)
    assert parse_period("2023年全年") == (2023, 12)
    assert parse_period("2023年1-2月") == (2023, 2)
    for bad, reason in (("2023年3-10月", "累计数应从1月起算"), ("2023-13", "月份应为1至12"), ("十月", "不是有效期别"),
                        ("2999-01", "晚于当前月份")):
        with pytest.raises(CellError, match=reason):
            parse_period(bad)


def test_template_is_the_bureau_layout():
    book = openpyxl.load_workbook(io.BytesIO(imports.template_xlsx(IndicatorImporter)))
    assert [c.value for c in book.worksheets[0][1]][:8] == HEADER


def test_import_applies_and_a_second_file_revises(roles):
    rows = [HEADER,
            ["330000", "浙江省", "规上工业增加值", "2023年1-10月", "2100.5", "18230.7", "4.2", "5.6"],
            ["", "杭州市", "制造业投资", "2023年1-2月", "—", "120.4", "", "18.0%"],
            ["310000", "", "industrial_investment", "2023-10", "", "", "", "9.9"]]
    job = applied_job(roles["admin"], "indicators", rows, "统计月报.xlsx")
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.updated_count) == (3, 0)
    va = IndicatorValue.objects.get(region_id="330000", indicator__code="above_scale_value_added")
    assert (str(va.ytd_yoy_pct), str(va.yoy_pct), va.import_job_id, va.source) == ("5.60", "4.20", job.pk,
                                                                                    "导入：统计月报.xlsx")
    mfg = IndicatorValue.objects.get(region_id="330100", indicator__code="manufacturing_investment")
    assert (mfg.month, mfg.month_value, str(mfg.ytd_yoy_pct)) == (2, None, "18.00")
    second = applied_job(roles["admin"], "indicators", [HEADER, rows[1][:7] + ["5.7"], rows[3]], "修订.xlsx")
    assert (second.created_count, second.updated_count) == (0, 1)
    history = IndicatorValue.objects.filter(region_id="330000").order_by("revision")
    assert [(h.revision, h.is_current, str(h.ytd_yoy_pct)) for h in history] == [(1, False, "5.60"), (2, True, "5.70")]


def test_dry_run_reports_every_error_in_chinese_and_writes_nothing(roles):
    rows = [HEADER,
            ["330000", "", "工业投资", "2023年1月", "", "", "", "5.0"],          # no January release
            ["330000", "", "数字经济核心产业增加值", "2023年1-10月", "", "", "", "10.0"],  # quarterly
            ["999999", "", "规上工业增加值", "2023-10", "", "", "", "5.0"],
            ["330100", "宁波市", "规上工业增加值", "2023-10", "", "", "", "5.0"],
            ["", "", "规上工业增加值", "2023-10", "", "", "", "5.0"],
            ["330000", "", "不存在的指标", "2023-10", "", "", "", "5.0"],
            ["330000", "", "规上工业增加值", "2023-10", "", "", "", ""],
            ["330000", "", "规上工业增加值", "2023-10", "abc", "", "", "5.0"],
            ["330000", "", "制造业投资", "2023年1-10月", "", "", "", "16.2"],
            ["330000", "", "制造业投资", "2023-10", "", "", "", "16.3"]]
    job = checked_job(roles["admin"], "indicators", rows, "bad.xlsx")
    assert job.status == ImportJob.Status.REJECTED
    errors = errors_of(job)
    assert (2, "期别", "“工业投资”无1月数据，首次发布为1-2月合并数，请填写2023年1-2月") in errors
    assert (3, "期别", "“数字经济核心产业增加值”按季度发布，期别月份应为3、6、9或12月") in errors
    assert (4, "地区代码", "行政区划代码“999999”不存在") in errors
    assert (5, "地区", "地区“宁波市”与地区代码330100（杭州市）不一致") in errors
    assert (6, "地区代码", "地区代码和地区至少填写一项") in errors
    assert (7, "指标", "指标“不存在的指标”不在指标目录中（请先在指标目录中新增）") in errors
    assert (8, "累计同比%", "本月、累计、同比%、累计同比%至少填写一项") in errors
    assert (9, "本月", "“abc”不是有效数字") in errors
    assert (11, "期别", "与第10行重复（同一地区、指标、期别只能出现一次）") in errors
    assert {e[0] for e in errors} == set(range(2, 10)) | {11}
    assert not IndicatorValue.objects.exists()


def test_officers_import_only_their_region(roles):
    rows = [HEADER, ["330106", "", "规上工业增加值", "2023-10", "", "", "", "5.0"],
            ["330000", "", "规上工业增加值", "2023-10", "", "", "", "5.6"]]
    job = checked_job(roles["county"], "indicators", rows, "x.xlsx")
    assert errors_of(job) == {(3, "地区代码", "无权导入该地区数据（浙江省不在您的管辖范围内）")}
    assert not IndicatorValue.objects.exists()


def test_cli_import_indicators(roles, tmp_path, capsys):
    """`industrybrain import indicators FILE [--dry-run]` dispatches through the importer registry."""
    path = tmp_path / "月报.xlsx"
    path.write_bytes(xlsx_bytes([HEADER, ["330000", "", "规上工业增加值", "2023年1-10月", "", "", "", "5.6"]]))
    call_command("ib_import", "indicators", str(path), "--dry-run", "--user", roles["province"].username)
    assert not IndicatorValue.objects.exists()
    call_command("ib_import", "indicators", str(path), "--user", roles["province"].username)
    assert str(IndicatorValue.objects.get().ytd_yoy_pct) == "5.60"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes([HEADER, ["330000", "", "规上工业增加值", "2023年3-10月", "", "", "", "5.6"]]))
    with pytest.raises(CommandError):
        call_command("ib_import", "indicators", str(bad), "--user", roles["province"].username)
    assert "累计数应从1月起算" in capsys.readouterr().out
