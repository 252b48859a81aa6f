"""Benchmark: like-for-like derivation of region indicators from 100,000 规上 enterprises × 36 months.

Builds its own SQLite file (synthetic enterprises spread over the Zhejiang and Shanghai counties, monthly
value added 2021-01…2023-12 with gaps: firms entering and leaving), then times `indicators.derive`:
reading the facts (one query into polars), computing every region × month of 2022 and 2023 on the
like-for-like base, and storing the figures (first run: all new; second run: nothing changed).
Baseline in the same run: reading the same rows with a bare `SELECT` into Python tuples.

    .venv/bin/python bench/bench_indicators.py [--enterprises 100000] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_mb, record, setup_django  # noqa: E402


def build(n: int) -> int:
    from django.core.management import call_command
    from django.db import connection, transaction

    from industrybrain.core.models import Region
    from industrybrain.registry.models import Enterprise, MonthlyFact

    call_command("migrate", verbosity=0)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    rng = np.random.default_rng(2023)
    region = rng.choice(counties, n)
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    ent_table, fact_table = Enterprise._meta.db_table, MonthlyFact._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {ent_table} (id, uscc, name, region_id, industry_id, ownership, size_class, above_scale, "  # noqa: S608
            "address, legal_representative, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            [(i + 1, f"BENCH{i:013d}", f"基准企业{i}", region[i], "3973", "private", "medium", True, "", "", now, now)
             for i in range(n)])
        level = rng.lognormal(7.0, 1.2, n)
        growth = rng.normal(0.06, 0.08, n)
        start = np.where(rng.random(n) < 0.1, rng.integers(0, 36, n), 0)   # 10% enter during the window
        stop = np.where(rng.random(n) < 0.03, rng.integers(12, 36, n), 36)  # 3% leave
        rows = 0
        for t in range(36):
            year, month = 2021 + t // 12, t % 12 + 1
            alive = (t >= start) & (t < stop)
            value = level * (1 + growth) ** (t / 12) * np.exp(rng.normal(0, 0.05, n))
            ids = np.nonzero(alive)[0]
            cursor.executemany(
                f"INSERT INTO {fact_table} (enterprise_id, year, month, source, received_at, field_sources, "  # noqa: S608
                "value_added) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                [(int(i) + 1, year, month, "基准", now, "{}", round(float(value[i]), 2)) for i in ids])
            rows += len(ids)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-indicators-"))
    setup_django(workdir / "bench.sqlite3", workdir)

    from django.db import connection

    from industrybrain.indicators import derive
    from industrybrain.indicators.models import Indicator

    started = time.perf_counter()
    facts_rows = build(args.enterprises)
    built = time.perf_counter() - started
    print(f"data: {args.enterprises:,} enterprises, {facts_rows:,} monthly facts in {built:.1f} s")

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT enterprise_id, year, month, value_added FROM registry_monthlyfact")
        bare = len(cursor.fetchall())
    baseline = time.perf_counter() - t0
    print(f"baseline bare SELECT of {bare:,} rows: {baseline:.2f} s")

    va = Indicator.objects.get(code="above_scale_value_added")
    t1 = time.perf_counter()
    results = derive.derive([va], [2022, 2023])
    first = time.perf_counter() - t1
    read = sum(r.seconds_read for r in results)
    compute = sum(r.seconds_compute for r in results)
    write = sum(r.seconds_write for r in results)
    rows = sum(r.rows for r in results)
    load = first - read - compute - write
    t2 = time.perf_counter()
    again = derive.derive([va], [2022, 2023])
    second = time.perf_counter() - t2
    unchanged = sum(r.recorded.unchanged for r in again)
    print(f"derive 2022+2023: {first:.2f} s total (load {load:.2f} s, compute {compute:.2f} s, write {write:.2f} s), "
          f"{rows:,} region-month figures; rerun (nothing changed, {unchanged:,} unchanged) {second:.2f} s; "
          f"{first / baseline:.1f}× the bare SELECT; peak RSS {peak_mb():.0f} MB")
    if not args.no_record:
        line = record("bench_indicators.py", "SQLite (WAL)",
                      f"{args.enterprises:,} 规上 enterprises × 36 months ({facts_rows:,} monthly facts, 10% entering and "
                      f"3% leaving in the window): like-for-like derivation of 规上工业增加值 for every region × month of "
                      f"2022 and 2023 ({rows:,} figures): {first:.1f} s (read facts into polars {load:.1f} s, compute "
                      f"{compute:.1f} s, store {write:.1f} s); rerun with nothing changed {second:.1f} s; "
                      f"{first / baseline:.1f}× a bare SELECT of the facts ({baseline:.1f} s); peak RSS {peak_mb():.0f} MB")
        print(line)


if __name__ == "__main__":
    main()
