"""Benchmark: match N active policies (the 30 demo ones, varied) over the province, rematch one enterprise,
simulate a draft.

    .venv/bin/python bench/bench_policies.py [--enterprises 20000] [--policies 300] [--db PATH] [--no-record]
    IB_DATABASE=postgres PGHOST=/work/pgbench PGPORT=55432 PGUSER=postgres PGDATABASE=bench1m \\
        flock /work/main/var/bench.lock .venv/bin/python bench/bench_policies.py --policies 300

Targets (issue 5, PostgreSQL, 2 cores): 300 policies × 1,000,000 enterprises under 5 minutes; rematching one
enterprise under 200 ms; simulating one draft over 1,000,000 enterprises under 15 s.

An existing database is used as it is (bench/province.py prepares one; with IB_DATABASE=postgres the PG*
variables name it, otherwise --db names a SQLite file): enterprises are generated only when it has none.
The benchmark's policies (code "bench-…") are created by varying the thresholds of the 30 demo policies
(factors 1.0, 0.8, 1.2, …) and are removed again at the end with their matches (--keep leaves them).
Figures are appended to docs/BENCHMARKS.md unless --no-record.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import record, setup_django  # noqa: E402

FACTORS = (1.0, 0.8, 1.2, 0.9, 1.1, 0.7, 1.3, 0.6, 1.5, 2.0)
_NUMBER = re.compile(r"(?<![\w.'])(\d+(?:\.\d+)?)(?![\w'])")


def vary(expression: str, factor: float) -> str:
    """The expression with every numeric literal multiplied by `factor` (names with digits untouched)."""
    if factor == 1.0:
        return expression
    return _NUMBER.sub(lambda m: f"{float(m.group(1)) * factor:g}", expression)


def setup(args) -> str:
    if os.environ.get("IB_DATABASE") == "postgres":
        os.environ["DJANGO_SETTINGS_MODULE"] = "industrybrain.settings.dev"
        os.environ.setdefault("IB_VAR_DIR", tempfile.mkdtemp(prefix="ib-bench-policies-"))
        os.environ.setdefault("IB_ALLOWED_HOSTS", "testserver")
        sys.path.insert(0, str(ROOT / "src"))
        import django

        django.setup()
        return "PostgreSQL"
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="ib-bench-policies-")) / "bench.sqlite3"
    setup_django(path, path.parent)
    return "SQLite (WAL)"


def make_policies(count: int) -> list:
    from industrybrain.policies import demo_data

    drop_policies()
    made: list = []
    k = 0
    while len(made) < count:
        factor = FACTORS[k % len(FACTORS)]
        made += demo_data.load_catalogue(prefix=f"bench-{k}-", suffix=f"（基准{k}）",
                                         vary=lambda text, f=factor: vary(text, f))
        k += 1
    for extra in made[count:]:
        extra.delete()
    return made[:count]


def drop_policies() -> None:
    from django.db import connection

    from industrybrain.policies.models import Case, MatchJob, Policy, PolicyMatch

    ids = list(Policy.objects.filter(code__startswith="bench-").values_list("pk", flat=True))
    if ids:
        table = PolicyMatch._meta.db_table
        only_ours = not PolicyMatch.objects.exclude(policy_id__in=ids).exists()
        with connection.cursor() as cursor:  # raw: the ORM's cascade would load millions of match rows
            if only_ours and connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {connection.ops.quote_name(table)}")
            else:
                cursor.execute(f"DELETE FROM {table} WHERE policy_id IN "  # noqa: S608
                               f"({', '.join(str(int(i)) for i in ids)})")
        Case.objects.filter(policy_id__in=ids).delete()
        MatchJob.objects.filter(policy_id__in=ids).delete()
        Policy.objects.filter(pk__in=ids).delete()


def time_pages(policy, enterprise_id: int) -> str:
    """Seconds per page (second request of two) for a province officer (policy list, a policy's page, its
    qualifiers and a deep page of its near misses) and an enterprise user (我的政策)."""
    from django.test import Client

    from industrybrain.core.models import Department, Region, Role, User

    officer = User.objects.filter(username="bench-province").first() or User.objects.create_user(
        "bench-province", role=Role.PROVINCE_OFFICER, region=Region.objects.get(code="330000"),
        department=Department.objects.get(code="zj-jxt"))
    User.objects.filter(username="bench-enterprise").delete()
    owner = User.objects.create_user("bench-enterprise", role=Role.ENTERPRISE_USER, enterprise_id=enterprise_id)
    out = []
    try:
        for user, label, url in [
                (officer, "policy list", "/policies/"), (officer, "policy page", f"/policies/{policy.pk}/"),
                (officer, "qualifiers", f"/policies/{policy.pk}/qualifiers/"),
                (officer, "near misses page 50", f"/policies/{policy.pk}/qualifiers/?outcome=near_miss&page=50"),
                (owner, "我的政策", "/policies/mine/")]:
            client = Client()
            client.force_login(user)
            for _ in range(2):
                t = time.perf_counter()
                assert client.get(url).status_code == 200, url
                seconds = time.perf_counter() - t
            out.append(f"{label} {seconds:.2f} s")
    finally:
        User.objects.filter(username__in=["bench-province", "bench-enterprise"]).delete()
    return ", ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=20_000, help="generated only when the database is empty")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--policies", type=int, default=300)
    parser.add_argument("--db", help="SQLite file to use (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark policies and matches in place")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    database = setup(args)
    from django.core.management import call_command

    from industrybrain.demo import generator, users
    from industrybrain.demo.build import DemoContext
    from industrybrain.policies import matching, simulation
    from industrybrain.policies.models import PolicyMatch
    from industrybrain.registry.models import Enterprise
    from industrybrain.rules import demo_data as rules_demo
    from industrybrain.rules import snapshot

    call_command("migrate", verbosity=0)
    if not Enterprise.objects.exists():
        generator.generate(args.enterprises, args.seed, stewards=users.ensure_stewards())
        rules_demo.build(DemoContext(args.enterprises, args.seed))
    enterprises = Enterprise.objects.count()
    as_of = matching.match_date()
    policies = make_policies(args.policies)
    print(f"{enterprises:,} enterprises, {len(policies)} policies, as of {as_of}", flush=True)
    try:
        t0 = time.perf_counter()
        snapshot.build(as_of)  # match_all below reads this one (fresh_snapshot=False)
        snap_s = time.perf_counter() - t0
        print(f"snapshot {snap_s:.1f} s", flush=True)
        t = time.perf_counter()
        filled = [0.0]

        def batches_done(done: int, total: int) -> None:
            if done == total:
                filled[0] = time.perf_counter() - t

        results = matching.match_all(as_of, policies, notify=False, fresh_snapshot=False,  # reads `snap`
                                     progress=batches_done)
        statements_s = time.perf_counter() - t
        rebuilt = database == "PostgreSQL" and matching._covers_every_active(policies)
        match_s = time.perf_counter() - t0
        times = [r["ms"] / 1000 for r in results]
        workers = matching.PARALLEL_MATCHES if database == "PostgreSQL" else 1
        qualified = sum(r["qualified"] for r in results)
        near = sum(r["near_miss"] for r in results)
        stored = PolicyMatch.objects.filter(policy__in=policies).count()
        ids = list(Enterprise.objects.filter(above_scale=True).order_by("pk").values_list("pk", flat=True)[:50])
        def outcomes() -> set:
            return set(PolicyMatch.objects.filter(policy__in=policies, enterprise_id__in=ids)
                       .values_list("policy_id", "enterprise_id", "outcome", "amount"))

        bulk = outcomes()  # the set-based rows of these 50 enterprises, checked against the Python path below
        rematch = []
        for eid in ids:
            t = time.perf_counter()
            matching.rematch_enterprise(eid, as_of, notify=False)
            rematch.append((time.perf_counter() - t) * 1000)
        disagree = len(bulk ^ outcomes())
        pages = time_pages(policies[3], ids[0])
        t = time.perf_counter()
        sim = simulation.simulate("rd_ratio_last_year >= 3 AND revenue_last_year >= 2000",
                                  "rd_expense_last_year * 0.1", budget=None, as_of=as_of)
        sim_s = time.perf_counter() - t
    finally:
        if not args.keep:
            drop_policies()
    figures = (f"{enterprises:,} enterprises, {len(policies)} active policies (30 demo policies × threshold factors): "
               f"match all {match_s:.0f} s = feature snapshot {snap_s:.0f} s + {len(policies)} policies in batches of "
               f"{matching.BATCH_POLICIES} (one pass over the snapshot and one INSERT … SELECT per batch, {workers} "
               f"batches at a time) {statements_s:.0f} s ("
               + (f"into a bare twin of the match table {filled[0]:.0f} s, its indexes built and swapped in "
                  f"{statements_s - filled[0]:.0f} s; " if rebuilt
                  else f"median {statistics.median(sorted(set(times))):.1f} s/batch; ")
               + f"{qualified:,} qualified + "
               f"{near:,} near misses = {stored:,} rows stored); rematch one enterprise median "
               f"{statistics.median(rematch):.0f} ms (max {max(rematch):.0f}, {len(rematch)} enterprises; set-based and "
               f"per-enterprise results {'agree' if not disagree else f'DISAGREE on {disagree} rows'}); simulate one "
               f"draft {sim_s:.1f} s ({sim.qualified:,} qualify, {sim.near_miss:,} near misses); pages: {pages}")
    print(figures)
    if not args.no_record:
        print(record("bench_policies.py", database, figures))


if __name__ == "__main__":
    main()
