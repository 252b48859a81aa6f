"""The cube's services: revisions keep history, current view, releases, comparisons, targets."""

from decimal import Decimal

import pytest

from industrybrain.indicators import services
from industrybrain.indicators.models import Basis, IndicatorTarget, IndicatorValue
from industrybrain.indicators.services import Figure, record_values
from tests.indicators.fixtures import fig, ind, load_report_figures

pytestmark = pytest.mark.django_db


def test_catalogue_seeded_with_the_reports_indicators():
    from industrybrain.indicators.models import Indicator, ReferenceSeries

    names = set(Indicator.objects.filter(is_official=True).values_list("name", flat=True))
    assert names == {"规上工业增加值", "工业投资", "制造业投资", "数字经济核心产业增加值", "工业用电量", "新能源汽车推广量",
                     "5G基站数", "数字化改造覆盖率", "规上工业企业数"}
    assert ind("manufacturing_investment").release_months() == list(range(2, 13))  # no January release
    assert ind("digital_core_value_added").release_months() == [3, 6, 9, 12]
    assert set(ReferenceSeries.objects.values_list("code", flat=True)) == {"national", "eastern"}


def test_a_new_figure_supersedes_and_keeps_history():
    first = record_values([fig("above_scale_value_added", "330000", 2023, 10, "5.5")], source="初报")
    assert (first.created, first.revised) == (1, 0)
    same = record_values([fig("above_scale_value_added", "330000", 2023, 10, "5.50")], source="重复")
    assert same.unchanged == 1 and not same.objects
    revised = record_values([fig("above_scale_value_added", "330000", 2023, 10, "5.6")], source="修订")
    assert revised.revised == 1
    rows = list(services.history(ind("above_scale_value_added"), "330000", 2023, 10))
    assert [(r.revision, r.is_current, r.ytd_yoy_pct, r.source) for r in rows] == [
        (2, True, Decimal("5.60"), "修订"), (1, False, Decimal("5.50"), "初报")]
    current = services.value_for(ind("above_scale_value_added"), "330000", 2023, 10)
    assert current.ytd_yoy_pct == Decimal("5.6")


def test_official_wins_over_derived_and_latest_release():
    va = ind("above_scale_value_added")
    record_values([fig("above_scale_value_added", "330000", 2023, 10, "5.6")], source="统计局")
    record_values([Figure(indicator_id=va.pk, region_id="330000", year=2023, month=10, ytd_yoy_pct=Decimal("6.4"),
                          basis=Basis.DERIVED)], source="测算")
    assert services.value_for(va, "330000", 2023, 10).ytd_yoy_pct == Decimal("5.6")
    assert services.value_for(va, "330000", 2023, 10, Basis.DERIVED).ytd_yoy_pct == Decimal("6.4")
    assert IndicatorValue.objects.current().filter(indicator=va).count() == 2
    digital = ind("digital_core_value_added")
    record_values([fig("digital_core_value_added", "330000", 2023, 9, "10.2")], source="统计局")
    assert services.latest_release(digital, "330000", 2023, 10).month == 9
    assert services.latest_release(digital, "330000", 2024, 10) is None


def test_streak_from_the_cube():
    load_report_figures()
    mfg = ind("manufacturing_investment")
    assert services.region_streak(mfg, "330000", 2023, 10).months == 34
    assert services.region_streak(mfg, "330000", 2023, 12).months == 36


def test_comparisons_with_references_and_province():
    load_report_figures()
    record_values([fig("above_scale_value_added", "330100", 2023, 10, "4.9")], source="测试")
    value = services.value_for(ind("above_scale_value_added"), "330100", 2023, 10)
    results = services.comparisons(value)
    assert [(r.name, r.outcome, r.gap) for r in results] == [
        ("全省", "lower", Decimal("-0.7")), ("全国", "higher", Decimal("0.8")), ("东部", "equal", Decimal("0.0"))]


def test_target_progress():
    record_values([fig("industrial_investment", "330000", 2023, 10, "12.3", ytd_value="850")], source="测试")
    IndicatorTarget.objects.create(indicator=ind("industrial_investment"), region_id="330000", year=2023,
                                   target_value=Decimal("1000"), target_growth_pct=Decimal("13"))
    progress = services.target_progress(ind("industrial_investment"), "330000", 2023, 10)
    assert progress.completion_pct == Decimal("85")
    assert round(progress.progress_gap, 2) == Decimal("1.67")
    assert progress.growth_gap == Decimal("-0.7") and progress.behind
    assert services.target_progress(ind("industrial_investment"), "330100", 2023, 10) is None
