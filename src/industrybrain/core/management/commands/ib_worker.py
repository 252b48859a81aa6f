"""`industrybrain worker`: recover the work a dead worker left behind, then run the task worker.

Each app may define `recover_stale()` in its `tasks.py` (returning a message or None); they all run
before the worker starts, so a job claimed by a worker that died is neither lost nor run twice.
"""

import importlib

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand


def recover_all() -> list[str]:
    messages = []
    for config in apps.get_app_configs():
        if not config.name.startswith("industrybrain."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        recover = getattr(module, "recover_stale", None)
        if callable(recover) and (message := recover()):
            messages.append(message)
    return messages


class Command(BaseCommand):
    help = "后台任务进程：先恢复中断的导入与评价，再运行 django-tasks 数据库队列的 worker"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="处理完队列中的任务后退出")

    def handle(self, *args, **options):
        for message in recover_all():
            self.stdout.write(message)
        call_command("db_worker", queue_name="*", reload=False, batch=options["batch"])
