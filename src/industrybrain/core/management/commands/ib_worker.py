"""`industrybrain worker`: recover import jobs a dead worker left behind, then run the task worker."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from industrybrain.core.imports import recover_stale_jobs


class Command(BaseCommand):
    help = "后台任务进程：先恢复中断的导入批次，再运行 django-tasks 数据库队列的 worker"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="处理完队列中的任务后退出")

    def handle(self, *args, **options):
        recovered = recover_stale_jobs()
        if recovered:
            self.stdout.write(f"已恢复 {recovered} 个中断的导入批次（未写入数据，可重新确认导入）")
        call_command("db_worker", queue_name="*", reload=False, batch=options["batch"])
