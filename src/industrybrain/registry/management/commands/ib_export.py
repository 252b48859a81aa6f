"""`industrybrain export enterprises --region CODE FILE.xlsx`: the enterprises of a region subtree.

The columns are those of the enterprise import template (so the file can be edited and imported back),
followed by the computed size class and 规上 flag. Exit codes: 0 written, 2 usage error (unknown kind or
region, bad file name).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from industrybrain.core.exports import Column, field, write_xlsx
from industrybrain.core.models import Region
from industrybrain.registry.models import Enterprise


def enterprise_columns() -> list[Column]:
    return [
        Column("统一社会信用代码", field("uscc"), 22),
        Column("企业名称", field("name"), 36),
        Column("区划代码", field("region_id"), 10),
        Column("行业代码", field("industry_id"), 10),
        Column("成立日期", field("founded_on"), 12),
        Column("登记注册类型", field("get_ownership_display"), 12),
        Column("标签", lambda e: "、".join(tag.name for tag in e.tags.all()), 30),
        Column("地址", field("address"), 40),
        Column("法定代表人", field("legal_representative"), 12),
        Column("所在区划", field("region.name"), 12),
        Column("行业名称", field("industry.name"), 24),
        Column("企业规模", field("get_size_class_display"), 8),
        Column("规上企业", field("above_scale"), 8),
    ]


class Command(BaseCommand):
    help = "导出某地区（含下级地区）的企业名录为 Excel（.xlsx），列与企业名录导入模板一致。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="enterprises")
        parser.add_argument("file", help="输出文件 .xlsx")
        parser.add_argument("--region", required=True, help="行政区划代码，如 330100；导出该地区及其下级地区的企业")

    def handle(self, *args, **options) -> None:
        if options["kind"] != "enterprises":
            raise CommandError(f"未知的导出类型“{options['kind']}”，可选：enterprises", returncode=2)
        path = Path(options["file"])
        if path.suffix.lower() != ".xlsx":
            raise CommandError("输出文件应以 .xlsx 结尾", returncode=2)
        if not path.parent.exists():
            raise CommandError(f"目录不存在：{path.parent}", returncode=2)
        try:
            region = Region.objects.get(pk=options["region"])
        except Region.DoesNotExist:
            raise CommandError(f"区划代码“{options['region']}”不存在", returncode=2) from None

        queryset = (Enterprise.objects.filter(region__path__startswith=region.path)
                    .select_related("region", "industry").prefetch_related("tags").order_by("uscc"))
        total = queryset.count()
        console = Console(stderr=True)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True, disable=not console.is_terminal) as progress:
            bar = progress.add_task(f"导出 {region.name}", total=total)

            def rows() -> Iterator[Enterprise]:
                for count, enterprise in enumerate(queryset.iterator(chunk_size=2000), start=1):
                    yield enterprise
                    if count % 1000 == 0:
                        progress.update(bar, completed=count)

            written = write_xlsx(path, "企业名录", enterprise_columns(), rows())
            progress.update(bar, completed=written)
        self.stdout.write(self.style.SUCCESS(f"已导出{region.full_name}及下级地区企业{written}家：{path}"))
