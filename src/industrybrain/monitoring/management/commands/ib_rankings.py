"""`industrybrain rankings --indicator CODE --period YYYY-MM [--level city|county] [--province CODE]` prints the
指标晾晒 board (peer groups, rank, change in rank, traffic light)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from industrybrain.core.models import Region
from industrybrain.indicators.models import Indicator
from industrybrain.monitoring.models import Level
from industrybrain.monitoring.rankings import build_board
from industrybrain.monitoring.views import parse_period


class Command(BaseCommand):
    help = "指标晾晒：按比较组打印某指标某月的地区排名"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--indicator", required=True, help="指标代码，如 above_scale_value_added")
        parser.add_argument("--period", required=True, help="期别 YYYY-MM（1-10月为 2023-10）")
        parser.add_argument("--level", choices=Level.values, default=Level.COUNTY)
        parser.add_argument("--province", default="330000", help="省级区划代码，默认 330000")

    def handle(self, *args, **options) -> None:
        indicator = Indicator.objects.filter(code=options["indicator"]).first()
        if indicator is None:
            raise CommandError(f"未知指标：{options['indicator']}")
        period = parse_period(options["period"])
        if period is None:
            raise CommandError("期别格式应为 YYYY-MM")
        province = Region.objects.filter(pk=options["province"], level=Region.Level.PROVINCE).first()
        if province is None:
            raise CommandError(f"未知省级区划：{options['province']}")
        board = build_board(indicator, *period, options["level"], province)
        unit = "累计同比%" if indicator.growth_is_headline else indicator.unit
        avg = "—" if board.province_value is None else f"{board.province_value:.1f}"
        self.stdout.write(f"{province.name}{indicator.name}指标晾晒 {board.period_label}（{unit}；全省平均 {avg}）")
        if not any(r.value is not None for r in board.rows):
            self.stdout.write("本期暂无数据")
            return
        for group, rows in board.groups():
            self.stdout.write(f"\n【{group}】")
            self.stdout.write("排名\t地区\t数值\t排名变化\t状态")
            for r in rows:
                change = "" if r.rank_change is None else (f"↑{r.rank_change}" if r.rank_change > 0 else
                                                           (f"↓{-r.rank_change}" if r.rank_change < 0 else "—"))
                value = "—" if r.value is None else f"{r.value:.1f}"
                self.stdout.write(f"{r.rank or '—'}\t{r.region.name}\t{value}\t{change}\t{r.status_label}")
