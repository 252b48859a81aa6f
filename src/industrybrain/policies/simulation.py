"""Policy simulation: a draft rule + formula + budget run against the whole enterprise base before issue.

One statement of the shared engine over every enterprise (the same compiled rule as matching, with the
amount column), then in Python: counts by city, industry section and size class, the total cost, how a
budget cap would ration it, and a threshold sweep of one numeric condition.

Rationing:
* **pro-rata (按比例)**: every qualifying enterprise gets amount × min(1, budget / total cost), rounded down
  to 0.01 万元 so the sum never exceeds the budget;
* **first-come (先到先得)**: enterprises are paid in full in arrival order (here: registration order — the
  enterprise id — as a stand-in for the order applications would arrive) until the next full amount would
  exceed the budget; later ones get nothing (no partial payments).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from sqlglot import exp

from industrybrain.core.models import Industry, Region
from industrybrain.rules.language import literal_value

from . import eligibility as E

SIZE_LABELS = {"large": gettext_lazy("大型"), "medium": gettext_lazy("中型"), "small": gettext_lazy("小型"),
               "micro": gettext_lazy("微型"), None: gettext_lazy("未知")}
SWEEP_FACTORS = (0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)


@dataclass
class Simulation:
    as_of: dt.date
    enterprises: int = 0
    qualified: int = 0
    near_miss: int = 0
    unknown: int = 0
    amount_unknown: int = 0
    total_cost: Decimal = Decimal(0)
    budget: Decimal | None = None
    pro_rata_factor: float | None = None
    pro_rata_cost: Decimal | None = None
    first_come_funded: int | None = None
    first_come_cost: Decimal | None = None
    by_city: list[dict] = field(default_factory=list)
    by_section: list[dict] = field(default_factory=list)
    by_size: list[dict] = field(default_factory=list)
    sweep: dict[str, Any] = field(default_factory=dict)
    ms: int = 0


def _sweepable(prule: E.PolicyRule) -> list[tuple[E.Condition, str, float, type]]:
    out = []
    for cond in prule.conditions:
        node = cond.node
        while isinstance(node, exp.Paren):
            node = node.this
        if type(node) in (exp.GT, exp.GTE, exp.LT, exp.LTE):
            left, right = node.this, node.expression
            if isinstance(left, exp.Column) and isinstance(right, exp.Literal) and not right.is_string:
                out.append((cond, left.name.lower(), float(literal_value(right)), type(node)))  # type: ignore[arg-type]
    return out


def _holds(op: type, value: Any, threshold: float) -> bool:
    if value is None:
        return False
    if op is exp.GT:
        return value > threshold
    if op is exp.GTE:
        return value >= threshold
    if op is exp.LT:
        return value < threshold
    return value <= threshold


def simulate(eligibility: str, formula: str = "", cap: Decimal | None = None, budget: Decimal | None = None,
             as_of: dt.date | None = None, sweep_condition: str | None = None) -> Simulation:
    import time

    from .matching import match_date

    started = time.perf_counter()
    as_of = as_of or match_date()
    prule = E.build_draft(eligibility, formula, cap)
    # only rows with at most one FALSE condition matter (qualified, near misses, unknowns and the sweep's
    # base); the features come from the shared snapshot of the date when one is ready
    from industrybrain.rules import snapshot

    snap = snapshot.current(as_of)
    if snap is not None:
        rows = E.run(prule, as_of, candidates_only=False, source=snap.table, at_most_one_false=True)
        total = snap.enterprise_count
    else:
        rows = E.run(prule, as_of, candidates_only=False, at_most_one_false=True)
        from industrybrain.registry.models import Enterprise

        total = Enterprise.objects.count()
    sim = Simulation(as_of=as_of, enterprises=total, budget=budget)
    regions: dict[str, dict[str, Any]] = {r["code"]: dict(r) for r in Region.objects.values("code", "name", "level", "parent_id")}
    sections: dict[str, str] = dict(Industry.objects.values_list("code", "section"))
    section_names = dict(Industry.objects.filter(level=1).values_list("code", "name"))

    def city_of(code: str) -> str:
        region = regions.get(code)
        while region is not None and region["level"] > 2 and region["parent_id"]:
            region = regions.get(region["parent_id"])
        return region["code"] if region else code

    groups: dict[str, dict[Any, list]] = {"city": defaultdict(lambda: [0, Decimal(0)]),
                                          "section": defaultdict(lambda: [0, Decimal(0)]),
                                          "size": defaultdict(lambda: [0, Decimal(0)])}
    funded: list[tuple[int, Decimal]] = []
    for row in rows:
        outcome = row["outcome"]
        if outcome is None:
            sim.unknown += 1
            continue
        if not outcome:
            if E.outcome_of(prule, row) == "near_miss":
                sim.near_miss += 1
            continue
        sim.qualified += 1
        amount = E.clamp_amount(row["amount_raw"], cap) if prule.formula is not None else Decimal(0)
        if amount is None:
            sim.amount_unknown += 1
            amount = Decimal(0)
        sim.total_cost += amount
        funded.append((row["enterprise_id"], amount))
        for key, value in (("city", city_of(row["region_code"])),
                           ("section", sections.get(row.get("f_industry_code") or "", "")),
                           ("size", row.get("f_size_class_last_year"))):
            groups[key][value][0] += 1
            groups[key][value][1] += amount
    sim.by_city = sorted(({"code": k, "name": regions.get(k, {}).get("name", k), "count": v[0], "cost": v[1]}
                          for k, v in groups["city"].items()), key=lambda r: -r["count"])
    sim.by_section = sorted(({"code": k, "name": section_names.get(k, k or gettext_lazy("未知")), "count": v[0], "cost": v[1]}
                             for k, v in groups["section"].items()), key=lambda r: -r["count"])
    sim.by_size = sorted(({"code": k, "name": SIZE_LABELS.get(k, k), "count": v[0], "cost": v[1]}
                          for k, v in groups["size"].items()), key=lambda r: -r["count"])
    if budget is not None:
        ration(sim, funded, budget)
    sim.sweep = sweep(prule, rows, sweep_condition)
    sim.ms = int((time.perf_counter() - started) * 1000)
    return sim


def ration(sim: Simulation, funded: list[tuple[int, Decimal]], budget: Decimal) -> None:
    total = sum((a for _e, a in funded), Decimal(0))
    factor = Decimal(1) if total <= budget or total == 0 else budget / total
    sim.pro_rata_factor = float(factor)
    sim.pro_rata_cost = sum(((a * factor).quantize(Decimal("0.01"), rounding=ROUND_DOWN) for _e, a in funded),
                            Decimal(0))
    spent, count = Decimal(0), 0
    for _eid, amount in sorted(funded):
        if spent + amount > budget:
            break
        spent += amount
        count += 1
    sim.first_come_funded, sim.first_come_cost = count, spent


def sweep(prule: E.PolicyRule, rows: list[dict], condition_id: str | None = None) -> dict:
    """How the count and cost move when one numeric threshold changes (other conditions held)."""
    options = _sweepable(prule)
    if not options:
        return {}
    chosen = next((o for o in options if o[0].id == condition_id), options[0])
    cond, code, threshold, op = chosen
    others = [c for c in prule.conditions if c.id != cond.id]
    base = [row for row in rows if all(row.get(f"c_{c.id}") is True for c in others)]
    points = []
    for factor in SWEEP_FACTORS:
        t = round(threshold * factor, 4) if threshold else factor - 1
        hits = [row for row in base if _holds(op, row.get(f"f_{code}"), t)]
        cost = sum(((E.clamp_amount(r["amount_raw"], prule.cap) or Decimal(0)) for r in hits), Decimal(0))
        points.append({"threshold": t, "count": len(hits), "cost": float(cost)})
    return {"condition": cond.id, "name": cond.name, "feature": code, "threshold": threshold,
            "options": [{"id": o[0].id, "name": o[0].name} for o in options], "points": points}


def chart(sim: Simulation) -> dict:
    """The sweep as data for web/charts.js (ECharts)."""
    if not sim.sweep:
        return {}
    pts = sim.sweep["points"]
    return {"categories": [f"{p['threshold']:g}" for p in pts],
            "yAxes": [{"name": _("企业数")}, {"name": _("万元")}],
            "series": [{"name": _("符合企业数"), "type": "bar", "data": [p["count"] for p in pts]},
                       {"name": _("兑现总额（万元）"), "type": "line", "yAxisIndex": 1, "data": [p["cost"] for p in pts]}]}
