"""`industrybrain import enterprises|yearly|monthly FILE [--dry-run]` (`facts` is an alias of `yearly`).

Checks the file like the web page does, prints every bad row (row, column, reason) and exits 1 when the
file is refused; otherwise applies it all or nothing (in this process, with a progress bar) and exits 0.
The import is recorded as an ImportJob with its file, like an upload on the page.
Exit codes: 0 done (or dry run passed), 1 file refused or import failed, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from industrybrain.core import imports
from industrybrain.core.models import ImportJob, Role, User

ALIASES = {"facts": "yearly", "enterprise": "enterprises"}


def resolve_user(username: str | None) -> User:
    if username:
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"用户“{username}”不存在或已停用", returncode=2) from None
    user = (User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
            or User.objects.filter(is_active=True, role=Role.ADMINISTRATOR).order_by("pk").first())
    if user is None:
        raise CommandError("没有可用的管理员账号，请用 --user 指定导入人", returncode=2)
    return user


class Command(BaseCommand):
    help = "导入企业名录、年度、月度、日用电量等数据（.xlsx 或 .csv），先校验，全部通过后一次性写入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="enterprises（企业名录）、yearly 或 facts（年度数据）、monthly（月度数据）、"
                            "daily_electricity（日用电量）等；类型写错时列出全部可用类型")
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--user", help="导入人用户名（默认为第一个管理员）；按其权限范围校验")

    def handle(self, *args, **options) -> None:
        kind = ALIASES.get(options["kind"], options["kind"])
        kinds = imports.importers()
        if kind not in kinds:
            raise CommandError(f"未知的导入类型“{options['kind']}”，可选：{'、'.join(kinds)}、facts", returncode=2)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}", returncode=2)
        user = resolve_user(options["user"])
        if not (user.is_administrator or user.is_officer):
            raise CommandError(f"用户“{user.username}”无导入权限（仅经信干部和管理员可导入）", returncode=2)

        with path.open("rb") as handle:
            job = ImportJob.objects.create(kind=kind, file=File(handle, name=path.name), original_name=path.name,
                                           created_by=user)
        console = Console(stderr=True)
        with self._progress(console) as progress:
            bar = progress.add_task(f"校验 {path.name}", total=None)
            imports.dry_run_job(job, lambda done, total: progress.update(bar, completed=done, total=total))
        self._report(job)
        if job.status != ImportJob.Status.CHECKED:
            raise CommandError(f"文件被拒绝（导入批次 #{job.pk}）：{job.message}", returncode=1)
        if options["dry_run"]:
            self.stdout.write(f"试运行通过（导入批次 #{job.pk}），未写入任何数据：{job.message}")
            return

        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
        if not imports.claim_job(job.pk):
            raise CommandError(f"导入批次 #{job.pk} 已被其他进程处理", returncode=1)
        job.refresh_from_db()
        with self._progress(console) as progress:
            bar = progress.add_task(f"导入 {path.name}", total=job.total_rows)
            imports.apply_job(job, lambda done, total: progress.update(bar, completed=done, total=total))
        self._report(job)
        if job.status != ImportJob.Status.DONE:
            raise CommandError(f"导入未完成（导入批次 #{job.pk}）：{job.message}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"导入批次 #{job.pk}：{job.message}"))

    def _progress(self, console: Console) -> Progress:
        return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=not console.is_terminal)

    def _report(self, job: ImportJob) -> None:
        for error in job.errors:
            self.stdout.write(f"第{error['row']}行\t{error['column']}\t{error['reason']}")
