"""Start the background worker (a `db_worker` subprocess) and the web server in this process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management import call_command

DEFAULT_ADDRPORT = "127.0.0.1:8000"


def worker_command() -> list[str]:
    """`python -m industrybrain ib_worker`: recovers interrupted imports, then runs every queue, no reloader."""
    return [sys.executable, "-m", "industrybrain", "ib_worker"]


def serve(addrport: str = DEFAULT_ADDRPORT, worker: bool = True) -> None:
    """Run until interrupted; the worker is stopped when the server stops."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "industrybrain.settings.dev"))
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (e.g. from a process manager) unwinds like Ctrl-C, so the worker is stopped too.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    proc = subprocess.Popen(worker_command(), env=env) if worker else None  # noqa: S603 (fixed argv)
    try:
        # runserver serves static files itself when DEBUG is on (dev settings); `insecure_serving`
        # keeps the demo's CSS and JavaScript working when it is started with DEBUG off.
        call_command("runserver", addrport, use_reloader=False, insecure_serving=not settings.DEBUG)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
