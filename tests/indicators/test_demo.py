"""Demo figures reproduce the report's headline figures at any demo size (indicators/demo_data.py)."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from industrybrain.core.models import Region
from industrybrain.demo.build import DemoContext
from industrybrain.indicators import demo_data, services
from industrybrain.indicators.models import Basis, IndicatorTarget, IndicatorValue, ReferenceValue
from industrybrain.monitoring.bulletin import build_bulletin
from tests.indicators.fixtures import ind

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    demo_data.build(DemoContext(enterprises=500, seed=2023))


def ytd(code, region, year, month):
    return services.value_for(ind(code), region, year, month, Basis.OFFICIAL).ytd_yoy_pct


def test_headline_figures(demo):
    assert ytd("above_scale_value_added", "330000", 2023, 10) == Decimal("5.6")
    assert ytd("above_scale_value_added", "330000", 2023, 12) == Decimal("6.0")
    assert ytd("manufacturing_investment", "330000", 2023, 10) == Decimal("16.2")
    assert ytd("manufacturing_investment", "330000", 2023, 12) == Decimal("14.1")
    assert ytd("digital_core_value_added", "330000", 2023, 9) == Decimal("10.2")
    assert ytd("industrial_investment", "310000", 2023, 10) == Decimal("9.9")
    mfg = ind("manufacturing_investment")
    assert services.region_streak(mfg, "330000", 2023, 10).months == 34
    assert services.region_streak(mfg, "330000", 2023, 12).months == 36
    assert not IndicatorValue.objects.filter(indicator=mfg, month=1).exists()  # no January release
    text = build_bulletin(Region.objects.get(pk="330000"), 2023, 10).paragraphs[0]
    assert text.startswith("1-10月份，浙江省规上工业增加值同比增长5.6%，好于全国、高于东部；")
    assert "制造业投资增长16.2%，好于全国、高于东部，连续34个月两位数增长；" in text
    assert text.endswith("1-9月份，数字经济核心产业增加值同比增长10.2%。")


def test_levels_add_up_the_region_tree(demo):
    va = ind("industrial_investment")
    rows = IndicatorValue.objects.current().filter(indicator=va, year=2023, month=10, basis=Basis.OFFICIAL)
    province = rows.get(region_id="330000").ytd_value
    cities = rows.filter(region__parent_id="330000").aggregate(s=Sum("ytd_value"))["s"]
    counties = rows.filter(region__level=Region.Level.COUNTY, region__path__startswith="330000/").aggregate(
        s=Sum("ytd_value"))["s"]
    assert abs(province - cities) < Decimal("0.2") and abs(province - counties) < Decimal("1")
    assert rows.filter(region__path__startswith="330000/").count() == 102
    assert ReferenceValue.objects.exists() and IndicatorTarget.objects.exists()


def test_deterministic_and_clear(demo):
    first = list(IndicatorValue.objects.order_by("indicator", "region", "year", "month").values_list(
        "region_id", "ytd_value", "ytd_yoy_pct")[:500])
    demo_data.build(DemoContext(enterprises=500, seed=2023))
    again = list(IndicatorValue.objects.order_by("indicator", "region", "year", "month").values_list(
        "region_id", "ytd_value", "ytd_yoy_pct")[:500])
    assert first == again
    demo_data.clear()
    assert not IndicatorValue.objects.exists() and not ReferenceValue.objects.exists()
