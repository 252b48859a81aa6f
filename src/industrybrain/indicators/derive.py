"""Derive region figures from enterprise monthly facts on a like-for-like (同口径) base.

The rule (mechanisms.md §9 — the base is recomputed on this year's enterprise set; cumulative growth is
the growth of the cumulative sum, not a mean of monthly rates):

- **Levels** (本月, 累计) are sums over every enterprise that reported the figure in the period this year
  (this year's set), for the region and every region above it (county → city → province).
- **本月同比** of a region for month m: Σ this year's value / Σ last year's value − 1, over the enterprises
  of the region that reported the figure for month m in *both* years. An enterprise without a figure for
  the same month last year (new to the set, or founded since) is left out of the rate, not counted as
  growth from zero; an enterprise that stopped reporting this year is left out too (a firm still in the
  set that produced nothing reports 0 and stays in).
- **累计同比** for 1–m月: Σ this year's cumulative value / Σ last year's cumulative value − 1, over the
  enterprises that reported every month 1..m in both years — the cumulative sum over one same-scope base
  for the whole period. `base_enterprises` records how many enterprises that base holds.
- A region's enterprises are those whose registered region lies in its subtree; the rates of a city are
  computed from its enterprises, never averaged from its counties' rates.

Set-based: one query reads the two years' facts into polars; joins and grouped sums do the rest.
`derive_frame` is the pure core (also used by bench/bench_indicators.py); `derive_year` reads, derives
and stores (new revisions only where a figure changed).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection
from django.db.models import FloatField
from django.db.models.functions import Cast

from industrybrain.core.models import Region
from industrybrain.registry.models import MonthlyFact

from .models import Basis, Indicator
from .services import Figure, RecordResult, record_values

SOURCE = "企业月度数据测算（同口径）"
FETCH = 200_000
# Units of the registry's monthly facts, and factors to the indicator's unit.
FACT_UNITS = {"value_added": "万元", "output": "万元", "electricity": "万千瓦时"}
CONVERSIONS = {("万元", "亿元"): 1e-4, ("万千瓦时", "亿千瓦时"): 1e-4, ("万元", "万元"): 1.0,
               ("万千瓦时", "万千瓦时"): 1.0}


def unit_factor(indicator: Indicator) -> float:
    """Factor from the fact field's unit to the indicator's unit (1 when the indicator has no unit)."""
    source = FACT_UNITS[indicator.derived_field]
    if not indicator.unit:
        return 1.0
    try:
        return CONVERSIONS[(source, indicator.unit)]
    except KeyError:
        raise ValueError(f"指标“{indicator.name}”的计量单位“{indicator.unit}”无法由企业数据（{source}）换算") from None


def load_facts(field: str, years: Iterable[int]) -> pl.DataFrame:
    """Monthly facts of one field for the given years: enterprise_id, region_id, year, month, v.

    `v` is in hundredths of the fact's unit as an integer (the facts are DECIMAL(16,2)), so that every sum
    is exact and a rerun on unchanged data gives identical figures whatever order polars adds in."""
    if field not in ("value_added", "output", "electricity"):
        raise ValueError(f"unknown monthly fact field {field!r}")
    qs = (MonthlyFact.objects.filter(year__in=list(years), **{f"{field}__isnull": False})
          .annotate(v=Cast(field, FloatField()))
          .values_list("enterprise_id", "enterprise__region_id", "year", "month", "v").order_by())
    sql, params = qs.query.sql_with_params()
    schema = {"enterprise_id": pl.Int64, "region_id": pl.Utf8, "year": pl.Int32, "month": pl.Int32, "v": pl.Float64}
    frames = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(FETCH)
            if not rows:
                break
            frames.append(pl.DataFrame(rows, schema=schema, orient="row")
                          .with_columns((pl.col("v") * 100).round().cast(pl.Int64)))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema).with_columns(pl.col("v").cast(pl.Int64))


def region_ancestors() -> pl.DataFrame:
    """(region_id, ancestor_id) for every region and each region on its path, itself included."""
    pairs = [(code, ancestor) for code, path in Region.objects.values_list("code", "path")
             for ancestor in path.strip("/").split("/") if ancestor]
    return pl.DataFrame(pairs, schema={"region_id": pl.Utf8, "ancestor_id": pl.Utf8}, orient="row")


def derive_frame(facts: pl.DataFrame, year: int, ancestors: pl.DataFrame) -> pl.DataFrame:
    """The pure core: per (region, month) of `year` — month_value, ytd_value, yoy_pct, ytd_yoy_pct,
    base_enterprises — from facts of `year` and `year − 1` (columns as `load_facts`)."""
    cur = facts.filter(pl.col("year") == year).select("enterprise_id", "region_id", "month", "v")
    prev = facts.filter(pl.col("year") == year - 1).select("enterprise_id", "month", pl.col("v").alias("p"))

    def up(frame: pl.DataFrame) -> pl.DataFrame:  # each row once per region on its path
        return frame.join(ancestors, on="region_id", how="inner")

    levels = (up(cur).group_by("ancestor_id", "month").agg(pl.col("v").sum().alias("month_value"))
              .sort("ancestor_id", "month")
              .with_columns(pl.col("month_value").cum_sum().over("ancestor_id").alias("ytd_value")))

    pairs = cur.join(prev, on=["enterprise_id", "month"], how="inner")
    monthly = (up(pairs).group_by("ancestor_id", "month")
               .agg(pl.col("v").sum().alias("mc"), pl.col("p").sum().alias("mp")))

    # Cumulative base: enterprises with a pair for every month 1..m. Within an enterprise sorted by month,
    # the prefix 1..m is complete exactly where month == its rank.
    prefix = (pairs.sort("enterprise_id", "month")
              .with_columns(pl.col("month").cum_count().over("enterprise_id").alias("rank"))
              .filter(pl.col("month") == pl.col("rank"))
              .with_columns(pl.col("v").cum_sum().over("enterprise_id").alias("cc"),
                            pl.col("p").cum_sum().over("enterprise_id").alias("cp")))
    cumulative = (up(prefix).group_by("ancestor_id", "month")
                  .agg(pl.col("cc").sum(), pl.col("cp").sum(), pl.len().alias("base_enterprises")))

    def rate(num: str, den: str) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then((pl.col(num) / pl.col(den) - 1) * 100).otherwise(None)

    return (levels.join(monthly, on=["ancestor_id", "month"], how="left")
            .join(cumulative, on=["ancestor_id", "month"], how="left")
            .with_columns(rate("mc", "mp").alias("yoy_pct"), rate("cc", "cp").alias("ytd_yoy_pct"))
            .select(pl.col("ancestor_id").alias("region_id"), "month", "month_value", "ytd_value", "yoy_pct",
                    "ytd_yoy_pct", "base_enterprises")
            .sort("region_id", "month"))


def _dec(value: Any, places: str) -> Decimal | None:
    return None if value is None else Decimal(repr(float(value))).quantize(Decimal(places))


@dataclass
class DeriveResult:
    indicator: str
    year: int
    rows: int
    recorded: RecordResult
    seconds_read: float
    seconds_compute: float
    seconds_write: float


def derive_year(indicator: Indicator, year: int, facts: pl.DataFrame | None = None,
                ancestors: pl.DataFrame | None = None) -> DeriveResult:
    """Derive and store (basis "derived") an indicator's figures for every region and month of `year`."""
    if not indicator.derived_field:
        raise ValueError(f"指标“{indicator.name}”没有可测算的企业数据字段")
    started = time.perf_counter()
    if facts is None:
        facts = load_facts(indicator.derived_field, (year - 1, year))
    if ancestors is None:
        ancestors = region_ancestors()
    read = time.perf_counter()
    frame = derive_frame(facts, year, ancestors)
    factor = unit_factor(indicator) / 100  # v is in hundredths of the fact's unit (load_facts)
    frame = frame.with_columns(pl.col("month_value") * factor, pl.col("ytd_value") * factor)
    computed = time.perf_counter()
    items = [
        Figure(indicator_id=indicator.pk, region_id=r["region_id"], year=year, month=r["month"],
               month_value=_dec(r["month_value"], "0.0001"), ytd_value=_dec(r["ytd_value"], "0.0001"),
               yoy_pct=_dec(r["yoy_pct"], "0.01"), ytd_yoy_pct=_dec(r["ytd_yoy_pct"], "0.01"),
               basis=Basis.DERIVED, base_enterprises=r["base_enterprises"])
        for r in frame.iter_rows(named=True)]
    recorded = record_values(items, source=SOURCE)
    done = time.perf_counter()
    return DeriveResult(indicator.code, year, len(items), recorded, read - started, computed - read, done - computed)


def derive(indicators: Iterable[Indicator] | None = None, years: Iterable[int] | None = None) -> list[DeriveResult]:
    """Derive every derivable indicator (or the given ones) for the given years (default: all fact years)."""
    chosen = list(indicators) if indicators is not None else list(Indicator.objects.exclude(derived_field=""))
    if years is None:
        years = sorted(set(MonthlyFact.objects.values_list("year", flat=True).distinct()))
    years = list(years)
    ancestors = region_ancestors()
    results = []
    for indicator in chosen:
        if not indicator.derived_field or not years:
            continue
        facts = load_facts(indicator.derived_field, range(min(years) - 1, max(years) + 1))
        for year in years:
            results.append(derive_year(indicator, year, facts, ancestors))
    return results
