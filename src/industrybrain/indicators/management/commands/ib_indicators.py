"""`industrybrain indicators derive [--indicator CODE] [--year Y]` and `indicators list`.

derive: recompute the like-for-like (同口径) figures of derivable indicators from the enterprises' monthly
facts (indicators.derive) and store changed figures as new revisions (basis "derived").
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from industrybrain.indicators import derive
from industrybrain.indicators.models import Indicator


class Command(BaseCommand):
    help = "指标：list 列出指标目录；derive 由规上企业月度数据按同口径测算各地区指标。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "derive"])
        parser.add_argument("--indicator", action="append", help="指标代码（可重复）；默认全部可测算指标")
        parser.add_argument("--year", type=int, action="append", help="年度（可重复）；默认企业数据的全部年度")

    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            for i in Indicator.objects.all():
                self.stdout.write(f"{i.code}\t{i.name}\t{i.unit}\t{i.get_frequency_display()}\t"
                                  f"{i.get_aggregation_display()}\t{'官方' if i.is_official else '自定义'}")
            return
        indicators = Indicator.objects.exclude(derived_field="")
        if options["indicator"]:
            indicators = indicators.filter(code__in=options["indicator"])
            missing = set(options["indicator"]) - set(indicators.values_list("code", flat=True))
            if missing:
                raise CommandError(f"不可测算或不存在的指标：{'、'.join(sorted(missing))}", returncode=2)
        for r in derive.derive(indicators, options["year"]):
            self.stdout.write(f"{r.indicator}\t{r.year}\t{r.rows}行\t新增{r.recorded.created}\t修订{r.recorded.revised}"
                              f"\t未变{r.recorded.unchanged}\t读取{r.seconds_read:.2f}s\t计算{r.seconds_compute:.2f}s"
                              f"\t写入{r.seconds_write:.2f}s")
