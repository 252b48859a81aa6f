"""Derivation from enterprise monthly facts on a like-for-like (同口径) base (indicators/derive.py)."""

from decimal import Decimal

import polars as pl
import pytest

from industrybrain.indicators import derive
from industrybrain.indicators.models import Basis, IndicatorValue
from industrybrain.registry.models import MonthlyFact
from tests import factories
from tests.indicators.fixtures import ind

pytestmark = pytest.mark.django_db

ANCESTORS = pl.DataFrame({"region_id": ["A1", "A1", "A2", "A2"], "ancestor_id": ["A1", "P", "A2", "P"]})


def facts(rows):
    return pl.DataFrame(rows, schema={"enterprise_id": pl.Int64, "region_id": pl.Utf8, "year": pl.Int32,
                                      "month": pl.Int32, "v": pl.Float64}, orient="row")


def test_like_for_like_excludes_enterprises_missing_a_period():
    rows = [
        # e1 in A1: both years, months 1–2: 100 → 110, 100 → 120
        (1, "A1", 2022, 1, 100), (1, "A1", 2022, 2, 100), (1, "A1", 2023, 1, 110), (1, "A1", 2023, 2, 120),
        # e2 in A2: new this year (no 2022): counted in levels, not in rates
        (2, "A2", 2023, 1, 1000), (2, "A2", 2023, 2, 1000),
        # e3 in A2: 2022 month 1 only — in the month-1 rates, not in month 2 nor the 1–2月 cumulative base
        (3, "A2", 2022, 1, 50), (3, "A2", 2023, 1, 40), (3, "A2", 2023, 2, 45),
    ]
    out = derive.derive_frame(facts(rows), 2023, ANCESTORS)
    p = {r["month"]: r for r in out.filter(pl.col("region_id") == "P").iter_rows(named=True)}
    assert p[1]["month_value"] == 1150 and p[2]["ytd_value"] == 1150 + 1165
    assert p[1]["yoy_pct"] == pytest.approx((110 + 40) / (100 + 50) * 100 - 100)   # e1 + e3
    assert p[2]["yoy_pct"] == pytest.approx(20.0)                                  # e1 only
    assert p[2]["ytd_yoy_pct"] == pytest.approx((110 + 120) / 200 * 100 - 100)     # e1 only: 15%
    assert p[2]["base_enterprises"] == 1
    a2 = {r["month"]: r for r in out.filter(pl.col("region_id") == "A2").iter_rows(named=True)}
    assert a2[1]["ytd_yoy_pct"] == pytest.approx(-20.0) and a2[2]["ytd_yoy_pct"] is None


def test_cumulative_is_growth_of_sums_not_mean_of_monthly_rates():
    rows = [(1, "A1", 2022, 1, 100), (1, "A1", 2022, 2, 300), (1, "A1", 2023, 1, 120), (1, "A1", 2023, 2, 300)]
    out = derive.derive_frame(facts(rows), 2023, ANCESTORS).filter((pl.col("region_id") == "A1") & (pl.col("month") == 2))
    assert out["ytd_yoy_pct"][0] == pytest.approx(5.0)   # 420/400 − 1, not (20% + 0%)/2


def test_derive_year_stores_revisions_in_the_indicators_unit():
    e1 = factories.enterprise("330106", "3973")
    e2 = factories.enterprise("330203", "2761")
    for ent, base in ((e1, 1000), (e2, 3000)):
        for year, factor in ((2022, 1), (2023, 1.1)):
            for month in (1, 2, 3):
                MonthlyFact.objects.create(enterprise=ent, year=year, month=month,
                                           value_added=Decimal(base * factor))
    va = ind("above_scale_value_added")  # unit 亿元; facts in 万元
    result = derive.derive_year(va, 2023)
    assert result.recorded.created > 0
    row = IndicatorValue.objects.get(indicator=va, region_id="330000", year=2023, month=3, basis=Basis.DERIVED)
    assert row.ytd_yoy_pct == Decimal("10.00") and row.base_enterprises == 2
    assert row.ytd_value == Decimal("1.3200")  # 13,200 万元 = 1.32 亿元
    assert IndicatorValue.objects.filter(region_id="330100", basis=Basis.DERIVED).exists()
    assert not IndicatorValue.objects.filter(region_id="310000", basis=Basis.DERIVED).exists()
    again = derive.derive_year(va, 2023)
    assert again.recorded.created == again.recorded.revised == 0
    MonthlyFact.objects.filter(enterprise=e1, year=2023, month=3).update(value_added=Decimal(2000))
    changed = derive.derive_year(va, 2023)
    assert changed.recorded.revised > 0
    assert IndicatorValue.objects.filter(indicator=va, region_id="330000", year=2023, month=3,
                                         basis=Basis.DERIVED).count() == 2
