"""运行简报: golden sentences from the report's own figures (fixtures in tests/indicators/fixtures.py)."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from industrybrain.core.models import Region
from industrybrain.indicators import calc
from industrybrain.indicators.services import ComparisonResult, record_values
from industrybrain.monitoring.bulletin import build_bulletin, comparison_phrase, growth_phrase, render_docx
from tests.indicators.fixtures import fig, load_report_figures

pytestmark = pytest.mark.django_db

ZHEJIANG_1_10 = ("1-10月份，浙江省规上工业增加值同比增长5.6%，好于全国、高于东部；制造业投资增长16.2%，"
                 "连续34个月两位数增长；1-9月份，数字经济核心产业增加值同比增长10.2%。")


@pytest.fixture
def report(db):
    load_report_figures()


def region(code):
    return Region.objects.get(pk=code)


def test_zhejiang_october_2023_is_the_reports_sentence(report):
    """Seed report: "1-10月份，浙江省规上工业增加值同比增长5.6%，好于全国、高于东部；制造业投资增长16.2%，
    连续34个月两位数增长；1-9月份，数字经济核心产业增加值同比增长10.2%"."""
    bulletin = build_bulletin(region("330000"), 2023, 10)
    assert bulletin.paragraphs == [ZHEJIANG_1_10]
    assert bulletin.title == "浙江省2023年1-10月份工业经济运行简报"


def test_zhejiang_december_2023_streak_36(report):
    bulletin = build_bulletin(region("330000"), 2023, 12)
    assert bulletin.paragraphs == ["1-12月份，浙江省规上工业增加值同比增长6.0%；制造业投资增长14.1%，连续36个月两位数增长；"
                                   "1-9月份，数字经济核心产业增加值同比增长10.2%。"]


def test_shanghai_october_2023(report):
    """Seed report: "1-10月份，上海市工业投资同比增长9.9%"; compared with 全国 9.0 and 东部 8.4 (fixture values)."""
    assert build_bulletin(region("310000"), 2023, 10).paragraphs == [
        "1-10月份，上海市工业投资同比增长9.9%，好于全国、高于东部。"]


def test_city_compares_with_province_first(report):
    record_values([fig("above_scale_value_added", "330100", 2023, 10, "4.1")], source="测试")
    assert build_bulletin(region("330100"), 2023, 10).paragraphs == [
        "1-10月份，杭州市规上工业增加值同比增长4.1%，低于全省、与全国持平、低于东部。"]


def test_decline_and_flat_verbs(report):
    record_values([fig("industrial_investment", "330000", 2023, 10, "-2.35"),
                   fig("above_scale_value_added", "330100", 2023, 10, "0.04")], source="测试")
    text = build_bulletin(region("330000"), 2023, 10).paragraphs[0]
    assert "工业投资下降2.4%，低于全国和东部；" in text
    assert build_bulletin(region("330100"), 2023, 10).paragraphs[0].startswith("1-10月份，杭州市规上工业增加值同比持平，")


def test_streak_below_twelve_months_not_mentioned(report):
    record_values([fig("manufacturing_investment", "330000", 2023, 2, "9.9")], source="测试：修订")
    text = build_bulletin(region("330000"), 2023, 10).paragraphs[0]
    assert "制造业投资增长16.2%；" in text and "连续" not in text


def test_a_revision_changes_the_bulletin(report):
    record_values([fig("above_scale_value_added", "330000", 2023, 10, "5.7")], source="测试：修订")
    assert "同比增长5.7%" in build_bulletin(region("330000"), 2023, 10).paragraphs[0]


def test_levels_and_targets_paragraphs(report):
    from industrybrain.indicators.models import Indicator, IndicatorTarget

    record_values([fig("digital_upgrade_coverage", "330000", 2023, 9, None, ytd_value="72.6"),
                   fig("base_stations_5g", "330000", 2023, 10, "32.4", ytd_value="192019"),
                   fig("industrial_investment", "330000", 2023, 10, "12.3", ytd_value="850")], source="测试")
    IndicatorTarget.objects.create(indicator=Indicator.objects.get(code="industrial_investment"), region_id="330000",
                                   year=2023, target_value=Decimal("1000"))
    IndicatorTarget.objects.create(indicator=Indicator.objects.get(code="above_scale_value_added"),
                                   region_id="330000", year=2023, target_growth_pct=Decimal("6.0"))
    paragraphs = build_bulletin(region("330000"), 2023, 10).paragraphs
    assert paragraphs[1] == "截至10月底，浙江省5G基站数192,019个，同比增长32.4%；数字化改造覆盖率（截至9月底）达72.6%。"
    assert paragraphs[2] == ("对照年度目标，规上工业增加值增速低于年度目标（6.0%）0.4个百分点；"
                             "工业投资完成年度目标的85.0%，超过时间进度1.7个百分点。")


def test_phrases():
    assert growth_phrase(Decimal("5.6"), True) == "同比增长5.6%"
    assert growth_phrase(Decimal("-0.25")) == "下降0.3%"
    assert growth_phrase(Decimal("-0.04")) == "持平"

    def c(name, style, outcome):
        return ComparisonResult(name, style, Decimal(0), outcome, Decimal(0))

    higher, lower, equal = calc.Comparison.HIGHER, calc.Comparison.LOWER, calc.Comparison.EQUAL
    assert comparison_phrase([c("全国", "judgement", higher), c("东部", "magnitude", higher)]) == "好于全国、高于东部"
    assert comparison_phrase([c("全省", "magnitude", lower), c("全国", "judgement", lower),
                              c("东部", "magnitude", lower)]) == "低于全省、全国和东部"
    assert comparison_phrase([c("全国", "judgement", equal), c("东部", "magnitude", equal)]) == "与全国和东部持平"
    # lower is better (e.g. an energy-intensity indicator): below the reference is the better outcome
    assert comparison_phrase([c("全国", "judgement", lower)], "lower") == "好于全国"


def test_docx_contains_the_text(report):
    from docx import Document

    data = render_docx(build_bulletin(region("330000"), 2023, 10), issuer="浙江省经济和信息化厅")
    document = Document(BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert ZHEJIANG_1_10 in texts
    assert "浙江省2023年1-10月份工业经济运行简报" in texts
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "制造业投资" in cells and "16.2" in cells


def test_page_and_docx_scoped(report, client, roles):
    county = roles["county"]
    client.force_login(county)
    url = reverse("monitoring:bulletin")
    assert client.get(url, {"region": "330000", "period": "2023-10"}).status_code == 404
    assert client.get(url, {"region": "330106", "period": "2023-10"}).status_code == 200
    assert client.get(reverse("monitoring:bulletin-docx"), {"region": "330000", "period": "2023-10"}).status_code == 404
    client.force_login(roles["province"])
    response = client.get(url, {"region": "330000", "period": "2023-10"})
    assert response.status_code == 200
    assert ZHEJIANG_1_10 in response.content.decode()
    docx = client.get(reverse("monitoring:bulletin-docx"), {"region": "330000", "period": "2023-10"})
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    client.logout()
    assert client.get(url).status_code == 302


def test_cli_prints_and_saves(report, tmp_path, capsys):
    out = tmp_path / "b.docx"
    call_command("ib_bulletin", "--region", "330000", "--period", "2023-10", "--docx", str(out))
    printed = capsys.readouterr().out
    assert ZHEJIANG_1_10 in printed and out.read_bytes().startswith(b"PK")
    with pytest.raises(CommandError) as bad:
        call_command("ib_bulletin", "--region", "999999", "--period", "2023-10")
    assert bad.value.returncode == 2
    with pytest.raises(CommandError) as empty:
        call_command("ib_bulletin", "--region", "330106", "--period", "2023-10")
    assert empty.value.returncode == 1
