"""`industrybrain cultivation evaluate --tier CODE [--as-of DATE]`, `… pool --tier CODE [--region CODE]
[--limit N]` and `… alerts [--as-of DATE]`."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from industrybrain.core.access import region_subtree_q
from industrybrain.core.models import Region
from industrybrain.cultivation import certificates, services, tiers
from industrybrain.cultivation.models import PoolEntry


def _date(value: str | None) -> dt.date:
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


def _tier(code: str) -> tiers.Tier:
    try:
        return tiers.get(code)
    except KeyError as exc:
        raise CommandError(str(exc.args[0])) from None


class Command(BaseCommand):
    help = "梯度培育：按层级评价全部企业（evaluate）、列出后备库（pool）、发送资质到期提醒（alerts）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="按层级规则评价全部企业并生成后备库")
        ev.add_argument("--tier", required=True, help="层级代码：" + "、".join(t.code for t in tiers.EVALUATED))
        ev.add_argument("--as-of", help="评价日期 YYYY-MM-DD，默认今天")
        pool = sub.add_parser("pool", help="最近一次评价的后备库（差一至两项条件）")
        pool.add_argument("--tier", required=True)
        pool.add_argument("--region", help="区划代码（含下级）")
        pool.add_argument("--limit", type=int, default=50, help="最多列出多少家，默认50")
        alerts = sub.add_parser("alerts", help="向6个月内到期资质的企业服务管家和企业用户发送提醒")
        alerts.add_argument("--as-of", help="检查日期 YYYY-MM-DD，默认今天")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "evaluate":
            self.evaluate(_tier(options["tier"]), _date(options.get("as_of")))
        elif action == "pool":
            self.pool(_tier(options["tier"]), options.get("region"), options["limit"])
        else:
            day = _date(options.get("as_of"))
            result = certificates.send_expiry_alerts(day)
            self.stdout.write(f"资质到期提醒（{day}）：{result.certificates}个资质，发送通知{result.notifications}条")

    def evaluate(self, tier: tiers.Tier, as_of: dt.date) -> None:
        try:
            run = services.start_run(None, tier.code, as_of, enqueue=False)
        except services.RunError as exc:
            raise CommandError(str(exc)) from None
        done = services.execute_run(run.pk)
        if done is None or done.status != done.Status.DONE:
            raise CommandError(done.message if done else "评价未执行")
        self.stdout.write(f"{tier.label}评价（{as_of}，规则 {done.rule_version}）：企业{done.enterprise_count}家，"
                          f"符合{done.pass_count}、不符合{done.fail_count}、数据不足{done.unknown_count}；"
                          f"后备库{done.pool_count}家；用时{done.duration_seconds}秒")

    def pool(self, tier: tiers.Tier, region_code: str | None, limit: int) -> None:
        run = services.latest_run(tier.code)
        if run is None:
            raise CommandError(f"{tier.label}尚未评价：先运行 evaluate --tier {tier.code}")
        entries = PoolEntry.objects.filter(run=run).select_related("enterprise__region")
        title = "全部区划"
        if region_code:
            region = Region.objects.filter(pk=region_code).first()
            if region is None:
                raise CommandError(f"未知的区划代码：{region_code}")
            entries = entries.filter(region_subtree_q("enterprise__region", region))
            title = f"{region.full_name}（{region.code}）"
        entries = entries.order_by("failed_count", "relative_gap", "enterprise_id")
        total = entries.count()
        self.stdout.write(f"{tier.label}后备库 —— {title}，评价日期 {run.as_of}：共{total}家（按接近程度排序）")
        for n, e in enumerate(entries[:limit], start=1):
            gaps = "；".join(f"{g['name']}：{g['text']}" for g in e.gaps if g.get("result") == "fail")
            self.stdout.write(f"{n:>4}. {e.enterprise.uscc} {e.enterprise.name}（{e.enterprise.region.name}）"
                              f" 差{e.failed_count}项 —— {gaps}")
