"""Benchmark: the month's ranking boards and electricity alerts for 100,000 规上 enterprises with 3 years of
daily electricity (2021-01-01 … 2023-12-31: 1,095 days, ≈ 110 million DailyElectricity rows).

Prepares a reusable SQLite file under var/ (like bench/province.py: nothing is regenerated when the file
already holds the data; `--fresh` starts over):

- 100,000 规上 industrial enterprises over the Zhejiang and Shanghai counties and a few manufacturing
  classes, their 2022 yearly facts (工业总产值, for the boards' county size tiers), and the demo's indicator
  cube (indicators.demo_data: official figures, references, targets) — all written set-based in SQL
  (recursive CTEs), none row by row in Python;
- the daily readings, generated in SQL by one INSERT … SELECT over enterprises × days (a recursive CTE of
  1,095 days): a level per enterprise, +5% a year, weekends at half, ±5% noise from a hash of (enterprise,
  day); 1 enterprise in 25 falls to 70% from November 2023 (alerts), 1 in 101 misses 15 days of
  December 2023 (数据不足). The (day, enterprise, electricity) index is dropped for the load and rebuilt
  after it (one sort instead of 110 million random inserts).

Timed (the data prepared): every ranking board of December 2023 (each board indicator × city/county level,
rankings.build_board, peer groups from the 100,000 enterprises' output), and the month's electricity
alerts (electricity.assess: three grouped scans of the daily table + the monthly proxy, then
electricity.store_alerts), for December and November 2023; then the electricity page of December as a
province officer and as a county officer (the 数据不足 list read from the rows the month's run stored,
ElectricityDataGap, not recomputed per request). Run it under the shared lock:

    flock /work/main/var/bench.lock .venv/bin/python bench/bench_monitoring.py [--enterprises 100000] [--fresh] [--no-record]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, peak_mb, record, setup_django  # noqa: E402

FIRST_DAY = dt.date(2021, 1, 1)
DAYS = 1095  # 2021-01-01 … 2023-12-31
SCAN_INDEX = "registry_daily_elec_scan"


def prepare(n: int) -> dict[str, float]:
    from django.core.management import call_command
    from django.db import connection, transaction

    from industrybrain.demo.build import DemoContext
    from industrybrain.indicators import demo_data as indicator_demo
    from industrybrain.indicators.models import IndicatorValue
    from industrybrain.registry.models import DailyElectricity, Enterprise, YearlyFact

    timings: dict[str, float] = {}
    call_command("migrate", verbosity=0)
    qn = connection.ops.quote_name
    ent, fact, daily = (qn(m._meta.db_table) for m in (Enterprise, YearlyFact, DailyElectricity))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -1048576")  # 1 GB for the load and the index builds
        cursor.execute("PRAGMA synchronous = OFF")
    if not Enterprise.objects.exists():
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS temp.bench_county")
            cursor.execute("CREATE TEMP TABLE bench_county AS SELECT ROW_NUMBER() OVER (ORDER BY code) - 1 AS k, "
                           "code FROM core_region WHERE level = 3 AND (code LIKE '33%' OR code LIKE '31%')")
            cursor.execute("DROP TABLE IF EXISTS temp.bench_class")
            cursor.execute("CREATE TEMP TABLE bench_class AS SELECT ROW_NUMBER() OVER (ORDER BY code) - 1 AS k, "
                           "code FROM core_industry WHERE section = 'C' AND length(code) = 4")
            cursor.execute("SELECT (SELECT COUNT(*) FROM bench_county), (SELECT COUNT(*) FROM bench_class)")
            counties, classes = cursor.fetchone()
            now = "2024-01-01 00:00:00"
            cursor.execute(
                f"INSERT INTO {ent} (id, uscc, name, region_id, industry_id, ownership, size_class, above_scale, "  # noqa: S608
                "address, legal_representative, created_at, updated_at) "
                "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %s) "
                "SELECT i, printf('BENCH%%013d', i), '基准企业' || i, c.code, k.code, 'private', 'medium', 1, '', '', "
                "%s, %s FROM seq JOIN bench_county c ON c.k = (i * 7919) %% %s "
                "JOIN bench_class k ON k.k = (i * 104729) %% %s", [n, now, now, counties, classes])
            cursor.execute(
                f"INSERT INTO {fact} (enterprise_id, year, source, received_at, field_sources, industrial_output) "  # noqa: S608
                "SELECT id, 2022, '基准', %s, '{}', 2000 + (id * 2654435761 %% 100000) / 10.0 FROM " + ent, [now])
        timings["enterprises"] = time.perf_counter() - t0
        print(f"{n:,} enterprises and yearly facts in {timings['enterprises']:.1f} s", flush=True)
    if not DailyElectricity.objects.exists():
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            # no WAL copy of ~10 GB of pages for the load (a benchmark file: prepared again with --fresh)
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.execute(f"DROP INDEX IF EXISTS {qn(SCAN_INDEX)}")
            cursor.execute("DROP TABLE IF EXISTS temp.bench_day")
            cursor.execute(
                "CREATE TEMP TABLE bench_day AS WITH RECURSIVE d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d "
                "WHERE n < %s) SELECT n, date(%s, '+' || n || ' days') AS day, "
                "CASE WHEN strftime('%%w', date(%s, '+' || n || ' days')) IN ('0', '6') THEN 0.5 ELSE 1.0 END "
                "AS weight FROM d", [DAYS - 1, FIRST_DAY.isoformat(), FIRST_DAY.isoformat()])
            nov = (dt.date(2023, 11, 1) - FIRST_DAY).days
            gap = ((dt.date(2023, 12, 5) - FIRST_DAY).days, (dt.date(2023, 12, 19) - FIRST_DAY).days)
            with transaction.atomic():
                cursor.execute(
                    f"INSERT INTO {daily} (enterprise_id, day, electricity) "  # noqa: S608
                    "SELECT e.id, d.day, round((0.5 + (e.id %% 97) / 10.0) * (1 + 0.05 * d.n / 365.0) * d.weight "
                    "* (0.95 + ((e.id * 2654435761 + d.n * 40503) %% 1000) / 10000.0) "
                    "* CASE WHEN e.id %% 25 = 0 AND d.n >= %s THEN 0.7 ELSE 1.0 END, 4) "
                    f"FROM {ent} e CROSS JOIN bench_day d "
                    "WHERE NOT (e.id %% 101 = 0 AND d.n BETWEEN %s AND %s) ORDER BY e.id, d.n",
                    [nov, gap[0], gap[1]])
            loaded = time.perf_counter()
            print(f"daily rows loaded in {loaded - t0:.0f} s", flush=True)
            cursor.execute(f"CREATE INDEX {qn(SCAN_INDEX)} ON {daily} (day, enterprise_id, electricity)")
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA journal_mode = WAL")
        timings["daily_load"] = loaded - t0
        timings["daily_index"] = time.perf_counter() - loaded
        print(f"scan index built in {timings['daily_index']:.0f} s", flush=True)
    if not IndicatorValue.objects.exists():
        t0 = time.perf_counter()
        indicator_demo.build(DemoContext(n, 2023))
        timings["cube"] = time.perf_counter() - t0
    return timings


def time_pages() -> dict[str, float]:
    """The electricity page of December 2023 as a province and as a county officer (first request)."""
    from django.test import Client

    from industrybrain.core.models import Region, Role, User

    out = {}
    for key, role, region in (("province", Role.PROVINCE_OFFICER, "330000"), ("county", Role.COUNTY_OFFICER, "330106")):
        user = User.objects.filter(username=f"bench-{key}").first() or User.objects.create_user(
            f"bench-{key}", role=role, region=Region.objects.get(pk=region))
        client = Client()
        client.force_login(user)
        t0 = time.perf_counter()
        response = client.get("/monitoring/electricity/?period=2023-12")
        out[key] = time.perf_counter() - t0
        assert response.status_code == 200, response.status_code
        shown = re.search(r"数据不足 (\d+) 家", response.content.decode())
        print(f"electricity page as {key} officer: {out[key]:.2f} s ({len(response.content):,} bytes; "
              f"数据不足 {shown.group(1) if shown else '?'})", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--db", help="SQLite file (default var/bench-monitoring-<N>.sqlite3)")
    parser.add_argument("--fresh", action="store_true", help="delete the file and prepare it again")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    path = Path(args.db or ROOT / "var" / f"bench-monitoring-{args.enterprises}.sqlite3")
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        Path(f"{path}.json").unlink(missing_ok=True)
    setup_django(path, ROOT / "var" / "bench-monitoring-media")

    from industrybrain.monitoring import electricity
    from industrybrain.monitoring.models import Level
    from industrybrain.monitoring.rankings import board_indicators, build_board
    from industrybrain.registry.models import DailyElectricity

    started = time.perf_counter()
    timings = prepare(args.enterprises)
    sidecar = Path(f"{path}.json")  # the preparation figures, kept for runs that reuse the file
    if "daily_load" in timings:
        sidecar.write_text(json.dumps(timings))
    elif sidecar.exists():
        timings = json.loads(sidecar.read_text()) | timings
    prepared = time.perf_counter() - started
    rows = DailyElectricity.objects.count()
    size_gb = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()) / 1e9
    print(f"prepared in {prepared:.0f} s: {rows:,} daily rows, database {size_gb:.1f} GB", flush=True)

    t0 = time.perf_counter()
    boards = 0
    for indicator in board_indicators():
        months = [m for m in indicator.release_months() if m <= 12]
        if not months:
            continue
        for level in (Level.CITY, Level.COUNTY):
            build_board(indicator, 2023, months[-1], level, "330000")
            boards += 1
    rankings = time.perf_counter() - t0
    print(f"rankings: {boards} boards in {rankings:.2f} s", flush=True)

    results = {}
    for month in (12, 11):
        t1 = time.perf_counter()
        frame = electricity.assess(2023, month)
        assessed = time.perf_counter() - t1
        stored = electricity.store_alerts(2023, month, frame)
        total = time.perf_counter() - t1
        counts = dict(frame.group_by("status").len().iter_rows())
        results[month] = (assessed, total - assessed, stored, counts.get("insufficient", 0), frame.height)
        print(f"alerts 2023-{month:02d}: assess {assessed:.1f} s ({frame.height:,} enterprises; "
              f"{stored:,} alerts, {counts.get('insufficient', 0):,} 数据不足), run_alerts incl. store "
              f"{total:.1f} s", flush=True)
    pages = time_pages()
    print(f"peak RSS {peak_mb():.0f} MB")
    if not args.no_record:
        dec, nov = results[12], results[11]
        prep = ""
        if "daily_load" in timings:
            prep = (f"; prepared set-based in SQL: daily rows {timings['daily_load']:.0f} s + scan index "
                    f"{timings['daily_index']:.0f} s")
        line = record("bench_monitoring.py", "SQLite (WAL)",
                      f"{args.enterprises:,} 规上 enterprises × 3 years of daily electricity ({rows:,} rows, database "
                      f"{size_gb:.1f} GB): December 2023 ranking boards ({boards} boards, every indicator × "
                      f"city/county) {rankings:.1f} s; electricity alerts December 2023 {dec[0] + dec[1]:.1f} s "
                      f"(assess {dec[0]:.1f} s over {dec[4]:,} enterprises + store {dec[1]:.1f} s; {dec[2]:,} "
                      f"alerts, {dec[3]:,} 数据不足), November 2023 {nov[0] + nov[1]:.1f} s ({nov[2]:,} alerts); "
                      f"rankings + December alerts {rankings + dec[0] + dec[1]:.1f} s; electricity page "
                      f"(alerts, 数据不足 list, divergence, nowcast) province officer {pages['province']:.1f} s, "
                      f"county officer {pages['county']:.1f} s{prep}; peak RSS "
                      f"{peak_mb():.0f} MB")
        print(line)


if __name__ == "__main__":
    main()
