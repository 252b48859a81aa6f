"""`industrybrain projects lists [--region CODE] [--year Y]` and `… alerts [--as-of DATE]`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from industrybrain.core.models import Region
from industrybrain.projects import alerts, figures
from industrybrain.projects.models import Project


class Command(BaseCommand):
    help = "重大产业项目：六张清单统计（lists）与预警检查（alerts）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        lists = sub.add_parser("lists", help="六张清单的项目数与总投资")
        lists.add_argument("--region", help="区划代码（含下级），默认全部")
        lists.add_argument("--year", type=int, help="统计年度，默认有计划或月报的最近年度（不晚于今年）")
        check = sub.add_parser("alerts", help="运行预警检查，开启/解除预警")
        check.add_argument("--as-of", help="检查日期 YYYY-MM-DD，默认今天")

    def handle(self, *args, **options) -> None:
        if options["action"] == "lists":
            self.lists(options.get("region"), options.get("year") or figures.default_year())
        else:
            as_of = dt.date.fromisoformat(options["as_of"]) if options.get("as_of") else timezone.localdate()
            result = alerts.run_checks(as_of)
            self.stdout.write(f"预警检查（{as_of}）：新增{result.opened}条，持续{result.kept}条，解除{result.closed}条")
            for problem in result.skipped:
                self.stderr.write(f"规则条件无效，未执行：{problem}")

    def lists(self, region_code: str | None, year: int) -> None:
        projects = Project.objects.all()
        title = "全部区划"
        if region_code:
            region = Region.objects.filter(pk=region_code).first()
            if region is None:
                raise CommandError(f"未知的区划代码：{region_code}")
            projects = projects.filter(region__path__startswith=region.path)
            title = f"{region.full_name}（{region.code}）"
        rows = figures.six_lists(projects)
        self.stdout.write(f"重大产业项目六张清单 —— {title}")
        self.stdout.write(f"{'清单':<8}{'项目数':>8}{'总投资（亿元）':>16}")
        for f in rows:
            self.stdout.write(f"{f.label:<8}{f.count:>10}{f.total_investment_yi:>18,.2f}")
        total = sum(f.count for f in rows)
        amount = figures.to_yi(sum((f.total_investment for f in rows), Decimal(0)))
        self.stdout.write(f"{'合计':<8}{total:>10}{amount:>18,.2f}")
        y = figures.year_figures(projects, year)
        self.stdout.write(
            f"{year}年：签约亿元以上项目{y.signed_big_count}个，总投资{figures.to_yi(y.signed_big_total):,.2f}亿元；"
            f"新开工{y.started_count}个，竣工{y.completed_count}个")
        if y.completion_rate is not None:
            self.stdout.write(f"投资完成率{y.completion_rate}%（截至{y.elapsed_months}月），{y.gap_phrase}")
        if y.start_rate is not None:
            self.stdout.write(f"开工率{y.start_rate:.1f}%（{y.started_of_planned}/{y.planned_to_start}）")
