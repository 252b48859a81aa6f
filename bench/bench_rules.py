"""Benchmark: the tier rules over the demo province, against the plain-Python loop in the same run.

    .venv/bin/python bench/bench_rules.py [--enterprises 200000] [--seed 2023] [--db PATH] [--python-sample N]
                                          [--no-record]

SQLite by default (a bench-only file; `--db PATH` reuses a generated province across runs — it is created
when missing); with IB_DATABASE=postgres (PG* variables) the configured PostgreSQL database is used.
Seeds the rules' demo attributes when missing, loads the rule library, then:

* builds the feature snapshot of the date (every catalogue feature of every enterprise, one INSERT … SELECT);
* evaluates every tier rule version over the whole base from the snapshot, storing every result
  (one INSERT … SELECT per rule, JSON built in the database) — the total is "all tiers";
* the reference evaluator (pyeval) looping in Python over a sample of enterprises (reading the registry
  through the ORM), rows/s, and the ratio against the SQL path's rows/s (snapshot included); the SQL rows
  of the sample must equal the Python rows;
* re-evaluating one enterprise with every rule (the after-commit hook's work) and the preview by region.
Prints one figure per line and appends to docs/BENCHMARKS.md.
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

import province  # noqa: E402
from bench_demo import machine  # noqa: E402

AS_OF = dt.date(2024, 7, 1)  # demo facts end in 2023: "last year" = 2023
# (rule, version): the versions in force on AS_OF, plus the 2026 versions run on the same data (what-if)
RULES = [("innovative_sme", None), ("srdi_sme", None), ("little_giant", None), ("single_champion", None),
         ("srdi_sme", "2026.1"), ("little_giant", "2026.1")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--db", help="SQLite file to reuse (generated when missing)")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--python-sample", type=int, default=20_000,
                        help="run the Python loop on this many enterprises (spread over the base)")
    args = parser.parse_args()

    postgres = os.environ.get("IB_DATABASE") == "postgres"
    workdir = Path(tempfile.mkdtemp(prefix="ib-bench-rules-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "industrybrain.settings.dev"
    os.environ.setdefault("IB_VAR_DIR", str(workdir))
    if not postgres:
        os.environ["IB_DATABASE"] = "sqlite"
        os.environ["IB_SQLITE_PATH"] = args.db or str(workdir / "bench.sqlite3")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection

    from industrybrain.registry.models import Enterprise
    from industrybrain.rules import attributes, evaluate, pyeval, snapshot
    from industrybrain.rules.models import EnterpriseAttribute, RuleVersion

    t0 = time.perf_counter()
    province.prepare(args.enterprises, args.seed)
    n = Enterprise.objects.count()
    print(f"setup: {n:,} enterprises, {EnterpriseAttribute.objects.count():,} attributes "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")

    versions = [evaluate.version_for(code, AS_OF) if v is None else RuleVersion.objects.get(rule__code=code, version=v)
                for code, v in RULES]
    t0 = time.perf_counter()
    attr_table = "in step" if attributes.in_step() else "rebuilt"
    attributes.ensure()  # maintained on write; rebuilt here only when the database was filled in bulk
    attr_s = time.perf_counter() - t0
    print(f"current-attribute table: {attr_table} ({attr_s:.2f} s, once)", flush=True)
    t0 = time.perf_counter()
    snap = snapshot.build(AS_OF)
    snap_s = time.perf_counter() - t0
    print(f"feature snapshot: {snap_s:.2f} s ({snap.enterprise_count:,} enterprises × {snap.feature_count} features)",
          flush=True)

    step = max(1, n // args.python_sample) if args.python_sample else 1
    all_ids = list(Enterprise.objects.order_by("id").values_list("id", flat=True))
    sample = all_ids[::step][: args.python_sample] if args.python_sample else all_ids
    parts, store_total, py_total, in_force_total, previews = [], 0.0, 0.0, 0.0, []
    for k, version in enumerate(versions):
        spec = version.spec()
        label = f"{spec.id} {spec.version}"
        t0 = time.perf_counter()
        stored = evaluate.evaluate_rule(version, AS_OF, snapshot=snap)
        store_s = time.perf_counter() - t0
        store_total += store_s
        if RULES[k][1] is None:
            in_force_total += store_s
        t0 = time.perf_counter()
        evaluate.preview(spec, AS_OF, snapshot=snap)
        preview_s = time.perf_counter() - t0
        previews.append(preview_s)
        t0 = time.perf_counter()
        py_rows = pyeval.evaluate_all(spec, AS_OF, sample)
        py_s = time.perf_counter() - t0
        py_total += py_s * n / len(sample)
        sql_rows = {r["enterprise_id"]: r for r in evaluate.run(spec, AS_OF, sample)}
        assert all(sql_rows[r["enterprise_id"]] == r for r in py_rows), f"{label}: SQL and Python rows differ"
        py_rate = len(py_rows) / py_s
        print(f"{label}: evaluated and stored {store_s:.2f} s ({n / store_s:,.0f} rows/s); preview by region "
              f"{preview_s:.2f} s; Python loop {py_rate:,.0f} rows/s; pass/fail/unknown "
              f"{stored.pass_count:,}/{stored.fail_count:,}/{stored.unknown_count:,}", flush=True)
        parts.append(f"{label} stored {store_s:.1f} s, preview {preview_s:.2f} s, "
                     f"{stored.pass_count:,}/{stored.fail_count:,}/{stored.unknown_count:,}")

    one = all_ids[len(all_ids) // 2]
    codes = sorted({code for code, _v in RULES})
    evaluate.reevaluate_enterprises([one], AS_OF, codes=codes)  # warm the statement cache
    t0 = time.perf_counter()
    for _ in range(5):
        evals = evaluate.reevaluate_enterprises([one], AS_OF, codes=codes)
    one_ms = (time.perf_counter() - t0) / 5 * 1000
    t0 = time.perf_counter()
    for _ in range(5):
        snapshot.refresh([one])
    refresh_ms = (time.perf_counter() - t0) / 5 * 1000

    total = snap_s + store_total
    in_force = snap_s + in_force_total
    ratio = py_total / total
    print(f"all {len(versions)} rule versions: {total:.1f} s (snapshot {snap_s:.1f} s + evaluate and store "
          f"{store_total:.1f} s) for {n:,} enterprises; Python loop (extrapolated from {len(sample):,}) "
          f"{py_total:.0f} s → {ratio:.1f}×")
    print(f"the {sum(1 for _c, v in RULES if v is None)} tier rules in force on {AS_OF} (领航企业 is a manual tag): "
          f"{in_force:.1f} s (snapshot included); preview {min(previews):.2f}–{max(previews):.2f} s")
    print(f"one enterprise after an edit: {one_ms:.0f} ms for {len(evals)} rules "
          f"({one_ms / max(len(evals), 1):.0f} ms per rule) + snapshot rows refreshed {refresh_ms:.0f} ms")

    if not args.no_record:
        db = "PostgreSQL" if postgres else "SQLite (WAL)"
        entry = (f"- {dt.date.today().isoformat()} · bench/bench_rules.py · {machine()} · {db} · {n:,} demo enterprises "
                 f"(seed {args.seed}), as of {AS_OF}, {len(versions)} tier rule versions from one feature snapshot: "
                 f"the {sum(1 for _c, v in RULES if v is None)} tier rules in force {in_force:.1f} s; "
                 f"all {len(versions)} {total:.1f} s (snapshot {snap_s:.1f} s + evaluate and store results {store_total:.1f} s); "
                 f"current-attribute table {attr_table} {attr_s:.1f} s (once; maintained on write); "
                 f"preview {min(previews):.2f}–{max(previews):.2f} s; "
                 f"Python loop {py_total:.0f} s (extrapolated from {len(sample):,}) → {ratio:.1f}×; "
                 f"one enterprise after an edit {one_ms:.0f} ms for {len(evals)} rules + snapshot refresh "
                 f"{refresh_ms:.0f} ms; " + "; ".join(parts)
                 + f" (load average {os.getloadavg()[0]:.1f} at the end: the machine is shared)\n")
        with (ROOT / "docs" / "BENCHMARKS.md").open("a", encoding="utf-8") as fh:
            fh.write(entry)
        print("recorded in docs/BENCHMARKS.md")


if __name__ == "__main__":
    main()
