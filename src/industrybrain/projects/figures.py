"""Progress arithmetic of major projects, written from mechanisms.md §2 (golden tests in tests/projects).

- 投资完成率 (completion_rate) = cumulative completed investment / annual planned investment.
- 时间进度 (time_progress) = elapsed months / 12; "超过/落后时间进度 X 个百分点" = 完成率 − 时间进度
  (30.90% in Jan–Mar = 5.90 points ahead).
- 开工率 (start_rate) = started / planned to start (206/255 = 80.8%).
- The start curve for new projects: 30% by end of Q1, >60% by end of Q2, >85% by end of Q3, 100%
  实质性开工 by end of October.

Percentages are Decimals in percent (30.90 means 30.90%), rounded half-up to 2 places.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from .models import YI, AnnualPlan, MonthlyInvestmentReport, Project
from .stages import Stage


def default_year(today: dt.date | None = None) -> int:
    """The year the pages open on: the latest year with an annual plan or a monthly report, never after
    this year (a province that stopped filing in 2023 opens on 2023, not on an empty current year)."""
    from django.db.models import Max
    from django.utils import timezone

    this_year = (today or timezone.localdate()).year
    latest = max(
        (y for y in (AnnualPlan.objects.filter(year__lte=this_year).aggregate(y=Max("year"))["y"],
                     MonthlyInvestmentReport.objects.filter(year__lte=this_year).aggregate(y=Max("year"))["y"])
         if y is not None),
        default=this_year,
    )
    return latest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _pct(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def completion_rate(completed: Decimal | int | None, plan: Decimal | int | None) -> Decimal | None:
    """投资完成率 in percent; None when there is no plan."""
    if not plan:
        return None
    return _pct(Decimal(completed or 0) * HUNDRED / Decimal(plan))


def time_progress(elapsed_months: int) -> Decimal:
    """时间进度 in percent: elapsed months / 12."""
    if not 0 <= elapsed_months <= 12:
        raise ValueError("elapsed months must be between 0 and 12")
    return _pct(Decimal(elapsed_months) * HUNDRED / 12)


def progress_gap(rate: Decimal, elapsed_months: int) -> Decimal:
    """完成率 − 时间进度, in percentage points (positive: ahead)."""
    return _pct(rate - time_progress(elapsed_months))


def progress_phrase(gap: Decimal) -> str:
    if gap > 0:
        return _("超过时间进度%(gap).2f个百分点") % {"gap": gap}
    if gap < 0:
        return _("落后时间进度%(gap).2f个百分点") % {"gap": -gap}
    return _("与时间进度持平")


def start_rate(started: int, planned: int) -> Decimal | None:
    """开工率 in percent; None when nothing was planned to start."""
    if not planned:
        return None
    return _pct(Decimal(started) * HUNDRED / Decimal(planned))


@dataclass(frozen=True)
class CurvePoint:
    month: int
    day: int
    percent: Decimal
    strict: bool  # "超过" (above) rather than "达到" (at least)
    label: str

    def on(self, year: int) -> dt.date:
        return dt.date(year, self.month, self.day)

    def met_by(self, rate: Decimal | None) -> bool:
        if rate is None:
            return True  # nothing planned: nothing to be behind on
        return rate > self.percent if self.strict else rate >= self.percent


START_CURVE: tuple[CurvePoint, ...] = (
    CurvePoint(3, 31, Decimal(30), False, "一季度末开工率达到30%"),
    CurvePoint(6, 30, Decimal(60), True, "二季度末开工率超过60%"),
    CurvePoint(9, 30, Decimal(85), True, "三季度末开工率超过85%"),
    CurvePoint(10, 31, Decimal(100), False, "10月底前全部实质性开工"),
)


def curve_point(as_of: dt.date) -> CurvePoint | None:
    """The latest checkpoint of the start curve on or before `as_of` in its year (None before 31 March)."""
    passed = [p for p in START_CURVE if p.on(as_of.year) <= as_of]
    return passed[-1] if passed else None


def to_yi(wan: Decimal | None) -> Decimal:
    """万元 → 亿元, two decimals."""
    return _pct(Decimal(wan or 0) / YI)


# -- aggregates over a (scoped) queryset of projects ---------------------------------------------------
ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=2))


def with_year_figures(projects: QuerySet[Project], year: int, month: int = 12) -> QuerySet[Project]:
    """Annotate `year_plan` and `ytd_completed` (latest report of `year` up to `month`)."""
    plan = AnnualPlan.objects.filter(project=OuterRef("pk"), year=year).values("amount")[:1]
    ytd = (MonthlyInvestmentReport.objects.filter(project=OuterRef("pk"), year=year, month__lte=month)
           .order_by("-month").values("ytd_completed")[:1])
    cumulative = (MonthlyInvestmentReport.objects.filter(project=OuterRef("pk"))
                  .filter(Q(year__lt=year) | Q(year=year, month__lte=month))
                  .order_by("-year", "-month").values("cumulative_completed")[:1])
    money = DecimalField(max_digits=16, decimal_places=2)
    return projects.annotate(
        year_plan=Coalesce(Subquery(plan, output_field=money), ZERO),
        ytd_completed=Coalesce(Subquery(ytd, output_field=money), ZERO),
        cumulative_completed=Coalesce(Subquery(cumulative, output_field=money), ZERO),
    )


def latest_report_month(projects: QuerySet[Project], year: int) -> int:
    """The latest month of `year` with any report for these projects (0 if none): the elapsed months."""
    latest = (MonthlyInvestmentReport.objects.filter(project__in=projects.values("pk"), year=year)
              .order_by("-month").values_list("month", flat=True).first())
    return latest or 0


@dataclass(frozen=True)
class StageFigures:
    stage: str
    label: StrOrPromise
    count: int
    total_investment: Decimal  # 万元

    @property
    def total_investment_yi(self) -> Decimal:
        return to_yi(self.total_investment)


def six_lists(projects: QuerySet[Project]) -> list[StageFigures]:
    """Count and total investment of each of the six lists (one query)."""
    rows: dict[str, dict[str, Any]] = {r["stage"]: dict(r) for r in projects.order_by().values("stage")
                                       .annotate(n=Count("pk"), total=Sum("total_investment"))}
    return [StageFigures(s.value, s.label, rows.get(s.value, {}).get("n", 0),
                         rows.get(s.value, {}).get("total") or Decimal(0)) for s in Stage]


@dataclass(frozen=True)
class YearFigures:
    year: int
    elapsed_months: int
    plan: Decimal
    completed: Decimal
    signed_count: int
    signed_big_count: int
    signed_big_total: Decimal
    started_count: int
    completed_count: int
    planned_to_start: int
    started_of_planned: int

    @property
    def completion_rate(self) -> Decimal | None:
        return completion_rate(self.completed, self.plan)

    @property
    def gap(self) -> Decimal | None:
        rate = self.completion_rate
        return None if rate is None or not self.elapsed_months else progress_gap(rate, self.elapsed_months)

    @property
    def gap_phrase(self) -> str:
        return "" if self.gap is None else progress_phrase(self.gap)

    @property
    def start_rate(self) -> Decimal | None:
        return start_rate(self.started_of_planned, self.planned_to_start)


def year_figures(projects: QuerySet[Project], year: int, as_of: dt.date | None = None) -> YearFigures:
    """The year's headline figures: plan and completion, signings over 1亿, starts, completions, 开工率."""
    as_of = as_of or dt.date(year, 12, 31)
    month = latest_report_month(projects, year)
    annotated = with_year_figures(projects.order_by(), year, month or 12)
    sums = annotated.aggregate(plan=Sum("year_plan"), done=Sum("ytd_completed"))
    signed = projects.filter(actual_signed__year=year, actual_signed__lte=as_of)
    big = signed.filter(total_investment__gte=YI).aggregate(n=Count("pk"), total=Sum("total_investment"))
    planned = projects.filter(planned_started__year=year)
    return YearFigures(
        year=year, elapsed_months=month,
        plan=sums["plan"] or Decimal(0), completed=sums["done"] or Decimal(0),
        signed_count=signed.count(), signed_big_count=big["n"] or 0, signed_big_total=big["total"] or Decimal(0),
        started_count=projects.filter(actual_started__year=year, actual_started__lte=as_of).count(),
        completed_count=projects.filter(actual_completed__year=year, actual_completed__lte=as_of).count(),
        planned_to_start=planned.count(),
        started_of_planned=planned.filter(actual_started__isnull=False, actual_started__lte=as_of).count(),
    )


@dataclass(frozen=True)
class RollupRow:
    key: str
    name: str
    count: int
    total_investment: Decimal
    plan: Decimal
    completed: Decimal

    @property
    def completion_rate(self) -> Decimal | None:
        return completion_rate(self.completed, self.plan)

    @property
    def total_investment_yi(self) -> Decimal:
        return to_yi(self.total_investment)


def rollup(projects: QuerySet[Project], by: str, year: int, month: int = 12) -> list[RollupRow]:
    """Counts, investment, plan and completion grouped by `programme`, `system` (产业体系分类) or `city`."""
    field = {"programme": ("programme__code", "programme__name"),
             "system": ("industry_category__code", "industry_category__name"),
             "city": ("region__parent__code", "region__parent__name")}[by]
    # Aggregating over the Subquery annotations cannot be grouped portably; group in Python (few rows).
    rows: dict[str, list] = {}
    for key, name, total, plan, done in with_year_figures(projects.order_by(), year, month).values_list(
            field[0], field[1], "total_investment", "year_plan", "ytd_completed"):
        row = rows.setdefault(key or "", [name or _("未分类"), 0, Decimal(0), Decimal(0), Decimal(0)])
        row[1] += 1
        row[2] += total or 0
        row[3] += plan or 0
        row[4] += done or 0
    return [RollupRow(k, v[0], v[1], v[2], v[3], v[4]) for k, v in sorted(rows.items())]
