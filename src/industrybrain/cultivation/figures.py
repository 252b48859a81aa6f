"""The ladder overview's figures, all within the user's scope: certified enterprises per tier (valid
certificates in the registry), qualified-but-not-certified (passes the latest run of the tier, holds
neither the tier nor a higher one), the pool, by region and industry; certificates by issue year; the map."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear, Substr
from django.utils.translation import gettext as _

from industrybrain.core.access import scope
from industrybrain.core.models import Industry, Region, User
from industrybrain.registry.models import Certification
from industrybrain.rules.models import EvaluationResult, Outcome

from . import services, tiers
from .models import PoolEntry, TierRun


def _valid(user: User, day: dt.date) -> QuerySet[Certification]:
    return scope(user, services.valid_certifications(day).filter(kind__in=tiers.TIER_CODES))


def qualified_not_certified(user: User, run: TierRun, day: dt.date) -> QuerySet[EvaluationResult]:
    holders = services.valid_certifications(day).filter(kind__in=tiers.at_or_above(run.tier)).values(
        "enterprise_id")
    assert run.evaluation_id is not None
    return scope(user, EvaluationResult.objects.filter(evaluation_id=run.evaluation_id, outcome=Outcome.PASS)
                 ).exclude(enterprise_id__in=holders)


def _region_of(regions: dict[str, Region], targets: dict[str, Region]) -> dict[str, str]:
    """County/city code → the code of the target region (one level below the user's) that contains it."""
    out: dict[str, str] = {}
    for code, region in regions.items():
        for part in region.path.split("/"):
            if part in targets:
                out[code] = part
    return out


def ladder(user: User, day: dt.date) -> dict[str, Any]:
    runs = services.latest_runs()
    valid = _valid(user, day)
    certified = dict(valid.values_list("kind").annotate(n=Count("enterprise_id", distinct=True)).order_by())
    rows = []
    qualified_by_region: dict[str, dict[str, int]] = defaultdict(dict)
    qualified_by_industry: dict[str, dict[str, int]] = defaultdict(dict)
    for tier in tiers.TIERS:
        run = runs.get(tier.code)
        qualified = pool = None
        if run is not None:
            qs = qualified_not_certified(user, run, day)
            qualified = qs.count()
            pool = scope(user, PoolEntry.objects.filter(run=run)).count()
            for region_id, n in qs.values_list("enterprise__region_id").annotate(n=Count("id")).order_by():
                qualified_by_region[tier.code][region_id] = n
            for division, n in (qs.annotate(division=Substr("enterprise__industry_id", 1, 2))
                                .values_list("division").annotate(n=Count("id")).order_by()):
                qualified_by_industry[tier.code][division] = n
        rows.append({"tier": tier, "certified": certified.get(tier.code, 0), "qualified": qualified,
                     "pool": pool, "run": run})

    # by region (one level below the user's region)
    base = user.region if not user.is_administrator else None
    targets = {r.code: r for r in services.region_children(base)}
    regions = {r.code: r for r in Region.objects.all()}
    to_target = _region_of(regions, targets)
    by_region: dict[str, dict[str, int]] = {code: defaultdict(int) for code in targets}
    for region_id, kind, n in (valid.values_list("enterprise__region_id", "kind")
                               .annotate(n=Count("enterprise_id", distinct=True)).order_by()):
        target = to_target.get(region_id)
        if target:
            by_region[target][kind] += n
    region_rows: list[dict[str, Any]] = []
    for code, region in targets.items():
        qualified = sum(n for t in qualified_by_region.values() for rid, n in t.items() if to_target.get(rid) == code)
        region_rows.append({"region": region, "counts": [by_region[code][t.code] for t in tiers.TIERS],
                            "qualified": qualified, "total": sum(by_region[code].values())})

    # by industry (GB/T 4754 大类), the largest first
    divisions = {i.code: i.name for i in Industry.objects.filter(level=Industry.Level.DIVISION)}
    by_industry: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for division, kind, n in (valid.annotate(division=Substr("enterprise__industry_id", 1, 2))
                              .values_list("division", "kind").annotate(n=Count("enterprise_id", distinct=True))
                              .order_by()):
        by_industry[division][kind] += n
    industry_rows: list[dict[str, Any]] = sorted(
        ({"code": code, "name": divisions.get(code, code), "counts": [counts[t.code] for t in tiers.TIERS],
          "qualified": sum(t.get(code, 0) for t in qualified_by_industry.values()),
          "total": sum(counts.values())} for code, counts in by_industry.items()),
        key=lambda r: (-r["total"], r["code"]))[:15]  # type: ignore[operator]

    # trend: certificates by issue year and tier
    trend_raw = (scope(user, Certification.objects.filter(kind__in=tiers.TIER_CODES))
                 .annotate(year=ExtractYear("issued_on")).values_list("year", "kind").annotate(n=Count("id"))
                 .order_by())
    years = sorted({y for y, _k, _n in trend_raw})
    by_year = {(y, k): n for y, k, n in trend_raw}
    trend = {"categories": [str(y) for y in years], "yAxes": [{"name": _("家")}],
             "series": [{"name": _(t.short), "type": "bar", "stack": "tiers",
                         "data": [by_year.get((y, t.code), 0) for y in years]} for t in tiers.TIERS]}

    # map: the regions one level below, at their centre, sized and coloured by certified enterprises
    points = [{"name": r["region"].name, "value": [r["region"].longitude, r["region"].latitude, r["total"]]}
              for r in region_rows if r["region"].longitude is not None and r["region"].latitude is not None]
    return {"rows": rows, "region_rows": region_rows, "industry_rows": industry_rows, "trend": trend,
            "map": {"points": points, "max": max([p["value"][2] for p in points] or [1]) or 1},
            "tiers": tiers.TIERS, "runs": runs}
