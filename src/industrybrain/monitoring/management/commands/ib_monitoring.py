"""`industrybrain monitoring run --period YYYY-MM`: the month's 提示函 triggers and electricity alerts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from industrybrain.monitoring import electricity, triggers
from industrybrain.monitoring.views import parse_period


class Command(BaseCommand):
    help = "运行监测：按月运行提示函触发检查和用电预警"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="运行某月的触发检查与用电预警")
        run.add_argument("--period", required=True, help="期别 YYYY-MM")

    def handle(self, *args, **options) -> None:
        period = parse_period(options["period"])
        if period is None:
            raise CommandError("期别格式应为 YYYY-MM")
        problems: list[triggers.RuleProblem] = []
        hits = triggers.run_month(*period, problems=problems)
        for problem in problems:
            self.stderr.write(f"规则“{problem.rule.name}”（#{problem.rule.pk}）条件无效，已跳过：\n{problem.message}")
        regions = {h.region_id for h in hits}
        alerts = electricity.run_alerts(*period)
        self.stdout.write(f"{period[0]}-{period[1]:02d}：提示函触发 {len(hits)} 条（{len(regions)} 个地区）；"
                          f"用电预警 {alerts} 家企业")
        for hit in hits[:50]:
            self.stdout.write(f"  {hit.region.name}：{hit.reason}")
