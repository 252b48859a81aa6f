"""`industrybrain demo`: migrate, build the demo province once, create one login per role, serve.

    industrybrain demo [--enterprises N] [--seed S] [--no-serve] [--rebuild] [addrport]

A second run reuses the finished build (it starts in seconds). A build of another size or seed is kept
unless --rebuild is given; an interrupted build is wiped and built again.
"""

from __future__ import annotations

import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from industrybrain.demo import generator, users
from industrybrain.demo.build import build_or_reuse
from industrybrain.demo.serve import DEFAULT_ADDRPORT, serve


class Command(BaseCommand):
    help = "迁移数据库，生成（或沿用）演示省份，创建各角色演示账号，并启动 Web 服务器和后台任务进程。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default=DEFAULT_ADDRPORT, help="地址:端口（默认 127.0.0.1:8000）")
        parser.add_argument("--enterprises", type=int, default=generator.DEFAULT_ENTERPRISES,
                            help=f"企业数（默认 {generator.DEFAULT_ENTERPRISES}）")
        parser.add_argument("--seed", type=int, default=generator.DEFAULT_SEED,
                            help=f"随机种子（默认 {generator.DEFAULT_SEED}）；同一种子同一规模，数据完全相同")
        parser.add_argument("--rebuild", action="store_true", help="清除现有企业库并重新生成")
        parser.add_argument("--no-serve", action="store_true", help="只生成数据，不启动服务")

    def handle(self, *args, **options) -> None:
        if options["enterprises"] < 1:
            raise CommandError("--enterprises 至少为 1")
        if options["seed"] < 0:
            raise CommandError("--seed 不能为负数")
        console = Console(file=getattr(self.stdout, "_out", sys.stdout), highlight=False)
        if not console.is_terminal:
            console.width = 120  # logs and `make demo` piped: keep the login table whole
        console.print("迁移数据库…")
        call_command("migrate", interactive=False, verbosity=0)

        with Progress(TextColumn("[bold]生成演示省份"), BarColumn(), MofNCompleteColumn(), TextColumn("家企业"),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False,
                      disable=not console.is_terminal) as bar:
            task = bar.add_task("generate", total=options["enterprises"])
            outcome = build_or_reuse(
                options["enterprises"], options["seed"], rebuild=options["rebuild"],
                progress=lambda done, total: bar.update(task, completed=done),
                on_stage=lambda text: console.print(text))
        console.print(outcome.message)
        if outcome.action == "refused":
            raise CommandError(outcome.message)
        if outcome.build and outcome.build.counts:
            c = outcome.build.counts
            console.print(f"企业 {c.get('enterprises', 0):,} 家（规上 {c.get('above_scale', 0):,}），"
                          f"年度数据 {c.get('yearly_facts', 0):,} 行，月度数据 {c.get('monthly_facts', 0):,} 行，"
                          f"资质 {c.get('certifications', 0):,} 条。")
        url = f"http://{options['addrport']}/"
        console.print(f"\n访问地址：{url}\n")
        table = Table(title="演示账号（每个角色一个）")
        for column in ("角色", "用户名", "密码", "可见范围"):
            table.add_column(column)
        for row in users.login_table_rows():
            table.add_row(*row)
        console.print(table)
        if not options["no_serve"]:
            console.print("启动后台任务进程和 Web 服务器（Ctrl-C 退出）…")
            serve(options["addrport"])
