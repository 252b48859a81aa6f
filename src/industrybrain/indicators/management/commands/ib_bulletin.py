"""`industrybrain bulletin --region CODE --period YYYY-MM [--docx FILE]`: print the 运行简报 (and save .docx).

Exit codes: 0 printed, 1 no data for the region, 2 usage error (unknown region, bad period).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from industrybrain.core.models import Region
from industrybrain.indicators import services
from industrybrain.monitoring.bulletin import build_bulletin, render_docx


class Command(BaseCommand):
    help = "按地区和月份生成工业经济运行简报（中文段落），可另存为Word文档。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="6位行政区划代码，如330000")
        parser.add_argument("--period", help="期别 YYYY-MM，如2023-10（默认：该地区最新一期）")
        parser.add_argument("--docx", help="另存为Word文档（.docx）的路径")

    def handle(self, *args, **options) -> None:
        region = Region.objects.filter(pk=options["region"]).first()
        if region is None:
            raise CommandError(f"行政区划代码“{options['region']}”不存在", returncode=2)
        if options["period"]:
            match = re.fullmatch(r"(\d{4})-(\d{1,2})", options["period"])
            if not match or not 1 <= int(match.group(2)) <= 12:
                raise CommandError(f"期别“{options['period']}”格式应为YYYY-MM，如2023-10", returncode=2)
            period = (int(match.group(1)), int(match.group(2)))
        else:
            latest = services.latest_period(region)
            if latest is None:
                raise CommandError(f"{region.name}暂无指标数据", returncode=1)
            period = latest
        bulletin = build_bulletin(region, *period)
        if not bulletin.paragraphs:
            raise CommandError(f"{region.name}{period[0]}年{period[1]}月暂无可发布的指标数据", returncode=1)
        self.stdout.write(bulletin.title)
        for paragraph in bulletin.paragraphs:
            self.stdout.write(paragraph)
        if options["docx"]:
            path = Path(options["docx"])
            path.write_bytes(render_docx(bulletin, issuer=region.name))
            self.stdout.write(self.style.SUCCESS(f"已保存：{path}"))
