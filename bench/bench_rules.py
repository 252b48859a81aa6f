"""Benchmark: evaluate the tier rules over the demo province in SQLite, against the plain-Python loop.

    .venv/bin/python bench/bench_rules.py [--enterprises 200000] [--seed 2023] [--no-record] [--python-sample N]

Builds the demo province (bench-only SQLite file), seeds the rules' demo attributes, loads the rule
library, then per rule: one SQL statement over the whole base (rows/s), the same with results stored
(bulk inserts), and the reference evaluator (pyeval) looping in Python over the same enterprises — reading
the registry through the ORM and evaluating each enterprise. Both paths must give the same counts.
Also: re-evaluating one enterprise (target < 100 ms) and the live preview by region (target < 2 s at
1,000,000). Prints one figure per line and appends to docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_demo import machine  # noqa: E402

AS_OF = dt.date(2024, 7, 1)  # demo facts end in 2023: "last year" = 2023


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--python-sample", type=int, default=0,
                        help="run the Python loop on the first N enterprises only (0 = all) and extrapolate")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ib-bench-rules-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "industrybrain.settings.dev"
    os.environ["IB_DATABASE"] = "sqlite"
    os.environ["IB_VAR_DIR"] = str(workdir)
    os.environ["IB_SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    from industrybrain.demo import generator, users
    from industrybrain.demo.build import DemoContext
    from industrybrain.registry.models import Enterprise
    from industrybrain.rules import demo_data, evaluate, pyeval
    from industrybrain.rules.loader import load_library

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    generator.generate(args.enterprises, args.seed, stewards=users.ensure_stewards())
    attrs = demo_data.build(DemoContext(args.enterprises, args.seed))
    print(f"setup: demo province {args.enterprises:,} enterprises + {attrs:,} attributes in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    load_library()

    lines = []
    for code in ("innovative_sme", "srdi_sme"):
        version = evaluate.version_for(code, AS_OF)
        spec = version.spec()

        t0 = time.perf_counter()
        rows = evaluate.run(spec, AS_OF)
        sql_s = time.perf_counter() - t0
        sql_counts = _counts(evaluate.outcome_of(r["outcome"]) for r in rows)

        t0 = time.perf_counter()
        stored = evaluate.evaluate_rule(version, AS_OF)
        store_s = time.perf_counter() - t0

        ids = None
        if args.python_sample:
            ids = list(Enterprise.objects.order_by("id").values_list("id", flat=True)[: args.python_sample])
        t0 = time.perf_counter()
        py_rows = pyeval.evaluate_all(spec, AS_OF, ids)
        py_s = time.perf_counter() - t0
        n_py = len(py_rows)
        py_counts = _counts(evaluate.outcome_of(r["outcome"]) for r in py_rows)
        if ids is None:
            assert py_counts == sql_counts, (py_counts, sql_counts)
            by_id = {r["enterprise_id"]: r for r in rows}
            assert all(by_id[r["enterprise_id"]] == r for r in py_rows), "SQL and Python rows differ"
        py_rate = n_py / py_s
        sql_rate = len(rows) / sql_s

        one = Enterprise.objects.order_by("id").values_list("id", flat=True)[len(rows) // 2]
        t0 = time.perf_counter()
        for _ in range(10):
            evaluate.evaluate_rule(version, AS_OF, [one])
        one_ms = (time.perf_counter() - t0) / 10 * 1000

        t0 = time.perf_counter()
        evaluate.preview(spec, AS_OF)
        preview_s = time.perf_counter() - t0

        print(f"{code}: SQL {sql_s:.2f} s ({sql_rate:,.0f} rows/s); pass/fail/unknown "
              f"{sql_counts['pass']:,}/{sql_counts['fail']:,}/{sql_counts['unknown']:,}")
        print(f"{code}: SQL + store results {store_s:.2f} s ({stored.enterprise_count / store_s:,.0f} rows/s)")
        print(f"{code}: Python loop {py_s:.2f} s over {n_py:,} ({py_rate:,.0f} rows/s); ratio {sql_rate / py_rate:.1f}×")
        print(f"{code}: one enterprise re-evaluated and stored {one_ms:.1f} ms; preview by region {preview_s:.2f} s",
              flush=True)
        lines.append(f"{code} SQL {sql_s:.1f} s ({sql_rate:,.0f} rows/s), with results stored {store_s:.1f} s, "
                     f"Python loop {py_rate:,.0f} rows/s{' (sample ' + format(n_py, ',') + ')' if ids else ''} → "
                     f"{sql_rate / py_rate:.1f}×; one enterprise {one_ms:.0f} ms; preview {preview_s:.2f} s; "
                     f"pass/fail/unknown {sql_counts['pass']:,}/{sql_counts['fail']:,}/{sql_counts['unknown']:,}")

    if not args.no_record:
        entry = (f"- {dt.date.today().isoformat()} · bench/bench_rules.py · {machine()} · SQLite (WAL) · "
                 f"{args.enterprises:,} demo enterprises (seed {args.seed}), as of {AS_OF}: " + "; ".join(lines) + "\n")
        with (ROOT / "docs" / "BENCHMARKS.md").open("a", encoding="utf-8") as fh:
            fh.write(entry)
        print("recorded in docs/BENCHMARKS.md")


def _counts(outcomes) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "unknown": 0}
    for outcome in outcomes:
        counts[outcome] += 1
    return counts


if __name__ == "__main__":
    main()
