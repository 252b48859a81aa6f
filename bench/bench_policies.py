"""Benchmark: match the 30 demo policies over the demo province, rematch one enterprise, simulate a draft.

    .venv/bin/python bench/bench_policies.py [--enterprises 20000] [--seed 2023] [--no-record]

Targets (issue 5, PostgreSQL, 2 cores): 300 policies × 1,000,000 enterprises under 5 minutes; rematching one
enterprise under 200 ms; simulating one draft over 1,000,000 enterprises under 15 s. This script runs on
its own SQLite file; figures are appended to docs/BENCHMARKS.md unless --no-record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import record, setup_django  # noqa: E402

AS_OF = dt.date(2024, 3, 31)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ib-bench-policies-"))
    setup_django(workdir / "bench.sqlite3", workdir)
    from django.core.management import call_command

    from industrybrain.demo import generator, users
    from industrybrain.demo.build import DemoContext
    from industrybrain.policies import demo_data, matching, simulation
    from industrybrain.registry.models import Enterprise
    from industrybrain.rules import demo_data as rules_demo

    call_command("migrate", verbosity=0)
    generator.generate(args.enterprises, args.seed, stewards=users.ensure_stewards())
    rules_demo.build(DemoContext(args.enterprises, args.seed))
    policies = demo_data.load_catalogue()
    t0 = time.perf_counter()
    results = matching.match_all(AS_OF, policies, notify=False)
    match_s = time.perf_counter() - t0
    qualified = sum(r["qualified"] for r in results)
    ids = list(Enterprise.objects.filter(above_scale=True).values_list("pk", flat=True)[:50])
    times = []
    for eid in ids:
        t = time.perf_counter()
        matching.rematch_enterprise(eid, AS_OF, notify=False)
        times.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    sim = simulation.simulate("rd_ratio_last_year >= 3 AND revenue_last_year >= 2000", "rd_expense_last_year * 0.1",
                              budget=None, as_of=AS_OF)
    sim_s = time.perf_counter() - t
    figures = (f"{args.enterprises:,} enterprises: match {len(policies)} policies {match_s:.1f} s "
               f"({match_s / len(policies) * 1000:.0f} ms/policy, {qualified:,} qualified); rematch one enterprise "
               f"median {statistics.median(times):.0f} ms (max {max(times):.0f}); simulate one draft {sim_s:.1f} s "
               f"({sim.qualified:,} qualify)")
    print(figures)
    if not args.no_record:
        print(record("bench_policies.py", "SQLite", figures))


if __name__ == "__main__":
    main()
