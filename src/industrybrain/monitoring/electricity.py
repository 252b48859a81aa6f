"""用电监测: enterprise electricity alerts, region divergence, and an electricity-based nowcast.

- Alerts (set-based, polars): for a month (Y, M), each 规上 enterprise's electricity (registry.MonthlyFact,
  万千瓦时) against its baseline — the previous December (Y−1, 12), a monthly proxy of the province's
  "≥90% of December's daily average" measure (mechanisms.md §1) — and against the same month last year.
  below_baseline: use < baseline_ratio_pct (90%) of the baseline; yoy_drop: year-on-year change ≤ −yoy_drop_pct
  (−10%). Both → red (停减产), one → yellow. Three value queries and one bulk insert, whatever the size.
- Divergence: regions whose cumulative growth of 工业用电量 and 规上工业增加值 (the cube's 累计同比%, official
  first) differ by more than `divergence_pp` percentage points.
- Nowcast: per region, an ordinary least-squares line va_yoy = a + b × electricity_yoy over the region's
  monthly 同比 history; the last `holdout` months before the target month are held out to report the error
  (MAE, pp) of a line fitted on the months before them; the line refitted on all history gives this month's
  estimate from this month's electricity growth.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl
from django.db import transaction
from django.db.models import Count, QuerySet

from industrybrain.core.models import Region
from industrybrain.indicators.models import Basis, Indicator, IndicatorValue
from industrybrain.registry.models import MonthlyFact

from .models import ElectricityAlert, MonitoringConfig

ELECTRICITY = "industrial_electricity"
VALUE_ADDED = "above_scale_value_added"


def _frame(year: int, month: int, with_keys: bool = False) -> pl.DataFrame:
    qs = MonthlyFact.objects.filter(year=year, month=month, electricity__isnull=False)
    if with_keys:
        rows = list(qs.values_list("enterprise_id", "enterprise__region_id", "enterprise__industry_id", "electricity"))
        return pl.DataFrame(rows, schema={"enterprise_id": pl.Int64, "region_id": pl.Utf8, "industry_id": pl.Utf8,
                                          "electricity": pl.Float64}, orient="row")
    rows2 = [(e, float(v)) for e, v in qs.values_list("enterprise_id", "electricity")]
    return pl.DataFrame(rows2, schema={"enterprise_id": pl.Int64, "value": pl.Float64}, orient="row")


def alert_frame(year: int, month: int, config: MonitoringConfig | None = None) -> pl.DataFrame:
    """The alert rows of a month as a polars frame (nothing written)."""
    config = config or MonitoringConfig.get()
    current = _frame(year, month, with_keys=True).with_columns(pl.col("electricity").cast(pl.Float64))
    baseline = _frame(year - 1, 12).rename({"value": "baseline"})
    last_year = _frame(year - 1, month).rename({"value": "last_year"})
    ratio, drop = float(config.baseline_ratio_pct), float(config.yoy_drop_pct)
    df = (current.join(baseline, on="enterprise_id", how="left").join(last_year, on="enterprise_id", how="left")
          .with_columns(
              pl.when(pl.col("baseline") > 0).then((pl.col("electricity") / pl.col("baseline") * 100).round(6))
              .otherwise(None).alias("baseline_pct"),
              pl.when(pl.col("last_year") > 0).then(((pl.col("electricity") / pl.col("last_year") - 1) * 100).round(6))
              .otherwise(None).alias("yoy_pct"))
          # rounded to 6 places so that exactly 90% / −10% compare as written, not as binary fractions
          .with_columns((pl.col("baseline_pct") < ratio).fill_null(False).alias("below_baseline"),
                        (pl.col("yoy_pct") <= -drop).fill_null(False).alias("yoy_drop"))
          .filter(pl.col("below_baseline") | pl.col("yoy_drop")))
    return df


def _dec(value: float | None, places: str) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places))


def run_alerts(year: int, month: int, config: MonitoringConfig | None = None) -> int:
    """Store the month's enterprise alerts (replacing the month's earlier run); returns their number."""
    df = alert_frame(year, month, config)
    rows = [ElectricityAlert(
        year=year, month=month, enterprise_id=r["enterprise_id"], region_id=r["region_id"],
        industry_id=r["industry_id"], electricity=_dec(r["electricity"], "0.01") or Decimal(0), baseline=_dec(r["baseline"], "0.01"),
        last_year=_dec(r["last_year"], "0.01"), baseline_pct=_dec(r["baseline_pct"], "0.1"),
        yoy_pct=_dec(r["yoy_pct"], "0.1"), below_baseline=r["below_baseline"], yoy_drop=r["yoy_drop"],
        level=ElectricityAlert.Level.RED if r["below_baseline"] and r["yoy_drop"] else ElectricityAlert.Level.YELLOW)
        for r in df.iter_rows(named=True)]
    with transaction.atomic():
        ElectricityAlert.objects.filter(year=year, month=month).delete()
        ElectricityAlert.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def by_region(alerts: QuerySet[ElectricityAlert]) -> list[dict]:
    rows = (alerts.values("region", "region__name").annotate(n=Count("pk"), red=Count("pk", filter=_red()))
            .order_by("-n", "region"))
    return list(rows)  # type: ignore[arg-type]


def by_industry(alerts: QuerySet[ElectricityAlert], limit: int = 15) -> list[dict]:
    rows = (alerts.values("industry__code", "industry__name").annotate(n=Count("pk"), red=Count("pk", filter=_red()))
            .order_by("-n", "industry__code"))
    return list(rows[:limit])  # type: ignore[arg-type]


def _red():
    from django.db.models import Q

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
