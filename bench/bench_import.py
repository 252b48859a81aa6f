"""Benchmark: import a 100,000-row enterprise CSV (dry run + all-or-nothing apply) into a fresh SQLite.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--no-record]

Prints one figure per line and appends a line to docs/BENCHMARKS.md (machine, date, size, seconds).
Baseline in the same run: reading and splitting the same CSV with the csv module alone, so the ratio
says how much the checking and writing cost on top of merely reading the file. Target: < 120 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import tempfile
import time
from pathlib import Path

from common import record, setup_django  # noqa: E402  (bench/ is on sys.path when run as a script)

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_bodies(count: int, seed: int = 2023):
    """Distinct 8-character organisation-code bodies whose GB 11714 check character is USCC-legal."""
    from industrybrain.registry.uscc import organisation_code_check_char

    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        body = "M" + "".join(rng.choice(_ALPHABET) for _ in range(7))
        if body not in seen and organisation_code_check_char(body) in "0123456789X":
            seen.add(body)
            yield body


def build_csv(rows: int) -> bytes:
    from industrybrain.core.models import Industry, Region
    from industrybrain.registry.uscc import make_uscc

    rng = random.Random(7)
    counties = list(Region.objects.filter(level=3, code__startswith="33").values_list("code", flat=True))
    industries = list(Industry.objects.filter(level=4).values_list("code", flat=True))
    ownerships = ["民营", "民营", "民营", "国有", "外资", "港澳台"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["统一社会信用代码", "企业名称", "区划代码", "行业代码", "成立日期", "登记注册类型", "地址", "法定代表人"])
    for i, body in enumerate(org_bodies(rows)):
        region = rng.choice(counties)
        founded = dt.date(1990, 1, 1) + dt.timedelta(days=rng.randrange(12000))
        writer.writerow([make_uscc(region, body), f"基准测试企业{i:06d}有限公司", region, rng.choice(industries),
                         founded.isoformat(), rng.choice(ownerships), f"测试路{i % 997}号", "张三"])
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-record", action="store_true", help="do not append to docs/BENCHMARKS.md")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ib-bench-import-", dir=os.environ.get("IB_BENCH_DIR")))
    setup_django(workdir / "bench.sqlite3", var_dir=workdir)
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    settings.MEDIA_ROOT = workdir / "media"
    call_command("migrate", verbosity=0)
    from industrybrain.core import imports
    from industrybrain.core.models import ImportJob, Role, User
    from industrybrain.registry.models import Enterprise

    user = User.objects.create_user("bench", role=Role.ADMINISTRATOR)
    data = build_csv(args.rows)

    start = time.perf_counter()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    baseline = time.perf_counter() - start
    assert len(rows) == args.rows + 1

    job = ImportJob.objects.create(kind="enterprises", file=ContentFile(data, name="bench.csv"),
                                   original_name="bench.csv", created_by=user)
    start, cpu_start = time.perf_counter(), time.process_time()
    imports.dry_run_job(job)
    dry_run = time.perf_counter() - start
    assert job.status == ImportJob.Status.CHECKED, job.errors[:5]

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    assert imports.claim_job(job.pk)
    job.refresh_from_db()
    start = time.perf_counter()
    imports.apply_job(job)
    apply = time.perf_counter() - start
    cpu = time.process_time() - cpu_start  # this process only: a fair figure on a shared, busy machine
    load = os.getloadavg()[0]
    assert job.status == ImportJob.Status.DONE, job.message
    assert Enterprise.objects.count() == args.rows

    from auditlog.models import LogEntry

    print(f"rows\t{args.rows}")
    print(f"baseline_csv_read_s\t{baseline:.2f}")
    print(f"dry_run_s\t{dry_run:.2f}")
    print(f"apply_s\t{apply:.2f}  (re-check + atomic write + {LogEntry.objects.count()} audit entries)")
    print(f"upload_to_done_s\t{dry_run + apply:.2f}")
    print(f"ratio_to_baseline\t{(dry_run + apply) / baseline:.0f}")
    print(f"cpu_s\t{cpu:.2f}  (dry run + apply, this process; load average {load:.1f})")
    if not args.no_record:
        line = record("bench_import.py", "SQLite (WAL)",
                      f"{args.rows:,}-row enterprise CSV: dry run {dry_run:.1f} s, apply (re-check + write + per-object "
                f"audit) {apply:.1f} s, total {dry_run + apply:.1f} s wall (target < 120 s), {cpu:.1f} s CPU "
                f"(load average {load:.1f} during the run); "
                      f"{(dry_run + apply) / baseline:.0f}× a bare csv read ({baseline:.2f} s)")
        print(line)


if __name__ == "__main__":
    main()
