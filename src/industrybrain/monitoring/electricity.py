"""用电监测: enterprise electricity alerts, region divergence, and an electricity-based nowcast.

Alerts (set-based: SQL aggregates + polars joins, one bulk insert) for a month (Y, M). The measure
(mechanisms.md §1): an enterprise's **daily average** use this month against its **baseline, the daily
average of the previous December** (Y−1, 12), and against the same month last year.

- **Daily basis** (registry.DailyElectricity), for every enterprise with at least one reading in the month.
  Daily averages are taken over **working days** (core.calendar: Monday–Friday, minus statutory holidays,
  plus make-up working days 调休), both this month and in the baseline December: holidays (the New Year
  days at the end of December, Spring Festival, National Day) and weekends would otherwise pull an average
  down with no change in production, and December's year-end rush would not be compared with a holiday
  month. Days without a reading are left out (missing is not zero: a plant that stopped reports 0).
  A period has **enough data** when readings cover at least `min_coverage_pct` (80%) of its working days. The
  month runs from its first day to its last day with any reading in the table (a month in progress is
  measured so far); the baseline December and last year's month are whole months.
  - this month without enough data → no alert, listed as "数据不足" (never a silent alert, never a silent pass);
  - baseline without enough data → the baseline test is not made (baseline_pct empty); likewise the
    year-on-year test without enough data last year; neither test possible → "数据不足".
- **Monthly basis** (registry.MonthlyFact.electricity), for enterprises without daily readings that month:
  the same tests on calendar-day averages (month ÷ its days, December ÷ 31), so February is not "below
  baseline" merely for being short.
- Tests: below_baseline when the average < baseline_ratio_pct (90%) of the baseline; yoy_drop when the
  change is ≤ −yoy_drop_pct (−10%). Both → red (停减产), one → yellow. Percentages are rounded to 6 places
  before comparing, so exactly 90% / −10% compare as written.
- Stored on the alert: `electricity` the month's total (sum of the readings, or the monthly figure),
  `baseline` the December total and `last_year` last year's month total, as labelled; `baseline_pct` and
  `yoy_pct` are the ratios of the daily averages described above (so not simply total ÷ total).
- Divergence: regions whose cumulative growth of 工业用电量 and 规上工业增加值 (the cube's 累计同比%, official
  first) differ by more than `divergence_pp` percentage points.
- Nowcast: per region, an ordinary least-squares line va_yoy = a + b × electricity_yoy over the region's
  monthly 同比 history; the last `holdout` months before the target month are held out to report the error
  (MAE, pp) of a line fitted on the months before them; the line refitted on all history gives this month's
  estimate from this month's electricity growth.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
from django.db import connection, transaction
from django.db.models import Count, FloatField, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast

from industrybrain.core import calendar as work_calendar
from industrybrain.core.models import Region
from industrybrain.indicators.models import Basis, Indicator, IndicatorValue
from industrybrain.registry.models import DailyElectricity, Enterprise, MonthlyFact

from .models import ElectricityAlert, ElectricityDataGap, MonitoringConfig

ELECTRICITY = "industrial_electricity"
VALUE_ADDED = "above_scale_value_added"
MIN_COVERAGE = 0.8  # default share of a period's working days that must have a reading (MonitoringConfig)


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, month_calendar.monthrange(year, month)[1])


def working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The working days (工作日, Chinese calendar) from `first` to `last`, both included."""
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)
            if work_calendar.is_working_day(first + dt.timedelta(days=i))]


def required_days(period_working_days: int, coverage: float = MIN_COVERAGE) -> int:
    return math.ceil(coverage * period_working_days - 1e-9)


def daily_period(year: int, month: int) -> tuple[dt.date, dt.date] | None:
    """This month's measured span: its first day to its last day with any reading (None: no readings)."""
    first, last = dt.date(year, month, 1), month_end(year, month)
    latest = DailyElectricity.objects.filter(day__range=(first, last)).aggregate(m=Max("day"))["m"]
    return (first, latest) if latest else None


SCOPED_IDS_MAX = 5000  # a scope up to this many enterprises is read by enterprise (index seeks), a larger one by day


def _fetch(qs: QuerySet, schema: dict[str, Any]) -> pl.DataFrame:
    """Run a values_list queryset on the cursor straight into polars (no per-row model conversion)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def daily_stats(first: dt.date, last: dt.date, enterprises: Sequence[int] | None = None,
                coverage: float = MIN_COVERAGE) -> pl.DataFrame:
    """Per enterprise over [first, last]: total, readings, working-day sum and working-day readings (one
    grouped query over the day range — the (day, enterprise, electricity) index covers it — or, for a small
    scope, over the given enterprises), plus the working-day average where the readings are enough."""
    days = working_days(first, last)
    need = required_days(len(days), coverage)
    on_working = Q(day__in=days)
    readings = DailyElectricity.objects.filter(day__range=(first, last))
    if enterprises is not None:
        readings = readings.filter(enterprise_id__in=list(enterprises))
    qs = (readings.values("enterprise_id").order_by()
          .annotate(total=Cast(Sum("electricity"), FloatField()), n=Count("pk"),
                    wd_sum=Cast(Sum("electricity", filter=on_working), FloatField()),
                    wd_n=Count("pk", filter=on_working))
          .values_list("enterprise_id", "total", "n", "wd_sum", "wd_n"))
    frame = _fetch(qs, {"enterprise_id": pl.Int64, "total": pl.Float64, "n": pl.Int64, "wd_sum": pl.Float64,
                        "wd_n": pl.Int64})
    return frame.with_columns(
        pl.when(pl.col("wd_n") >= need).then(pl.col("wd_sum") / pl.col("wd_n")).otherwise(None).alias("avg"),
        pl.lit(need).alias("need"))


def _keys(ids: pl.Series) -> pl.DataFrame:
    """enterprise_id → region_id, industry_id for the given enterprises."""
    schema = {"enterprise_id": pl.Int64, "region_id": pl.Utf8, "industry_id": pl.Utf8}
    if ids.len() == 0:
        return pl.DataFrame(schema=schema)
    qs = Enterprise.objects.order_by().values_list("pk", "region_id", "industry_id")
    if ids.len() <= SCOPED_IDS_MAX:
        qs = qs.filter(pk__in=ids.to_list())
    return _fetch(qs, schema).join(ids.unique().to_frame("enterprise_id"), on="enterprise_id", how="semi")


def _monthly(year: int, month: int, region_codes: set[str] | None = None) -> pl.DataFrame:
    """Monthly facts of a month with the calendar-day average."""
    qs = MonthlyFact.objects.filter(year=year, month=month, electricity__isnull=False)
    if region_codes is not None:
        qs = qs.filter(enterprise__region_id__in=sorted(region_codes))
    days = month_calendar.monthrange(year, month)[1]
    frame = _fetch(qs.order_by().annotate(v=Cast("electricity", FloatField())).values_list("enterprise_id", "v"),
                   {"enterprise_id": pl.Int64, "total": pl.Float64})
    return frame.with_columns((pl.col("total") / days).alias("avg"))


def _pct(num: str, den: str, minus_one: bool = False) -> pl.Expr:
    ratio = pl.col(num) / pl.col(den)
    value = (ratio - 1) * 100 if minus_one else ratio * 100
    return pl.when(pl.col(den) > 0).then(value.round(6)).otherwise(None)


def _flags(frame: pl.DataFrame, config: MonitoringConfig) -> pl.DataFrame:
    ratio, drop = float(config.baseline_ratio_pct), float(config.yoy_drop_pct)
    return (frame.with_columns(_pct("avg", "baseline_avg").alias("baseline_pct"),
                               _pct("avg", "last_year_avg", minus_one=True).alias("yoy_pct"))
            .with_columns((pl.col("baseline_pct") < ratio).fill_null(False).alias("below_baseline"),
                          (pl.col("yoy_pct") <= -drop).fill_null(False).alias("yoy_drop")))


COLUMNS = ["enterprise_id", "region_id", "industry_id", "basis", "electricity", "baseline", "last_year",
           "baseline_pct", "yoy_pct", "below_baseline", "yoy_drop", "status", "reason"]
# why an enterprise is "insufficient": no reading this month / this month below coverage / neither a usable
# baseline nor a usable last-year month
REASONS = ("no_readings", "month_short", "no_reference")


def assess(year: int, month: int, config: MonitoringConfig | None = None,
           region_codes: set[str] | None = None) -> pl.DataFrame:
    """Every monitored enterprise of the month with its basis, figures, test results and status
    ("alert", "ok" or "insufficient") and, for "insufficient", the reason; nothing written. With
    `region_codes`, only enterprises registered in those regions (an officer's scope). See the module
    docstring for the rules."""
    config = config or MonitoringConfig.get()
    scoped: list[int] | None = None
    if region_codes is not None:
        ids = list(Enterprise.objects.filter(region_id__in=sorted(region_codes)).values_list("pk", flat=True)
                   [:SCOPED_IDS_MAX + 1])
        scoped = ids if len(ids) <= SCOPED_IDS_MAX else None
    parts = []
    span = daily_period(year, month)
    daily_ids: pl.Series = pl.Series("enterprise_id", [], dtype=pl.Int64)
    base = pl.DataFrame()
    if span is not None:
        coverage = float(config.min_coverage_pct) / 100
        current = daily_stats(*span, scoped, coverage)
        base = daily_stats(dt.date(year - 1, 12, 1), dt.date(year - 1, 12, 31), scoped, coverage)
        last = daily_stats(dt.date(year - 1, month, 1), month_end(year - 1, month), scoped, coverage)
        frame = (current.join(base.select("enterprise_id", pl.col("total").alias("baseline"),
                                          pl.col("avg").alias("baseline_avg")), on="enterprise_id", how="left")
                 .join(last.select("enterprise_id", pl.col("total").alias("last_year"),
                                   pl.col("avg").alias("last_year_avg")), on="enterprise_id", how="left")
                 .rename({"total": "electricity"}))
        frame = _flags(frame, config).with_columns(
            pl.lit("daily").alias("basis"),
            pl.when(pl.col("avg").is_null() | (pl.col("baseline_pct").is_null() & pl.col("yoy_pct").is_null()))
            .then(pl.lit("insufficient"))
            .when(pl.col("below_baseline") | pl.col("yoy_drop")).then(pl.lit("alert")).otherwise(pl.lit("ok"))
            .alias("status"),
            pl.when(pl.col("avg").is_null()).then(pl.lit("month_short"))
            .when(pl.col("baseline_pct").is_null() & pl.col("yoy_pct").is_null()).then(pl.lit("no_reference"))
            .otherwise(None).alias("reason"))
        daily_ids = current["enterprise_id"]
        parts.append(frame)
    monthly = _monthly(year, month, region_codes).filter(~pl.col("enterprise_id").is_in(daily_ids.implode()))
    if monthly.height:
        base_m = _monthly(year - 1, 12, region_codes).select("enterprise_id", pl.col("total").alias("baseline"),
                                                             pl.col("avg").alias("baseline_avg"))
        last_m = _monthly(year - 1, month, region_codes).select("enterprise_id", pl.col("total").alias("last_year"),
                                                                pl.col("avg").alias("last_year_avg"))
        frame = (monthly.join(base_m, on="enterprise_id", how="left").join(last_m, on="enterprise_id", how="left")
                 .rename({"total": "electricity"}))
        frame = _flags(frame, config).with_columns(
            pl.lit("monthly").alias("basis"),
            pl.when(pl.col("below_baseline") | pl.col("yoy_drop")).then(pl.lit("alert")).otherwise(pl.lit("ok"))
            .alias("status"), pl.lit(None, pl.Utf8).alias("reason"))
        parts.append(frame)
    if span is not None:
        # December readings but none this month (and no monthly figure): silence is not a pass
        seen = pl.concat([p.select("enterprise_id") for p in parts])["enterprise_id"]
        base_only = base.filter(~pl.col("enterprise_id").is_in(seen.implode()))
        if base_only.height:
            parts.append(base_only.select(
                "enterprise_id", pl.lit("daily").alias("basis"),
                pl.lit(None, pl.Float64).alias("electricity"), pl.col("total").alias("baseline"),
                pl.lit(None, pl.Float64).alias("last_year"), pl.lit(None, pl.Float64).alias("baseline_pct"),
                pl.lit(None, pl.Float64).alias("yoy_pct"), pl.lit(False).alias("below_baseline"),
                pl.lit(False).alias("yoy_drop"), pl.lit("insufficient").alias("status"),
                pl.lit("no_readings").alias("reason")))
    columns = [c for c in COLUMNS if c not in ("region_id", "industry_id")]
    if not parts:
        return pl.DataFrame(schema={"enterprise_id": pl.Int64, "region_id": pl.Utf8, "industry_id": pl.Utf8,
                                    "basis": pl.Utf8, "electricity": pl.Float64, "baseline": pl.Float64,
                                    "last_year": pl.Float64, "baseline_pct": pl.Float64, "yoy_pct": pl.Float64,
                                    "below_baseline": pl.Boolean, "yoy_drop": pl.Boolean, "status": pl.Utf8,
                                    "reason": pl.Utf8})
    frame = pl.concat([p.select(columns) for p in parts], how="vertical_relaxed")
    frame = frame.join(_keys(frame["enterprise_id"]), on="enterprise_id", how="inner")
    if region_codes is not None:
        frame = frame.filter(pl.col("region_id").is_in(sorted(region_codes)))
    return frame.select(COLUMNS)


def alert_frame(year: int, month: int, config: MonitoringConfig | None = None) -> pl.DataFrame:
    """The alert rows of a month as a polars frame (nothing written)."""
    return assess(year, month, config).filter(pl.col("status") == "alert")


def insufficient(year: int, month: int, region_codes: set[str] | None = None) -> pl.DataFrame:
    """Enterprises of the month whose daily readings do not allow a test ("数据不足"), optionally only those
    registered in `region_codes` (the officer's scope)."""
    return assess(year, month, region_codes=region_codes).filter(pl.col("status") == "insufficient")


def _dec(value: float | None, places: str) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places))


def run_alerts(year: int, month: int, config: MonitoringConfig | None = None) -> int:
    """Store the month's enterprise alerts and 数据不足 rows (replacing the month's earlier run); returns the
    number of alerts."""
    return store_alerts(year, month, assess(year, month, config))


def store_alerts(year: int, month: int, assessed: pl.DataFrame) -> int:
    """Replace the month's stored alerts with the alert rows of `assessed` (from `assess`) and its stored
    数据不足 rows with the insufficient ones, in one transaction; returns the number of alerts."""
    df = assessed.filter(pl.col("status") == "alert")
    gaps = [ElectricityDataGap(year=year, month=month, enterprise_id=r["enterprise_id"], region_id=r["region_id"],
                               reason=r["reason"] or ElectricityDataGap.Reason.MONTH_SHORT)
            for r in assessed.filter(pl.col("status") == "insufficient").iter_rows(named=True)]
    rows = [ElectricityAlert(
        year=year, month=month, enterprise_id=r["enterprise_id"], region_id=r["region_id"],
        industry_id=r["industry_id"], electricity=_dec(r["electricity"], "0.01") or Decimal(0), baseline=_dec(r["baseline"], "0.01"),
        last_year=_dec(r["last_year"], "0.01"), baseline_pct=_dec(r["baseline_pct"], "0.1"),
        yoy_pct=_dec(r["yoy_pct"], "0.1"), below_baseline=r["below_baseline"], yoy_drop=r["yoy_drop"],
        basis=r["basis"],
        level=ElectricityAlert.Level.RED if r["below_baseline"] and r["yoy_drop"] else ElectricityAlert.Level.YELLOW)
        for r in df.iter_rows(named=True)]
    with transaction.atomic():
        ElectricityAlert.objects.filter(year=year, month=month).delete()
        ElectricityAlert.objects.bulk_create(rows, batch_size=2000)
        ElectricityDataGap.objects.filter(year=year, month=month).delete()
        ElectricityDataGap.objects.bulk_create(gaps, batch_size=2000)
    return len(rows)


def by_region(alerts: QuerySet[ElectricityAlert]) -> list[dict]:
    rows = (alerts.values("region", "region__name").annotate(n=Count("pk"), red=Count("pk", filter=_red()))
            .order_by("-n", "region"))
    return list(rows)  # type: ignore[arg-type]


def by_industry(alerts: QuerySet[ElectricityAlert], limit: int = 15) -> list[dict]:
    rows = (alerts.values("industry__code", "industry__name").annotate(n=Count("pk"), red=Count("pk", filter=_red()))
            .order_by("-n", "industry__code"))
    return list(rows[:limit])  # type: ignore[arg-type]


def _red() -> Q:
    return Q(level=ElectricityAlert.Level.RED)


# ------------------------------------------------------------------------------------------ divergence


@dataclass(frozen=True)
class Divergence:
    region: Region
    electricity_growth: Decimal
    value_added_growth: Decimal
    gap: Decimal  # electricity − value added, pp
    diverges: bool


def _ytd(code: str, year: int, month: int, regions: Sequence[str]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for v in IndicatorValue.objects.current().filter(indicator__code=code, year=year, month=month,
                                                     region_id__in=list(regions), ytd_yoy_pct__isnull=False):
        if v.region_id not in out or v.basis == Basis.OFFICIAL:
            out[v.region_id] = v.ytd_yoy_pct  # type: ignore[assignment]
    return out


def divergence(year: int, month: int, regions: Sequence[Region], config: MonitoringConfig | None = None,
               ) -> list[Divergence]:
    config = config or MonitoringConfig.get()
    codes = [r.code for r in regions]
    elec, va = _ytd(ELECTRICITY, year, month, codes), _ytd(VALUE_ADDED, year, month, codes)
    out = []
    for region in regions:
        if region.code in elec and region.code in va:
            gap = elec[region.code] - va[region.code]
            out.append(Divergence(region, elec[region.code], va[region.code], gap, abs(gap) > config.divergence_pp))
    out.sort(key=lambda d: -abs(d.gap))
    return out


# ------------------------------------------------------------------------------------------- nowcast


@dataclass(frozen=True)
class Fit:
    slope: float
    intercept: float

    def predict(self, x: float) -> float:
        return self.intercept + self.slope * x


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> Fit | None:
    """Ordinary least squares y = a + b·x (None with fewer than 3 points or no spread in x)."""
    if len(xs) < 3 or len(set(xs)) < 2:
        return None
    design = np.column_stack([np.ones(len(xs)), np.asarray(xs, dtype=float)])
    (a, b), *_ = np.linalg.lstsq(design, np.asarray(ys, dtype=float), rcond=None)
    return Fit(float(b), float(a))


@dataclass(frozen=True)
class Nowcast:
    region: Region
    fit: Fit | None
    holdout_mae: float | None       # mean absolute error (pp) on the held-out months
    holdout: list[tuple[str, float, float]]  # (period, actual, predicted)
    n_train: int
    electricity_yoy: float | None   # this month's electricity growth
    estimate: float | None          # nowcast of this month's value-added growth
    actual: float | None            # the published figure, when it is already out


def nowcast_series(points: Sequence[tuple[str, float, float]], holdout: int) -> tuple[Fit | None, float | None,
                                                                                     list[tuple[str, float, float]], int]:
    """points: (period, x, y) oldest first. Fit on all but the last `holdout`, test on them; refit on all."""
    train, test = (list(points[:-holdout]), list(points[-holdout:])) if holdout and len(points) > holdout + 2 else (
        list(points), [])
    held: list[tuple[str, float, float]] = []
    mae = None
    first = fit_line([p[1] for p in train], [p[2] for p in train])
    if first is not None and test:
        held = [(p, y, first.predict(x)) for p, x, y in test]
        mae = sum(abs(a - b) for _, a, b in held) / len(held)
    return fit_line([p[1] for p in points], [p[2] for p in points]), mae, held, len(train)


def _monthly_yoy(code: str, regions: Sequence[str], until: tuple[int, int]) -> dict[str, dict[tuple[int, int], float]]:
    out: dict[str, dict[tuple[int, int], float]] = defaultdict(dict)
    rows = (IndicatorValue.objects.current().filter(indicator__code=code, region_id__in=list(regions),
                                                    yoy_pct__isnull=False)
            .order_by("basis").values_list("region_id", "year", "month", "yoy_pct", "basis"))
    for region, y, m, v, basis in rows:
        if (y, m) <= until and ((y, m) not in out[region] or basis == Basis.OFFICIAL):
            out[region][(y, m)] = float(v)
    return out


def nowcasts(year: int, month: int, regions: Sequence[Region], config: MonitoringConfig | None = None,
             ) -> list[Nowcast]:
    config = config or MonitoringConfig.get()
    if Indicator.objects.filter(code__in=[ELECTRICITY, VALUE_ADDED]).count() != 2:
        return []
    codes = [r.code for r in regions]
    elec, va = _monthly_yoy(ELECTRICITY, codes, (year, month)), _monthly_yoy(VALUE_ADDED, codes, (year, month))
    out = []
    for region in regions:
        e, v = elec.get(region.code, {}), va.get(region.code, {})
        history = [(f"{y}-{m:02d}", e[(y, m)], v[(y, m)]) for (y, m) in sorted(set(e) & set(v)) if (y, m) < (year, month)]
        fit, mae, held, n_train = nowcast_series(history, config.nowcast_holdout)
        x = e.get((year, month))
        out.append(Nowcast(region, fit, mae, held, n_train, x,
                           fit.predict(x) if fit is not None and x is not None else None, v.get((year, month))))
    return out
