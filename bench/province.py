"""Prepare a benchmark province once and reuse it: migrate, generate N enterprises, the rules' demo
attributes and the rule library — on a SQLite file or on the configured PostgreSQL database.

    .venv/bin/python bench/province.py --enterprises 1000000 [--db PATH]            # SQLite file
    IB_DATABASE=postgres PGHOST=… PGPORT=… PGDATABASE=bench1m .venv/bin/python bench/province.py --enterprises 1000000

Nothing is regenerated when the database already holds enterprises; the other benchmarks accept the same
database (`--db PATH` or the PG* variables) and skip their own generation.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--db", help="SQLite file (ignored with IB_DATABASE=postgres)")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "industrybrain.settings.dev"
    os.environ.setdefault("IB_VAR_DIR", tempfile.mkdtemp(prefix="ib-bench-province-"))
    if os.environ.get("IB_DATABASE") != "postgres":
        os.environ["IB_DATABASE"] = "sqlite"
        os.environ["IB_SQLITE_PATH"] = args.db or str(ROOT / "var" / f"bench-{args.enterprises}.sqlite3")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    prepare(args.enterprises, args.seed)


def prepare(enterprises: int, seed: int) -> None:
    """Migrate, then add what is missing: the enterprises, the rules' demo attributes, the rule library
    (Django must be set up; the benchmarks call this on their own database)."""
    import time

    from django.core.management import call_command

    from industrybrain.demo import generator, users
    from industrybrain.demo.build import DemoContext
    from industrybrain.registry.models import Enterprise
    from industrybrain.rules import demo_data
    from industrybrain.rules.loader import load_library
    from industrybrain.rules.models import EnterpriseAttribute

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    if not Enterprise.objects.exists():
        generator.generate(enterprises, seed, stewards=users.ensure_stewards())
        print(f"enterprises generated in {time.perf_counter() - t0:.0f} s", flush=True)
    if not EnterpriseAttribute.objects.filter(code="market_share_rank_level").exists():
        EnterpriseAttribute.objects.filter(source=demo_data.SOURCE).delete()
        demo_data.build(DemoContext(enterprises, seed))
        print(f"attributes built at {time.perf_counter() - t0:.0f} s", flush=True)
    load_library()
    print(f"ready: {Enterprise.objects.count():,} enterprises ({time.perf_counter() - t0:.0f} s)", flush=True)

if __name__ == "__main__":
    main()
