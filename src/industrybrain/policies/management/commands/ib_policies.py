"""`industrybrain policies …` (until the alias exists: `industrybrain ib_policies …`).

    simulate FILE.yaml [--budget AMOUNT] [--as-of DATE]   counts by city, total cost, rationed cost
    match [--policy ID] [--as-of DATE]                    rematch and print counts
    escalate                                              flag overdue cases and notify their departments

A simulation file:  eligibility: "…"   formula: "…"   cap: 50   budget: 10000   (budget/cap optional)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from industrybrain.rules.language import RuleSyntaxError


class Command(BaseCommand):
    help = "惠企政策：政策模拟、重新匹配、超期督办"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sim = sub.add_parser("simulate", help="政策模拟")
        sim.add_argument("file")
        sim.add_argument("--budget", type=Decimal)
        sim.add_argument("--as-of", type=dt.date.fromisoformat)
        match = sub.add_parser("match", help="重新匹配")
        match.add_argument("--policy", type=int)
        match.add_argument("--as-of", type=dt.date.fromisoformat)
        sub.add_parser("escalate", help="超期督办")

    def handle(self, *args, **opts):
        getattr(self, f"do_{opts['action']}")(opts)

    def do_simulate(self, opts):
        from industrybrain.policies.simulation import simulate

        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or not data.get("eligibility"):
            raise CommandError("模拟文件须包含 eligibility（享受条件表达式）")
        budget = opts["budget"] if opts["budget"] is not None else (
            Decimal(str(data["budget"])) if data.get("budget") is not None else None)
        cap = Decimal(str(data["cap"])) if data.get("cap") is not None else None
        try:
            sim = simulate(str(data["eligibility"]), str(data.get("formula") or ""), cap, budget, opts["as_of"])
        except RuleSyntaxError as err:
            raise CommandError(str(err)) from None
        out = self.stdout.write
        out(f"数据日期 {sim.as_of}  企业 {sim.enterprises}  符合 {sim.qualified}  差一项 {sim.near_miss}  "
            f"数据不足 {sim.unknown}  用时 {sim.ms} 毫秒")
        out("设区市\t符合\t成本（万元）")
        for row in sim.by_city:
            out(f"{row['name']}\t{row['count']}\t{row['cost']:.2f}")
        out(f"总成本\t{sim.total_cost:.2f} 万元")
        if budget is not None:
            out(f"资金总额\t{budget} 万元")
            out(f"按比例分配\t系数 {sim.pro_rata_factor:.4f}\t{sim.pro_rata_cost:.2f} 万元")
            out(f"先到先得\t{sim.first_come_funded} 户\t{sim.first_come_cost:.2f} 万元")

    def do_match(self, opts):
        from industrybrain.policies.matching import active_policies, match_all, match_date
        from industrybrain.policies.models import Policy

        as_of = opts["as_of"] or match_date()
        policies = list(Policy.objects.filter(pk=opts["policy"])) if opts["policy"] else list(active_policies())
        if opts["policy"] and not policies:
            raise CommandError(f"政策不存在：{opts['policy']}")
        total = {"qualified": 0, "near_miss": 0, "new": 0}
        for policy, result in zip(policies, match_all(as_of, policies), strict=True):
            self.stdout.write(f"{policy.pk}\t{policy.title}\t符合 {result['qualified']}\t差一项 {result['near_miss']}"
                              f"\t新增 {result['new']}\t{result['ms']} 毫秒")
            for key in total:
                total[key] += result[key]
        self.stdout.write(f"合计：政策 {len(policies)} 项，符合 {total['qualified']} 户次，差一项 {total['near_miss']} 户次，"
                          f"新增 {total['new']}（数据日期 {as_of}）")

    def do_escalate(self, opts):
        from industrybrain.policies.services import escalate_overdue

        self.stdout.write(f"超期督办 {escalate_overdue()} 件")
