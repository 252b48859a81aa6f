"""`industrybrain serve`: the background worker and the web server, without building anything."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from industrybrain.demo.serve import DEFAULT_ADDRPORT, serve


class Command(BaseCommand):
    help = "启动后台任务进程（db_worker）和 Web 服务器。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default=DEFAULT_ADDRPORT, help="地址:端口（默认 127.0.0.1:8000）")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"产业大脑：http://{options['addrport']}/  （Ctrl-C 退出）")
        serve(options["addrport"], worker=not options["no_worker"])
