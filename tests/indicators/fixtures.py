"""Figures of the source report (../shared/seed/), as official releases, for golden tests.

Report figures [C]: 浙江 1–10月 2023 规上工业增加值 +5.6%, 制造业投资 +16.2% (连续34个月两位数增长),
1–9月 数字经济核心产业增加值 +10.2%; 上海 1–10月 工业投资 +9.9%; 浙江 2023 全年 规上工业增加值 +6.0%,
制造业投资 +14.1% (mechanisms.md §9).
Reference values (全国 / 东部) are published-plausible values chosen for the tests, not verified releases:
全国 1–10月 2023 规上工业增加值 +4.1% (the NBS release as remembered), 东部 +4.9% [I]; 全国 工业投资 +9.0%,
东部 +8.4% [I]. Intermediate 制造业投资 releases 2021–2023 are fixture values ≥ 10% (2020 below 10%).
"""

from __future__ import annotations

from decimal import Decimal

from industrybrain.indicators.models import Indicator, ReferenceSeries
from industrybrain.indicators.services import Figure, record_reference_values, record_values

INVESTMENT_MONTHS = list(range(2, 13))
MFG_2023 = ["17.1", "16.8", "16.0", "16.7", "16.6", "16.4", "16.1", "16.3", "16.2", "15.0", "14.1"]


def ind(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def fig(code: str, region: str, year: int, month: int, ytd_yoy: str | None, **kw) -> Figure:
    return Figure(indicator_id=ind(code).pk, region_id=region, year=year, month=month,
                  ytd_yoy_pct=None if ytd_yoy is None else Decimal(ytd_yoy),
                  **{k: Decimal(v) for k, v in kw.items()})


def ref(series: str, code: str, year: int, month: int, ytd_yoy: str) -> Figure:
    return Figure(indicator_id=ind(code).pk, series_id=ReferenceSeries.objects.get(code=series).pk, year=year,
                  month=month, ytd_yoy_pct=Decimal(ytd_yoy))


def manufacturing_investment_releases(region: str = "330000") -> list[Figure]:
    values = {2020: "-3.0", 2021: "19.8", 2022: "14.6"}
    out = [fig("manufacturing_investment", region, y, m, values[y]) for y in (2020, 2021, 2022)
           for m in INVESTMENT_MONTHS]
    out += [fig("manufacturing_investment", region, 2023, m, v)
            for m, v in zip(INVESTMENT_MONTHS, MFG_2023, strict=True)]
    return out


def load_report_figures() -> None:
    record_values([
        fig("above_scale_value_added", "330000", 2023, 10, "5.6"),
        fig("above_scale_value_added", "330000", 2023, 12, "6.0"),
        *manufacturing_investment_releases(),
        fig("digital_core_value_added", "330000", 2023, 9, "10.2"),
        fig("industrial_investment", "310000", 2023, 10, "9.9"),
    ], source="测试：报告数据")
    record_reference_values([
        ref("national", "above_scale_value_added", 2023, 10, "4.1"),
        ref("eastern", "above_scale_value_added", 2023, 10, "4.9"),
        ref("national", "industrial_investment", 2023, 10, "9.0"),
        ref("eastern", "industrial_investment", 2023, 10, "8.4"),
    ], source="测试：参照数据")
