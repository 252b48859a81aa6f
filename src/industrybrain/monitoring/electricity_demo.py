"""Demo daily electricity (用电监测): spreads the demo's monthly electricity over the days of the months the
alerts read — the demo month, the month before it, and the same two months a year earlier plus last
December (the baseline) — so that the electricity page works on daily readings.

- Each enterprise's month is split over its days with weights 1 on working days and 0.45 on weekends and
  holidays (core.calendar), times a little noise; the days add up to the monthly figure exactly (万千瓦时,
  4 decimals), so the daily and monthly data agree.
- A few enterprises (DEMO_GAPS, about 1.5%) miss ten consecutive days of the demo month — a meter or
  reporting gap: they show as "数据不足", never as an alert. Their monthly figure stays as reported (the
  monthly figure wins; docs in registry.importers.fill_monthly_electricity).
- Deterministic: one numpy stream per (seed, year, month). Rows are written with the generator's bulk
  writer (SQLite executemany, PostgreSQL COPY).
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
from django.db import connection, transaction

from industrybrain.core import calendar as work_calendar
from industrybrain.demo.generator import Writer
from industrybrain.registry.models import DailyElectricity, MonthlyFact

HOLIDAY_WEIGHT = 0.45
NOISE = 0.08
DEMO_GAPS = 0.015
GAP_DAYS = 10


def months_for(year: int, month: int) -> list[tuple[int, int]]:
    previous = (year, month - 1) if month > 1 else (year - 1, 12)
    wanted = {(year, month), previous, (year - 1, month), (previous[0] - 1, previous[1]), (year - 1, 12)}
    return sorted(wanted)


def _split(totals: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(k, days) integer ten-thousandths whose rows add up exactly to round(totals × 10,000)."""
    w = weights[None, :] * np.exp(rng.normal(0.0, NOISE, (len(totals), len(weights))))
    target = np.round(totals * 10_000).astype(np.int64)
    parts = np.floor(w / w.sum(axis=1, keepdims=True) * target[:, None]).astype(np.int64)
    parts[:, -1] += target - parts.sum(axis=1)  # the rounding remainder goes to the last day
    return parts


def build(year: int, month: int, seed: int) -> int:
    """Write the daily readings of the demo months; returns the number of rows."""
    clear()
    writer = Writer()
    adapt = connection.ops.adapt_datefield_value
    written = 0
    for y, m in months_for(year, month):
        facts = list(MonthlyFact.objects.filter(year=y, month=m, electricity__isnull=False)
                     .order_by("enterprise_id").values_list("enterprise_id", "electricity"))
        if not facts:
            continue
        ids = np.array([e for e, _ in facts], dtype=np.int64)
        totals = np.array([float(v) for _, v in facts])
        days = [dt.date(y, m, d) for d in range(1, calendar.monthrange(y, m)[1] + 1)]
        weights = np.array([1.0 if work_calendar.is_working_day(d) else HOLIDAY_WEIGHT for d in days])
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, y, m, 7])))
        parts = _split(totals, weights, rng)
        present = np.ones(parts.shape, dtype=bool)
        if (y, m) == (year, month):
            gap = rng.random(len(ids)) < DEMO_GAPS
            starts = rng.integers(0, len(days) - GAP_DAYS + 1, len(ids))
            for i in np.nonzero(gap)[0]:
                present[i, starts[i]:starts[i] + GAP_DAYS] = False
        day_values = [adapt(d) for d in days]
        rows = ((int(ids[i]), day_values[j], int(parts[i, j]) / 10_000)
                for i in range(len(ids)) for j in range(len(days)) if present[i, j])
        with transaction.atomic():
            written += writer.insert(DailyElectricity, ("enterprise_id", "day", "electricity"), rows)
    return written


def clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(DailyElectricity._meta.db_table)}")  # noqa: S608
