"""Small golden fixtures for the ranking board, triggers, letters and electricity (values chosen for the tests)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from industrybrain.core.models import Role
from industrybrain.indicators.models import Indicator, IndicatorTarget
from industrybrain.indicators.services import Figure, record_values
from tests import factories

CITY_VALUES = {  # 规上工业增加值 累计同比%: (1-9月, 1-10月)
    "330100": ("4.0", "6.0"),
    "330200": ("6.0", "5.0"),
    "330300": ("5.5", "5.0"),
    "330400": ("3.0", "4.0"),
}
PROVINCE = ("5.0", "5.0")


def ind(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def figure(code: str, region: str, year: int, month: int, ytd_yoy: str | None = None, **kw) -> Figure:
    return Figure(indicator_id=ind(code).pk, region_id=region, year=year, month=month,
                  ytd_yoy_pct=None if ytd_yoy is None else Decimal(ytd_yoy), **{k: Decimal(v) for k, v in kw.items()})


@pytest.fixture
def city_board(db):
    """Four cities and the province at 1–9月 and 1–10月 2023, with growth targets for three cities."""
    figures = [figure("above_scale_value_added", "330000", 2023, m, v) for m, v in zip((9, 10), PROVINCE, strict=True)]
    for code, values in CITY_VALUES.items():
        figures += [figure("above_scale_value_added", code, 2023, m, v) for m, v in zip((9, 10), values, strict=True)]
    record_values(figures, source="测试")
    va = ind("above_scale_value_added")
    for code, target in (("330100", "7.0"), ("330200", "4.5"), ("330400", "5.0")):
        IndicatorTarget.objects.create(indicator=va, region_id=code, year=2023, target_growth_pct=Decimal(target))
    return va


@pytest.fixture
def officers(db):
    return {
        "province": factories.user("prov", Role.PROVINCE_OFFICER, "330000"),
        "city": factories.user("hz", Role.CITY_OFFICER, "330100"),
        "county": factories.user("xihu", Role.COUNTY_OFFICER, "330106"),
        "other_county": factories.user("beilun", Role.COUNTY_OFFICER, "330206"),
        "enterprise": factories.user("ent", Role.ENTERPRISE_USER),
    }
