"""What every benchmark shares: the machine line, peak memory, Django set-up on its own SQLite file, and
appending a figure line to docs/BENCHMARKS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return (f"{platform.machine()}, {os.cpu_count()} CPU (nproc), {mem_kb / 1024 / 1024:.0f} GB RAM, "
            f"Python {platform.python_version()}")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def setup_django(sqlite_path: Path | str, var_dir: Path | str | None = None) -> None:
    """Django with the dev settings on a SQLite file of the benchmark's own (the demo database is untouched)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "industrybrain.settings.dev"
    os.environ["IB_DATABASE"] = "sqlite"
    os.environ["IB_SQLITE_PATH"] = str(sqlite_path)
    if var_dir is not None:
        os.environ["IB_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("IB_ALLOWED_HOSTS", "testserver")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def record(script: str, database: str, figures: str) -> str:
    """Append one dated line to docs/BENCHMARKS.md and return it."""
    line = f"- {dt.date.today().isoformat()} · bench/{script} · {machine()} · {database} · {figures}"
    with (ROOT / "docs" / "BENCHMARKS.md").open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return line
