"""Benchmark: the enterprise list, its filters and the API at the scale of a province.

    .venv/bin/python bench/bench_pages.py [--enterprises 1000000] [--db var/bench-pages.sqlite3] [--no-record]

Builds the demo registry into its own SQLite file (reused when it already holds N enterprises), then times
each page request through Django's test client as the province officer (the widest scope), median of 5.
Baseline in the same run: a bare `SELECT COUNT(*)` over the enterprise table, so the figures read as
"how many bare counts does a page cost".
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import ROOT, record, setup_django  # noqa: E402

CASES = [
    ("list, first page", "/enterprises/"),
    ("list, page 1000", "/enterprises/?page=1000"),
    ("list, city filter (杭州市)", "/enterprises/?region=330100"),
    ("list, county + 规上", "/enterprises/?region=330106&above_scale=true"),
    ("list, industry 39 (大类)", "/enterprises/?industry=39"),
    ("list, industry system 集成电路", "/enterprises/?category=zj-ic"),
    ("list, industry system 智能物联 (39, 40, 65)", "/enterprises/?category=zj-iot"),
    ("list, name search", "/enterprises/?q=科技"),
    ("list, USCC prefix", "/enterprises/?q=91330106"),
    ("list, sort by name", "/enterprises/?sort=name"),
    ("list, sort by founding date desc", "/enterprises/?sort=-founded_on"),
    ("API list, county filter", "/api/enterprises/?region=330106"),
    ("export, one county (.xlsx)", "/enterprises/export/?region=330106"),
]


def timed(fn, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--db", default=str(ROOT / "var" / "bench-pages.sqlite3"))
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    setup_django(args.db)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from industrybrain.core.models import User
    from industrybrain.demo import generator, users
    from industrybrain.registry.models import Enterprise

    call_command("migrate", verbosity=0)
    if Enterprise.objects.count() != args.enterprises:
        generator.wipe()
        t0 = time.perf_counter()
        generator.generate(args.enterprises, args.seed, stewards=users.ensure_stewards())
        print(f"generated {args.enterprises} in {time.perf_counter() - t0:.0f} s")
    users.ensure_demo_users()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    client = Client()
    client.force_login(User.objects.get(username="province"))

    def bare_count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM registry_enterprise")
            cursor.fetchone()

    baseline = timed(bare_count)
    print(f"baseline bare COUNT(*) {baseline * 1000:.1f} ms")
    results = []
    for label, url in CASES:
        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)

        seconds = timed(get)
        results.append((label, seconds))
        print(f"{label}: {seconds * 1000:.0f} ms ({seconds / baseline:.1f}× bare count)")

    if not args.no_record:
        figures = "; ".join(f"{label} {s * 1000:,.0f} ms" for label, s in results)
        line = record("bench_pages.py", "SQLite (WAL)",
                      f"{args.enterprises:,} enterprises, province officer, median of 5: {figures}; "
                      f"baseline bare COUNT(*) {baseline * 1000:.0f} ms")
        print(line)


if __name__ == "__main__":
    main()
