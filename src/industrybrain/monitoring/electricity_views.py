"""用电监测 page and its Excel export (rules in electricity.py and docs/MONITORING.md).

Access: government users only (views.government_only); alerts through core.access.scope, the "数据不足"
list and every region table limited to the officer's region subtree (visible_regions). Filters: enterprise
name or USCC, region (inside the subtree), level; the alert list is paginated and exported as filtered.
"""

from __future__ import annotations

import polars as pl
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext as _

from industrybrain.core import exports
from industrybrain.core.access import scope, visible_regions
from industrybrain.core.models import Region
from industrybrain.registry.models import Enterprise, MonthlyFact

from . import electricity
from .models import ElectricityAlert, ElectricityDataGap, MonitoringConfig
from .views import government_only, parse_period, user_province

PER_PAGE = 50
INSUFFICIENT_SHOWN = 50


def _period(request) -> tuple[int, int] | None:
    period = parse_period(request.GET.get("period", ""))
    if period:
        return period
    row = ElectricityAlert.objects.order_by("-year", "-month").values_list("year", "month").first()
    if row:
        return row[0], row[1]
    row = MonthlyFact.objects.order_by("-year", "-month").values_list("year", "month").first()
    return (row[0], row[1]) if row else None


def _filtered(request, year: int, month: int):
    alerts = scope(request.user, ElectricityAlert.objects.filter(year=year, month=month))
    q = request.GET.get("q", "").strip()
    if q:
        alerts = alerts.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc__startswith=q.upper()))
    region = request.GET.get("region", "").strip()
    if region:
        target = visible_regions(request.user).filter(pk=region).first()
        alerts = alerts.filter(region__path__startswith=target.path) if target else alerts.none()
    level = request.GET.get("level", "")
    if level in ElectricityAlert.Level.values:
        alerts = alerts.filter(level=level)
    return alerts


def _coverage_pct() -> str:
    return f"{float(MonitoringConfig.get().min_coverage_pct):g}"


def _thresholds() -> dict[str, str]:
    config = MonitoringConfig.get()
    return {"baseline_ratio": f"{float(config.baseline_ratio_pct):g}", "yoy_drop": f"{float(config.yoy_drop_pct):g}"}


def _reason_labels() -> dict[str, str]:
    return {"no_readings": _("本月无读数（上年12月有读数）"),
            "month_short": _("本月读数不足%(pct)s%%的工作日") % {"pct": _coverage_pct()},
            "no_reference": _("上年12月与上年同月读数均不足，无法比较")}


def _insufficient(request, year: int, month: int) -> dict:
    """数据不足 of the month in the user's scope: the rows the month's run stored, or — for a month not run
    yet — computed from the readings (slow for a whole province: seconds)."""
    stored = scope(request.user, ElectricityDataGap.objects.filter(year=year, month=month))
    if stored.exists() or ElectricityAlert.objects.filter(year=year, month=month).exists():
        return _stored_insufficient(stored)
    codes = set(visible_regions(request.user).values_list("code", flat=True))
    frame = electricity.insufficient(year, month, None if request.user.is_administrator else codes)
    if frame.height == 0:
        return {"insufficient_total": 0, "insufficient_regions": [], "insufficient": []}
    counts = frame.group_by("region_id").agg(pl.len().alias("n")).sort(["n", "region_id"], descending=[True, False])
    names = dict(Region.objects.filter(pk__in=counts["region_id"].to_list()).values_list("code", "name"))
    shown = frame.sort("enterprise_id").head(INSUFFICIENT_SHOWN)
    ents = Enterprise.objects.in_bulk(shown["enterprise_id"].to_list())
    reasons = _reason_labels()
    rows = [{"enterprise": ents[r["enterprise_id"]], "reason": reasons.get(r["reason"] or "", "")}
            for r in shown.iter_rows(named=True) if r["enterprise_id"] in ents]
    return {"insufficient_total": frame.height,
            "insufficient_regions": [{"name": names.get(r["region_id"], r["region_id"]), "n": r["n"]}
                                     for r in counts.iter_rows(named=True)],
            "insufficient": rows}


def _stored_insufficient(stored) -> dict:
    reasons = _reason_labels()
    counts = list(stored.values("region__name").annotate(n=Count("pk")).order_by("-n", "region__name"))
    shown = stored.select_related("enterprise").order_by("enterprise_id")[:INSUFFICIENT_SHOWN]
    return {"insufficient_total": sum(c["n"] for c in counts),
            "insufficient_regions": [{"name": c["region__name"], "n": c["n"]} for c in counts],
            "insufficient": [{"enterprise": g.enterprise, "reason": reasons.get(g.reason, "")} for g in shown]}


@login_required
def electricity_page(request):
    government_only(request)
    period = _period(request)
    province = user_province(request)
    ctx: dict = {"period": "", "province": province, "levels": ElectricityAlert.Level.choices,
                 "min_coverage": _coverage_pct(), **_thresholds()}
    if period:
        year, month = period
        alerts = _filtered(request, year, month)
        region = request.user.region or province
        level = Region.Level.COUNTY if region.level >= Region.Level.CITY else Region.Level.CITY
        regions = list(visible_regions(request.user).filter(level__in=[level, region.level]).order_by("level", "code"))
        if region.level == Region.Level.COUNTY:
            regions = [region]
        listed = alerts.select_related("enterprise", "region", "industry").order_by("level", "baseline_pct",
                                                                                  "enterprise__uscc")
        query = request.GET.copy()
        query.pop("page", None)
        ctx.update(
            region_options=visible_regions(request.user).exclude(level=Region.Level.PROVINCE).order_by("code"),
            period=f"{year}-{month:02d}", by_region=electricity.by_region(alerts),
            by_industry=electricity.by_industry(alerts), page=Paginator(listed, PER_PAGE).get_page(
                request.GET.get("page")), total=alerts.count(), query=query.urlencode(),
            daily_span=electricity.daily_period(year, month),
            divergence=electricity.divergence(year, month, regions),
            nowcasts=electricity.nowcasts(year, month, regions[:40]), **_insufficient(request, year, month))
    return render(request, "monitoring/electricity.html", ctx)


@login_required
def electricity_xlsx(request):
    government_only(request)
    period = _period(request)
    if period is None:
        rows = ElectricityAlert.objects.none()
        name = "用电预警.xlsx"
    else:
        rows = _filtered(request, *period).select_related("enterprise", "region", "industry").order_by(
            "region", "level", "enterprise__uscc")
        name = f"用电预警_{period[0]}-{period[1]:02d}.xlsx"
    columns = [exports.Column(h, exports.field(k), w) for h, k, w in (
        ("统一社会信用代码", "enterprise.uscc", 22), ("企业名称", "enterprise.name", 36), ("地区", "region.name", 14),
        ("行业代码", "industry.code", 10), ("行业", "industry.name", 24), ("本月用电（万千瓦时）", "electricity", 16),
        ("上年12月用电（万千瓦时）", "baseline", 18), ("上年同月用电（万千瓦时）", "last_year", 18),
        ("日均占基线%", "baseline_pct", 12), ("日均同比%", "yoy_pct", 12), ("低于基线", "below_baseline", 10),
        ("同比下降", "yoy_drop", 10), ("判断口径", "get_basis_display", 22), ("预警级别", "get_level_display", 22))]
    return exports.xlsx_response(name, "用电预警", columns, rows.iterator(chunk_size=2000))
