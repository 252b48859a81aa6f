"""`industrybrain worker`: recover the work a dead worker left behind, then run the task worker.

Each app may define `recover_stale()` in its `tasks.py` (returning a message or None); they all run
before the worker starts, so a job claimed by a worker that died is neither lost nor run twice.

Each app may also define `periodic()` in its `tasks.py` (returning a message or None): scheduled work such
as escalating overdue cases. The worker runs them all once at start and then every `--periodic-minutes`
minutes (default 15; 0 = never) in a background thread; a failing one is logged and the others still run.
With `--batch` they run once.
"""

import importlib
import logging
import threading
from collections.abc import Callable

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)
PERIODIC_MINUTES = 15


def _task_hooks(name: str) -> list[Callable[[], str | None]]:
    hooks = []
    for config in apps.get_app_configs():
        if not config.name.startswith("industrybrain."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        hook = getattr(module, name, None)
        if callable(hook):
            hooks.append(hook)
    return hooks


def recover_all() -> list[str]:
    return [message for recover in _task_hooks("recover_stale") if (message := recover())]


def run_periodic() -> list[str]:
    """Every app's `tasks.periodic()`, each on its own: one failing does not stop the others."""
    messages = []
    for hook in _task_hooks("periodic"):
        try:
            if message := hook():
                messages.append(message)
        except Exception:  # noqa: BLE001 - logged; the worker and the other hooks go on
            logger.exception("periodic task %s.%s failed", hook.__module__, hook.__name__)
    return messages


class PeriodicThread(threading.Thread):
    """Calls `run` every `interval` seconds until `stop` is set (a daemon: it dies with the worker)."""

    def __init__(self, interval: float, run: Callable[[], object] = run_periodic):
        super().__init__(name="ib-periodic", daemon=True)
        self.interval, self.run_once, self.stop = interval, run, threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections

        while not self.stop.wait(self.interval):
            close_old_connections()
            try:
                self.run_once()
            except Exception:  # noqa: BLE001
                logger.exception("periodic run failed")
            finally:
                close_old_connections()


class Command(BaseCommand):
    help = "后台任务进程：先恢复中断的导入与评价，再运行 django-tasks 数据库队列的 worker"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="处理完队列中的任务后退出")
        parser.add_argument("--periodic-minutes", type=float, default=PERIODIC_MINUTES,
                            help="定时任务（如超期督办）的运行间隔（分钟），0 表示不运行")

    def handle(self, *args, **options):
        for message in recover_all():
            self.stdout.write(message)
        minutes = options["periodic_minutes"]
        if minutes > 0:
            for message in run_periodic():
                self.stdout.write(message)
            if not options["batch"]:
                PeriodicThread(minutes * 60).start()
        call_command("db_worker", queue_name="*", reload=False, batch=options["batch"])
