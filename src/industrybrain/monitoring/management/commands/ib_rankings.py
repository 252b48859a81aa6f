"""`industrybrain rankings --indicator CODE --period YYYY-MM [--level city|county] [--province CODE] [--current]`
prints the 指标晾晒 board (peer groups, rank, change in rank, traffic light) — the newest published version when
the board was published (a header line says which, and whether the current figures differ), else the
current figures; `--current` prints the current figures."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from industrybrain.core.models import Region
from industrybrain.indicators.models import Indicator
from industrybrain.monitoring import published
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
        parser.add_argument("--current", action="store_true", help="按当前数据（默认打印已发布版本）")

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
        snapshot = published.latest(indicator, board.year, board.month, board.level, province)
        note = "未发布，按当前数据" if snapshot is None else ""
        if snapshot is not None:
            stored = published.as_board(snapshot)
            differs = "，当前数据已有变化" if published.differences(stored, board) else ""
            if options["current"]:
                note = f"按当前数据（已发布第{snapshot.version}版{differs}）"
            else:
                board = stored
                note = f"发布第{snapshot.version}版{differs}"
        unit = "累计同比%" if indicator.growth_is_headline else indicator.unit
        avg = "—" if board.province_value is None else f"{board.province_value:.1f}"
        self.stdout.write(f"{province.name}{indicator.name}指标晾晒 {board.period_label}（{unit}；全省平均 {avg}；{note}）")
        if not any(r.value is not None for r in board.rows):
            self.stdout.write("本期暂无数据")
            return
        for group, rows in board.groups():
            self.stdout.write(f"\n【{group}】")
            self.stdout.write("排名\t地区\t数值\t排名变化\t状态")
            for r in rows:
                change = "" if r.rank_change is None else (f"↑{r.rank_change}" if r.rank_change > 0 else
                                                           (f"↓{-r.rank_change}" if r.rank_change < 0 else "—"))
                value = "—" if r.value is None else f"{r.value:.{board.places}f}"
                self.stdout.write(f"{r.rank or '—'}\t{r.region.name}\t{value}\t{change}\t{r.status_label}")
