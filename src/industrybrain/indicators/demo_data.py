"""Demo hook: official-style indicator figures for every region of the demo provinces, 2021-01 … 2023-12.

What is built (deterministic for a seed, independent of the number of demo enterprises):

- Official releases (basis "official") for the catalogue's indicators, for 浙江省 and 上海市 and every city
  and county under them. Each province follows a path of published cumulative growth anchored on the
  report's figures (PROVINCE_PATHS) — 浙江 1–10月 2023: 规上工业增加值 +5.6%, 制造业投资 +16.2% (every
  release since 1–2月 2021 ≥ 10%: 34 months at 1–10月, 36 at December), 1–9月 数字经济核心产业增加值
  +10.2%, 2023 full year 规上工业增加值 +6.0% and 制造业投资 +14.1%; 上海 1–10月 2023 工业投资 +9.9% — the
  other anchors are plausible values, marked [I]. Cities and counties get their own growth (a persistent
  offset per region and year), re-centred so that the levels of the counties add up to their city and the
  cities to the province exactly, and the province's level grows exactly at the published rate.
- Derived figures (basis "derived") of 规上工业增加值 and 工业用电量 from the registry's monthly facts
  (indicators.derive, like-for-like base), so the platform's own computation sits next to the official one.
- Reference series 全国 and 东部 (cumulative growth only). 全国 follows NBS releases as remembered [M];
  东部 values are plausible, not verified [I].
- Targets per region and year: growth targets for 规上工业增加值, level targets for the investments.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

from industrybrain.core.models import Region

from . import derive
from .models import (
    Aggregation,
    Basis,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    ReferenceSeries,
    ReferenceValue,
)
from .services import Figure, record_reference_values, record_values

SOURCE = "演示数据（统计局发布口径）"
YEARS = (2021, 2022, 2023)
PROVINCES = ("330000", "310000")
TZ = ZoneInfo("Asia/Shanghai")

# Published cumulative growth (%) anchors per province, indicator and year: {month: rate}; linear in between.
ZJ: dict[str, dict[int, dict[int, float]]] = {
    "above_scale_value_added": {2021: {1: 40.0, 2: 44.0, 3: 34.7, 6: 22.4, 12: 12.9},
                                2022: {1: 6.0, 3: 6.1, 6: 3.9, 12: 4.2},
                                2023: {1: 3.0, 3: 3.8, 6: 4.9, 9: 5.5, 10: 5.6, 12: 6.0}},
    "industrial_investment": {2021: {2: 46.0, 6: 20.3, 12: 17.3}, 2022: {2: 22.0, 6: 14.0, 12: 9.6},
                              2023: {2: 9.2, 6: 11.5, 10: 12.3, 12: 11.6}},
    "manufacturing_investment": {2021: {2: 43.0, 6: 24.5, 12: 19.8}, 2022: {2: 24.3, 6: 16.3, 12: 14.6},
                                 2023: {2: 17.1, 6: 16.4, 9: 16.3, 10: 16.2, 12: 14.1}},
    "digital_core_value_added": {2021: {3: 25.0, 12: 13.3}, 2022: {3: 8.5, 12: 6.3},
                                 2023: {3: 6.1, 6: 9.5, 9: 10.2, 12: 10.1}},
    "industrial_electricity": {2021: {1: 30.0, 6: 18.0, 12: 12.0}, 2022: {1: 3.0, 12: 2.5},
                               2023: {1: 2.0, 6: 5.5, 12: 7.5}},
    "nev_promotion": {2021: {1: 150.0, 12: 160.0}, 2022: {1: 100.0, 12: 90.0}, 2023: {1: -5.0, 3: 20.0, 12: 35.0}},
}
SH: dict[str, dict[int, dict[int, float]]] = {
    "above_scale_value_added": {2021: {1: 40.0, 2: 40.0, 6: 20.0, 12: 11.0},
                                2022: {1: 5.0, 3: 1.0, 4: -18.0, 6: -11.0, 12: -1.0},
                                2023: {1: -5.0, 3: -1.0, 6: 0.5, 10: 0.6, 12: 1.5}},
    "industrial_investment": {2021: {2: 15.0, 12: 8.2}, 2022: {2: 10.0, 4: -5.0, 6: -10.0, 12: 0.6},
                              2023: {2: 5.5, 6: 8.8, 10: 9.9, 12: 10.0}},
    "manufacturing_investment": {2021: {2: 18.0, 12: 9.0}, 2022: {2: 12.0, 6: -8.0, 12: 1.5},
                                 2023: {2: 7.0, 6: 10.5, 10: 12.0, 12: 12.5}},
    "digital_core_value_added": {2021: {3: 18.0, 12: 10.5}, 2022: {3: 6.0, 6: -4.0, 12: 3.0},
                                 2023: {3: 4.0, 9: 7.5, 12: 8.0}},
    "industrial_electricity": {2021: {1: 25.0, 12: 9.0}, 2022: {1: 3.0, 4: -20.0, 12: -2.0},
                               2023: {1: -3.0, 12: 5.0}},
    "nev_promotion": {2021: {1: 180.0, 12: 150.0}, 2022: {1: 60.0, 4: 20.0, 12: 40.0}, 2023: {1: 10.0, 12: 3.0}},
}
PROVINCE_PATHS = {"330000": ZJ, "310000": SH}

# Province levels of 2020 (the base year, not stored): annual flows in the indicator's unit.
BASE_2020 = {
    "330000": {"above_scale_value_added": 16700.0, "industrial_investment": 5200.0, "manufacturing_investment": 4300.0,
               "digital_core_value_added": 7020.0, "industrial_electricity": 34_000_000.0, "nev_promotion": 110_000.0},
    "310000": {"above_scale_value_added": 9600.0, "industrial_investment": 1300.0, "manufacturing_investment": 1000.0,
               "digital_core_value_added": 5000.0, "industrial_electricity": 8_000_000.0, "nev_promotion": 120_000.0},
}
# Stocks: (level at 2020-12, annual growth per year 2021..2023).
STOCKS = {
    "330000": {"base_stations_5g": (62_600.0, (0.70, 0.45, 0.30)),
               "above_scale_enterprises": (52_000.0, (0.04, 0.05, 0.05))},
    "310000": {"base_stations_5g": (32_000.0, (0.65, 0.35, 0.25)),
               "above_scale_enterprises": (8_600.0, (0.03, 0.02, 0.03))},
}
# Ratio: 数字化改造覆盖率 (%) anchors {(year, month): value}; 浙江 72.6% (the report) at 1–9月 2023.
RATIOS = {
    "330000": {"digital_upgrade_coverage": {(2021, 3): 42.0, (2021, 12): 51.0, (2022, 12): 63.5, (2023, 9): 72.6,
                                            (2023, 12): 74.8}},
    "310000": {"digital_upgrade_coverage": {(2021, 3): 45.0, (2022, 12): 60.0, (2023, 12): 68.0}},
}
SEASON = np.array([1.0, 0.75, 1.06, 1.02, 1.03, 1.06, 1.0, 0.98, 1.04, 1.0, 1.05, 1.12])

REFERENCE = {
    "national": {
        "above_scale_value_added": {2021: {2: 35.1, 3: 24.5, 6: 15.9, 9: 11.8, 12: 9.6},
                                    2022: {2: 7.5, 3: 6.5, 4: 4.0, 6: 3.4, 9: 3.9, 12: 3.6},
                                    2023: {2: 2.4, 3: 3.0, 6: 3.8, 9: 4.0, 10: 4.1, 12: 4.6}},
        "industrial_investment": {2021: {2: 36.9, 6: 17.0, 12: 11.4}, 2022: {2: 20.9, 6: 10.9, 12: 10.3},
                                  2023: {2: 8.1, 6: 8.9, 10: 9.0, 12: 9.0}},
        "manufacturing_investment": {2021: {2: 37.3, 6: 19.2, 12: 13.5}, 2022: {2: 20.9, 6: 10.4, 12: 9.1},
                                     2023: {2: 8.1, 6: 6.0, 10: 6.2, 12: 6.5}},
    },
    "eastern": {
        "above_scale_value_added": {2021: {2: 36.0, 6: 17.5, 12: 10.4}, 2022: {2: 8.0, 6: 2.5, 12: 3.5},
                                    2023: {2: 2.8, 3: 3.5, 6: 4.4, 9: 4.8, 10: 4.9, 12: 5.3}},
        "industrial_investment": {2021: {2: 35.0, 12: 10.8}, 2022: {2: 19.0, 12: 9.5},
                                  2023: {2: 7.5, 10: 8.4, 12: 8.5}},
        "manufacturing_investment": {2021: {2: 35.5, 12: 12.9}, 2022: {2: 19.5, 12: 8.8},
                                     2023: {2: 7.8, 10: 6.8, 12: 7.0}},
    },
}
TARGETS = {"330000": {"above_scale_value_added": 6.0}, "310000": {"above_scale_value_added": 4.0}}


def _interp(anchors: dict[int, float], month: int) -> float:
    months = sorted(anchors)
    if month <= months[0]:
        return anchors[months[0]]
    if month >= months[-1]:
        return anchors[months[-1]]
    return float(np.interp(month, months, [anchors[m] for m in months]))


def _dec(value: float | None, places: str) -> Decimal | None:
    if value is None or not np.isfinite(value):
        return None
    return Decimal(repr(float(value))).quantize(Decimal(places))


def _rng(seed: int, *keys: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in keys)])


class _Tree:
    """A province's cities and their leaf regions (counties; a city without children is its own leaf)."""

    def __init__(self, province: Region):
        self.province = province
        self.cities = list(Region.objects.filter(parent=province).order_by("code"))
        self.leaves: list[list[str]] = []
        for city in self.cities:
            children = list(Region.objects.filter(parent=city).order_by("code").values_list("code", flat=True))
            self.leaves.append(children or [city.code])

    def all_leaves(self) -> list[str]:
        return [code for group in self.leaves for code in group]


def _recentred(growth: float, offsets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Growth per part such that the weighted mean (weights = base levels) is exactly `growth`."""
    w = weights / weights.sum()
    return growth + offsets - float((w * offsets).sum())


def _flow_figures(seed: int, tree: _Tree, indicator: Indicator, paths: dict[int, dict[int, float]],
                  base_total: float) -> list[Figure]:
    rng = _rng(seed, tree.province.code, indicator.code)
    release = indicator.release_months()
    leaves = tree.all_leaves()
    n_leaf = len(leaves)
    city_of = np.repeat(np.arange(len(tree.cities)), [len(g) for g in tree.leaves])
    share = rng.lognormal(0.0, 0.8, n_leaf)
    share /= share.sum()
    season = SEASON * (0.9 if indicator.cumulative_only else 1.0) + (0.1 if indicator.cumulative_only else 0.0)
    month_share = season / season.sum()
    # Base-year (2020) monthly levels per leaf.
    prev_month = base_total * share[:, None] * month_share[None, :] * np.exp(rng.normal(0, 0.03, (n_leaf, 12)))
    city_off_persist = rng.normal(0, 2.5, len(tree.cities))
    leaf_off_persist = rng.normal(0, 3.0, n_leaf)
    out: list[Figure] = []
    for year in YEARS:
        anchors = paths[year]
        city_off = city_off_persist + rng.normal(0, 1.5, len(tree.cities))
        leaf_off = leaf_off_persist + rng.normal(0, 2.0, n_leaf)
        prev_cum = np.cumsum(prev_month, axis=1)
        cur_cum = np.zeros_like(prev_cum)
        for m in release:
            g_prov = round(_interp(anchors, m), 1)
            base = prev_cum[:, m - 1]
            city_base = np.bincount(city_of, weights=base, minlength=len(tree.cities))
            g_city = _recentred(g_prov, city_off, city_base)
            g_leaf = np.empty(n_leaf)
            for c in range(len(tree.cities)):
                sel = city_of == c
                g_leaf[sel] = _recentred(g_city[c], leaf_off[sel], base[sel])
            cur_cum[:, m - 1] = base * (1 + np.maximum(g_leaf, -80.0) / 100)
        # Fill months between releases (levels are not published there) for next year's base.
        filled = cur_cum.copy()
        last = 0
        for m in release:
            span = range(last, m)
            start = filled[:, last - 1] if last else np.zeros(n_leaf)
            weights = prev_month[:, span] / np.maximum(prev_month[:, span].sum(axis=1, keepdims=True), 1e-9)
            filled[:, span] = start[:, None] + (cur_cum[:, m - 1] - start)[:, None] * np.cumsum(weights, axis=1)
            last = m
        cur_month = np.diff(np.concatenate([np.zeros((n_leaf, 1)), filled], axis=1), axis=1)
        out += _emit_flow(indicator, tree, leaves, city_of, year, release, filled, cur_cum, prev_cum, cur_month,
                          prev_month)
        prev_month = np.maximum(cur_month, 1e-6)
    return out


def _emit_flow(indicator: Indicator, tree: _Tree, leaves: list[str], city_of: np.ndarray, year: int,
               release: Sequence[int], filled: np.ndarray, cur_cum: np.ndarray, prev_cum: np.ndarray,
               cur_month: np.ndarray, prev_month: np.ndarray) -> list[Figure]:
    groups: list[tuple[str, np.ndarray]] = [(tree.province.code, np.ones(len(leaves), bool))]
    groups += [(city.code, city_of == c) for c, city in enumerate(tree.cities)]
    groups += [(code, np.arange(len(leaves)) == i) for i, code in enumerate(leaves) if code not in
               {c.code for c in tree.cities}]
    out = []
    for code, sel in groups:
        for m in release:
            ytd = float(cur_cum[sel, m - 1].sum())
            base = float(prev_cum[sel, m - 1].sum())
            ytd_yoy = (ytd / base - 1) * 100 if base > 0 else None
            month_value = yoy = None
            if not indicator.cumulative_only:
                month_value = float(cur_month[sel, m - 1].sum())
                prev_m = float(prev_month[sel, m - 1].sum())
                yoy = (month_value / prev_m - 1) * 100 if prev_m > 0 else None
            out.append(Figure(indicator_id=indicator.pk, region_id=code, year=year, month=m,
                              month_value=_dec(month_value, "0.01"), ytd_value=_dec(ytd, "0.01"),
                              yoy_pct=_dec(yoy, "0.1"), ytd_yoy_pct=_dec(ytd_yoy, "0.1")))
    return out


def _stock_figures(seed: int, tree: _Tree, indicator: Indicator, base_level: float,
                   growth: Sequence[float]) -> list[Figure]:
    rng = _rng(seed, tree.province.code, indicator.code)
    leaves = tree.all_leaves()
    share = rng.lognormal(0, 0.7, len(leaves))
    share /= share.sum()
    drift = rng.normal(0, 0.02, len(leaves))

    def level(year: int, month: int) -> np.ndarray:
        t = (year - 2020) * 12 + month - 12  # months since 2020-12 (≤ 0 in 2020: back-cast with 2021's growth)
        total = base_level * (1 + growth[0]) ** (min(t, 0) / 12)
        for i, g in enumerate(growth):
            total *= (1 + g) ** (min(max(t - 12 * i, 0), 12) / 12)
        s = share * np.exp(drift * t / 12)
        return np.round(total * s / s.sum())

    city_of = np.repeat(np.arange(len(tree.cities)), [len(g) for g in tree.leaves])
    out = []
    for year in YEARS:
        for m in indicator.release_months():
            cur, prev = level(year, m), level(year - 1, m)
            groups = [(tree.province.code, slice(None))]
            groups += [(city.code, city_of == c) for c, city in enumerate(tree.cities)]
            groups += [(code, np.arange(len(leaves)) == i) for i, code in enumerate(leaves)
                       if code not in {c.code for c in tree.cities}]
            for code, sel in groups:
                c, p = float(cur[sel].sum()), float(prev[sel].sum())
                out.append(Figure(indicator_id=indicator.pk, region_id=code, year=year, month=m,
                                  ytd_value=_dec(c, "1"), ytd_yoy_pct=_dec((c / p - 1) * 100 if p > 0 else None, "0.1")))
    return out


def _ratio_figures(seed: int, tree: _Tree, indicator: Indicator, anchors: dict[tuple[int, int], float]) -> list[Figure]:
    rng = _rng(seed, tree.province.code, indicator.code)
    keys = sorted(anchors)
    xs = [y * 12 + m for y, m in keys]
    codes = [c.code for c in tree.cities] + [c for c in tree.all_leaves() if c not in {x.code for x in tree.cities}]
    offsets = rng.normal(0, 6.0, len(codes))
    out = []
    for year in YEARS:
        for m in indicator.release_months():
            prov = float(np.interp(year * 12 + m, xs, [anchors[k] for k in keys]))
            out.append(Figure(indicator_id=indicator.pk, region_id=tree.province.code, year=year, month=m,
                              ytd_value=_dec(prov, "0.1")))
            for code, off in zip(codes, offsets, strict=True):
                out.append(Figure(indicator_id=indicator.pk, region_id=code, year=year, month=m,
                                  ytd_value=_dec(min(99.0, max(5.0, prov + off)), "0.1")))
    return out


def _reference_figures(indicators: dict[str, Indicator]) -> list[Figure]:
    out = []
    for series in ReferenceSeries.objects.filter(code__in=REFERENCE):
        for code, years in REFERENCE[series.code].items():
            indicator = indicators.get(code)
            if indicator is None:
                continue
            for year, anchors in years.items():
                for m in indicator.release_months():
                    if m < min(anchors):  # no release before the first published one (1–2月)
                        continue
                    out.append(Figure(indicator_id=indicator.pk, series_id=series.pk, year=year, month=m,
                                      ytd_yoy_pct=_dec(round(_interp(anchors, m), 1), "0.1")))
    return out


def _targets(seed: int, indicators: dict[str, Indicator]) -> int:
    rows = []
    va = indicators.get("above_scale_value_added")
    for province in PROVINCES:
        tree_codes = list(Region.objects.get(pk=province).subtree().values_list("code", flat=True))
        rng = _rng(seed, province, "targets")
        for year in YEARS:
            if va is not None:
                base = TARGETS[province]["above_scale_value_added"]
                for code in tree_codes:
                    growth = base if code == province else base + round(float(rng.normal(0, 1.0)) * 2) / 2
                    rows.append(IndicatorTarget(indicator=va, region_id=code, year=year,
                                                target_growth_pct=Decimal(str(growth)).quantize(Decimal("0.1"))))
            for code_name, factor in (("industrial_investment", 1.10), ("manufacturing_investment", 1.12)):
                indicator = indicators.get(code_name)
                if indicator is None:
                    continue
                last = dict(IndicatorValue.objects.current().filter(
                    indicator=indicator, year=year - 1, month=12, basis=Basis.OFFICIAL,
                    region_id__in=tree_codes).values_list("region_id", "ytd_value"))
                for code in tree_codes:
                    previous = last.get(code)
                    if previous is None:
                        continue
                    rows.append(IndicatorTarget(indicator=indicator, region_id=code, year=year,
                                                target_value=(previous * Decimal(str(factor))).quantize(Decimal("0.01")),
                                                target_growth_pct=Decimal(str(round((factor - 1) * 100, 1)))))
    IndicatorTarget.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def build(context) -> str:
    clear()
    indicators = {i.code: i for i in Indicator.objects.filter(is_official=True)}
    received = dt.datetime(2024, 1, 20, 9, 0, tzinfo=TZ)
    figures: list[Figure] = []
    for province_code in PROVINCES:
        province = Region.objects.filter(pk=province_code).first()
        if province is None:
            continue
        tree = _Tree(province)
        for code, indicator in indicators.items():
            if indicator.aggregation in (Aggregation.SUM, Aggregation.GROWTH) and code in PROVINCE_PATHS[province_code]:
                figures += _flow_figures(context.seed, tree, indicator, PROVINCE_PATHS[province_code][code],
                                         BASE_2020[province_code][code])
            elif indicator.aggregation == Aggregation.STOCK and code in STOCKS[province_code]:
                figures += _stock_figures(context.seed, tree, indicator, *STOCKS[province_code][code])
            elif indicator.aggregation == Aggregation.RATIO and code in RATIOS[province_code]:
                figures += _ratio_figures(context.seed, tree, indicator, RATIOS[province_code][code])
    official = record_values(figures, source=SOURCE, received_at=received, batch=2000)
    reference = record_reference_values(_reference_figures(indicators), source="演示数据（国家统计局发布口径）",
                                        received_at=received)
    targets = _targets(context.seed, indicators)
    derived = derive.derive()
    summary = (f"指标数据 {official.created} 条（官方口径），参照数据 {reference.created} 条，目标 {targets} 条，"
               f"企业数据测算 {sum(r.recorded.created for r in derived)} 条")
    va = indicators.get("above_scale_value_added")
    if va is not None:
        row = IndicatorValue.objects.current().filter(indicator=va, region_id="330000", year=2023, month=10,
                                                      basis=Basis.DERIVED).first()
        if row is not None and row.ytd_yoy_pct is not None:
            summary += f"；浙江省1-10月规上工业增加值（企业数据同口径测算）增长{row.ytd_yoy_pct:.1f}%"
    return summary


def clear() -> None:
    IndicatorTarget.objects.all().delete()
    IndicatorValue.objects.all().delete()
    ReferenceValue.objects.all().delete()
