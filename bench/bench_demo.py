"""Benchmark: generate the demo province (enterprises, yearly and monthly facts) into a fresh SQLite.

    .venv/bin/python bench/bench_demo.py [--enterprises 200000] [--seed 2023] [--no-record]

Prints one figure per line and appends a line to docs/BENCHMARKS.md (machine, date, size, seconds,
peak memory). Baseline in the same run: drawing the same province with numpy alone (no database), so the
ratio says what writing costs on top of the draws. Target (issue): 1,000,000 enterprises with yearly facts
in < 15 min and < 8 GB.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import machine, peak_mb, record, setup_django  # noqa: E402, F401  (machine: re-exported)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--no-record", action="store_true", help="do not append to docs/BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the generated database file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ib-bench-demo-"))
    setup_django(workdir / "bench.sqlite3", var_dir=workdir)
    from django.core.management import call_command

    from industrybrain.demo import generator, users

    call_command("migrate", verbosity=0)

    # Baseline: the same draws without writing anything.
    t0 = time.perf_counter()
    ref = generator._reference(1, {})
    for chunk_no, first in enumerate(range(0, args.enterprises, generator.CHUNK_SIZE)):
        n = min(generator.CHUNK_SIZE, args.enterprises - first)
        generator._draw(ref, generator._chunk_rng(args.seed, chunk_no), first, n)
    draw_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    stats = generator.generate(args.enterprises, args.seed, stewards=users.ensure_stewards())
    total_s = time.perf_counter() - t0
    peak = peak_mb()
    db_mb = sum(p.stat().st_size for p in workdir.glob("bench.sqlite3*")) / 1024 / 1024
    rows = stats.enterprises + stats.yearly_facts + stats.monthly_facts + stats.certifications + stats.tag_links

    print(f"enterprises {stats.enterprises}")
    print(f"above_scale {stats.above_scale}")
    print(f"yearly_facts {stats.yearly_facts}")
    print(f"monthly_facts {stats.monthly_facts}")
    print(f"draw_only_seconds {draw_s:.1f}")
    print(f"generate_seconds {total_s:.1f}")
    print(f"rows_per_second {rows / total_s:,.0f}")
    print(f"ratio_to_draw_only {total_s / draw_s:.1f}")
    print(f"peak_rss_mb {peak:.0f}")
    print(f"database_mb {db_mb:.0f}")

    if not args.no_record:
        line = record("bench_demo.py", "SQLite (WAL)",
                      f"{stats.enterprises:,} enterprises (seed {args.seed}; {stats.above_scale:,} 规上), "
                f"{stats.yearly_facts:,} yearly + {stats.monthly_facts:,} monthly facts: {total_s:.1f} s "
                f"({total_s / 60:.1f} min; {rows / total_s:,.0f} rows/s), peak RSS {peak:,.0f} MB, "
                f"database {db_mb:,.0f} MB; {total_s / draw_s:.1f}× the numpy draws alone ({draw_s:.1f} s)")
        print(line)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept {workdir}")


if __name__ == "__main__":
    main()
