"""Deterministic demo projects: about 1,500 at the report's scale, consistent with the Shanghai figures.

At scale 1.0 the year `as_of.year` has 1,310 signings of at least 1亿 totalling 1.22万亿 ("签约亿元以上项目超
1300个，总投资超1.2万亿元"), 187 new starts (新开工) and 98 completions (竣工) by `as_of`; other sizes scale
every count proportionally (`scale = projects wanted / 1545`). Projects are spread over the given
enterprises (their regions and industries), with about 15% investors new to the registry.

Most projects keep to plan at the snapshot: their next planned date is ahead and they have not overstayed
their list; `LATE_SHARE` (7%) of them are late (a missed date, a long stay, a start after October, a slow
investment pace). At the demo's snapshot (31 December of the report's year, scale 1.0) the default alert
rules then flag about 7% of the projects (108 of 1,545 for seed 7: 167 alerts over all four kinds).

    from industrybrain.projects import demo
    summary = demo.generate(Enterprise.objects.all(), seed=7, scale=1.0)

Demo projects have codes starting with "D-"; `clear()` removes them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from industrybrain.core.models import IndustryCategory, Region
from industrybrain.registry.models import Enterprise
from industrybrain.registry.uscc import make_uscc, organisation_code_check_char

from .models import YI, AnnualPlan, MonthlyInvestmentReport, Programme, Project, ProjectType
from .stages import DEFAULT_STAGE_SLA, STAGES, Stage

# The report's figures (Shanghai, one year) and the share of starts among this year's signings.
SIGNED_BIG = 1310
SIGNED_BIG_TOTAL = Decimal("122000000")  # 万元 = 1.22万亿元
STARTS = 187
STARTS_FROM_THIS_YEAR = 90
COMPLETIONS = 98
OLDER_UNDER_CONSTRUCTION = 40
LATE_SHARE = 0.07  # projects behind their plan at the snapshot (the others keep to it)
REPORT_SCALE_PROJECTS = SIGNED_BIG + (STARTS - STARTS_FROM_THIS_YEAR) + COMPLETIONS + OLDER_UNDER_CONSTRUCTION

LEADERS = ["王建国", "李明华", "张志强", "刘海涛", "陈卫东", "杨晓峰", "赵立新", "黄振华", "周国平", "吴永刚"]
WORDS = ["智能装备", "新材料", "新能源", "集成电路", "生物医药", "汽车零部件", "数字科技", "高端纺织", "光伏", "精密制造"]
PREFIX = "D-"
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class DemoSummary:
    projects: int
    reports: int
    signed_big: int
    signed_big_total: Decimal
    starts: int
    completions: int


def scale_for(projects_wanted: int) -> float:
    return projects_wanted / REPORT_SCALE_PROJECTS


def clear() -> int:
    return Project.objects.filter(code__startswith=PREFIX).delete()[0]


def _org_body(rng: random.Random) -> str:
    while True:
        body = "D" + "".join(rng.choice(_ALPHABET[:10] + _ALPHABET[10:]) for _ in range(7))
        if organisation_code_check_char(body) in "0123456789X":
            return body


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def generate(enterprises: Iterable[Enterprise], *, seed: int = 2026, scale: float = 1.0,
             as_of: dt.date | None = None) -> DemoSummary:
    """Create the demo projects (and plans and monthly reports of the year); deterministic for a seed."""
    rng = random.Random(seed)
    as_of = as_of or timezone.localdate()
    year = as_of.year
    pool = sorted(enterprises, key=lambda e: e.uscc)
    regions = sorted({e.region_id for e in pool}) or list(
        Region.objects.filter(level=3, code__startswith="33").values_list("code", flat=True))
    region_objs = Region.objects.in_bulk(regions)
    programmes = {p.code: p for p in Programme.objects.all()}
    categories: dict[str, list[IndustryCategory]] = {}
    for cat in IndustryCategory.objects.select_related("system").order_by("code"):
        categories.setdefault(cat.system.jurisdiction_id[:2], []).append(cat)

    n_big = math.ceil(SIGNED_BIG * scale)
    starts = round(STARTS * scale)
    k1 = min(round(STARTS_FROM_THIS_YEAR * scale), starts)
    k2, n_done, n_uc = starts - k1, round(COMPLETIONS * scale), round(OLDER_UNDER_CONSTRUCTION * scale)

    # Investment of this year's signings: at least 1亿 each, totalling 1.22万亿 × scale.
    weights = [rng.lognormvariate(0, 1.1) for _ in range(n_big)]
    target = (SIGNED_BIG_TOTAL * Decimal(str(scale))).quantize(Decimal(1))
    spare = max(target - YI * n_big, Decimal(0))
    big_amounts = [(YI + spare * Decimal(w / sum(weights))).quantize(Decimal("0.01")) for w in weights]

    jan1, year_end = dt.date(year, 1, 1), min(as_of, dt.date(year, 12, 31))
    specs: list[dict] = []
    for i in range(n_big):
        signed = _day(rng, jan1, year_end)
        if i < k1:
            signed = _day(rng, jan1, min(year_end, jan1 + dt.timedelta(days=150)))
            specs.append({"total": big_amounts[i], "signed": signed, "target": rng.choice(
                [Stage.STARTED, Stage.UNDER_CONSTRUCTION]), "start_in_year": True})
        else:
            specs.append({"total": big_amounts[i], "signed": signed,
                          "target": Stage.LAND_ACQUIRED if rng.random() < 0.25 else Stage.SIGNED})
    for _ in range(k2):
        specs.append({"total": _amount(rng), "signed": _day(rng, dt.date(year - 1, 1, 1), dt.date(year - 1, 9, 30)),
                      "target": rng.choice([Stage.STARTED, Stage.UNDER_CONSTRUCTION]), "start_in_year": True})
    for _ in range(n_done):
        specs.append({"total": _amount(rng), "signed": _day(rng, dt.date(year - 3, 1, 1), dt.date(year - 2, 6, 30)),
                      "target": rng.choice([Stage.COMPLETED, Stage.IN_PRODUCTION]), "complete_in_year": True})
    for _ in range(n_uc):
        specs.append({"total": _amount(rng), "signed": _day(rng, dt.date(year - 2, 1, 1), dt.date(year - 2, 12, 31)),
                      "target": Stage.UNDER_CONSTRUCTION, "start_before_year": True})

    projects: list[Project] = []
    for n, spec in enumerate(specs, start=1):
        projects.append(_project(rng, n, spec, pool, regions, region_objs, programmes, categories, as_of))
    with transaction.atomic():
        Project.objects.bulk_create(projects, batch_size=500)
        created = {p.code: p for p in Project.objects.filter(code__startswith=PREFIX)}
        plans, reports = _plans_and_reports(rng, [created[p.code] for p in projects], as_of)
        AnnualPlan.objects.bulk_create(plans, batch_size=1000)
        MonthlyInvestmentReport.objects.bulk_create(reports, batch_size=1000)
    big = [p for p in projects if p.actual_signed and p.actual_signed.year == year and p.total_investment >= YI]
    return DemoSummary(
        projects=len(projects), reports=len(reports), signed_big=len(big),
        signed_big_total=sum((p.total_investment for p in big), Decimal(0)),
        starts=sum(1 for p in projects if p.actual_started and p.actual_started.year == year),
        completions=sum(1 for p in projects if p.actual_completed and p.actual_completed.year == year))


def _amount(rng: random.Random) -> Decimal:
    """An older project's total investment: 3000万元 to about 50亿元."""
    return Decimal(str(round(min(3000 + rng.lognormvariate(10.5, 1.0), 500000), 2)))


def _project(rng, n, spec, pool, regions, region_objs, programmes, categories, as_of) -> Project:
    year = as_of.year
    enterprise = rng.choice(pool) if pool and rng.random() < 0.85 else None
    region_code = enterprise.region_id if enterprise else rng.choice(regions)
    region = region_objs.get(region_code)
    if enterprise is not None:
        investor_uscc, investor_name = enterprise.uscc, enterprise.name
    else:
        investor_uscc = make_uscc(region_code, _org_body(rng))
        investor_name = f"{region.name if region else ''}{rng.choice(WORDS)}产业发展有限公司"
    kind = rng.choices(list(ProjectType.values), weights=[40, 20, 25, 15])[0]
    programme_code = {"tech_upgrade": "tech-upgrade-demo", "investment_signing": "investment"}.get(
        kind, rng.choice(["qxwy-manufacturing", "qxwy-manufacturing", "qxwy-innovation", "city-key", "county-key"]))
    cats = categories.get(region_code[:2], [])
    target: str = spec["target"]
    signed: dt.date = spec["signed"]
    # Most projects keep to plan; LATE_SHARE of them miss a planned date or stay too long in a list, so the
    # alerts at the snapshot concern a believable few (5–15% of projects), not every project.
    late = rng.random() < LATE_SHARE
    if target == Stage.SIGNED and not late and signed < _cutoff(as_of, Stage.SIGNED):
        signed = _day(rng, _cutoff(as_of, Stage.SIGNED), as_of)
    planned: dict[str, dt.date] = {Stage.SIGNED: signed}
    planned[Stage.LAND_ACQUIRED] = signed + dt.timedelta(days=rng.randint(45, 150))
    planned[Stage.STARTED] = planned[Stage.LAND_ACQUIRED] + dt.timedelta(days=rng.randint(30, 120))
    if spec.get("start_in_year") and not late and planned[Stage.STARTED].year == year:
        # "10月底前全部实质性开工": this year's starts are planned before November.
        planned[Stage.STARTED] = max(min(planned[Stage.STARTED], dt.date(year, 10, rng.randint(1, 25))),
                                     planned[Stage.LAND_ACQUIRED] + dt.timedelta(days=15))
    if STAGES.index(spec["target"]) < STAGES.index(Stage.STARTED) and planned[Stage.STARTED] <= as_of:
        # A project still at 签约/拿地 at the snapshot is planned to start next year: the start-rate curve
        # (100% 实质性开工 by the end of October) holds for the projects planned to start this year.
        planned[Stage.STARTED] = dt.date(as_of.year + 1, rng.randint(1, 9), rng.randint(1, 28))
    planned[Stage.UNDER_CONSTRUCTION] = planned[Stage.STARTED] + dt.timedelta(days=30)
    planned[Stage.COMPLETED] = planned[Stage.STARTED] + dt.timedelta(days=rng.randint(360, 720))
    planned[Stage.IN_PRODUCTION] = planned[Stage.COMPLETED] + dt.timedelta(days=rng.randint(30, 120))
    actual: dict[str, dt.date] = {Stage.SIGNED: signed}
    reach = STAGES.index(target)
    jan1 = dt.date(year, 1, 1)
    previous = signed
    for stage in STAGES[1:reach + 1]:
        day = planned[stage] + dt.timedelta(days=rng.randint(-20, 40))
        if stage == Stage.STARTED and spec.get("start_in_year"):
            october = dt.date(year, 10, 31)
            if day < jan1:  # planned last year: started at some point this year
                day = _day(rng, jan1, min(as_of, october))
            if as_of > october:  # on time: by the end of October; late: in November or December
                day = _day(rng, october + dt.timedelta(days=1), as_of) if late else min(day, october)
        if stage == Stage.STARTED and spec.get("start_before_year"):
            day = min(day, dt.date(year - 1, 12, 31))
        if stage == Stage.COMPLETED and spec.get("complete_in_year"):
            day = min(day if day >= jan1 else _day(rng, jan1, as_of), as_of)
        if stage != Stage.STARTED or not spec.get("start_before_year"):
            day = min(day, as_of)
        day = max(day, previous)
        actual[stage] = previous = day
    if spec.get("start_in_year") and actual[Stage.STARTED].year != year:
        actual[Stage.STARTED] = max(jan1, actual[Stage.LAND_ACQUIRED])
    if not late:
        target = _keep_to_plan(rng, target, planned, actual, as_of)
        reach = STAGES.index(target)
    project = Project(
        code=f"{PREFIX}{signed.year}-{region_code}-{n:05d}",
        name=f"{investor_name.replace('有限公司', '').replace('股份', '')}{rng.choice(['年产', '新建', '扩建', '智能化改造'])}"
             f"{rng.choice(WORDS)}项目",
        enterprise=enterprise, investor_uscc=investor_uscc, investor_name=investor_name, region_id=region_code,
        industry_id=enterprise.industry_id if enterprise else None,
        industry_category=rng.choice(cats) if cats else None, project_type=kind,
        programme=programmes.get(programme_code), total_investment=spec["total"],
        equipment_investment=(spec["total"] * Decimal(str(round(rng.uniform(0.2, 0.6), 2)))).quantize(Decimal("0.01")),
        land_parcel=f"{region.name if region else ''}{rng.randint(2018, year)}-{rng.randint(1, 99):02d}号地块"
        if reach >= 1 else "",
        responsible_leader=rng.choice(LEADERS), stage=target, stage_entered_on=actual[target],
    )
    for stage in STAGES:
        setattr(project, f"planned_{stage}", planned[stage])
        setattr(project, f"actual_{stage}", actual.get(stage))
    if target == Stage.IN_PRODUCTION and rng.random() < 0.3:
        project.capacity_reached_on = min(actual[target] + dt.timedelta(days=60), as_of)
    return project


def _cutoff(as_of: dt.date, stage: str) -> dt.date:
    """The earliest entry into `stage` that keeps a project within the stage's working-day limit by `as_of`
    (five working days a week, two weeks' margin for make-up working days)."""
    limit = DEFAULT_STAGE_SLA[stage] or 0
    return as_of - dt.timedelta(days=limit * 7 // 5 - 14)


def _keep_to_plan(rng: random.Random, target: str, planned: dict[str, dt.date], actual: dict[str, dt.date],
                  as_of: dt.date) -> str:
    """A project on schedule: not too long in its list (a project that started or completed long ago has
    moved on to the next list; a recent 拿地 otherwise), and its next planned date still ahead."""
    if target in (Stage.STARTED, Stage.COMPLETED) and actual[target] < _cutoff(as_of, target):
        following = STAGES[STAGES.index(target) + 1]
        actual[following] = min(actual[target] + dt.timedelta(days=rng.randint(20, 60)), as_of)
        target = following
    elif target == Stage.LAND_ACQUIRED and actual[target] < _cutoff(as_of, target):
        actual[target] = _day(rng, max(_cutoff(as_of, target), actual[Stage.SIGNED]), as_of)
    index = STAGES.index(target)
    if index + 1 < len(STAGES) and planned[STAGES[index + 1]] <= as_of:
        shift = as_of + dt.timedelta(days=rng.randint(20, 150)) - planned[STAGES[index + 1]]
        for stage in STAGES[index + 1:]:
            planned[stage] += shift
        if index + 1 <= STAGES.index(Stage.STARTED) and planned[Stage.STARTED].year == as_of.year:
            planned[Stage.STARTED] = dt.date(as_of.year + 1, rng.randint(1, 9), rng.randint(1, 28))
    return target


def _plans_and_reports(rng: random.Random, projects: list[Project], as_of: dt.date):
    year = as_of.year
    # Reports of a month arrive after it ends: the snapshot holds the last finished month.
    month_finished = (as_of + dt.timedelta(days=1)).month != as_of.month
    last_month = as_of.month if month_finished else as_of.month - 1
    plans, reports = [], []
    for p in projects:
        if p.actual_started is None and p.planned_started and p.planned_started.year > year:
            continue
        if p.stage in (Stage.SIGNED, Stage.LAND_ACQUIRED) and (p.planned_started is None
                                                               or p.planned_started.year != year):
            continue
        amount = (p.total_investment * Decimal(str(round(rng.uniform(0.2, 0.45), 2)))).quantize(Decimal("1"))
        first = 1
        if p.actual_started and p.actual_started.year == year:
            first = p.actual_started.month
        elif p.actual_started is None:
            first = 13  # not started: nothing completed yet (plan only)
        # The plan runs from the start month to the completion month (or December).
        end = p.actual_completed.month if p.actual_completed and p.actual_completed.year == year else 12
        end = max(end, min(first, 12))
        months = end - min(first, 12) + 1
        per = (amount / months).quantize(Decimal("0.01"))
        monthly = [per if min(first, 12) <= m <= end else Decimal(0) for m in range(1, 13)]
        monthly[end - 1] += amount - sum(monthly)
        plans.append(AnnualPlan(project=p, year=year, amount=amount, monthly=[str(v) for v in monthly]))
        # most projects keep pace with their plan; a few fall well behind
        pace = rng.uniform(0.6, 0.85) if rng.random() < LATE_SHARE else rng.gauss(1.02, 0.05)
        done_year = Decimal(0)
        cumulative = (p.total_investment * Decimal("0.3")).quantize(Decimal("0.01")) \
            if p.actual_started and p.actual_started.year < year else Decimal(0)
        for month in range(first, last_month + 1):
            value = max(Decimal(0), (monthly[month - 1] * Decimal(str(round(pace * rng.uniform(0.9, 1.1), 3))))
                        .quantize(Decimal("0.01")))
            if p.actual_completed and p.actual_completed.year == year and month > p.actual_completed.month:
                value = Decimal(0)
            done_year += value
            cumulative = min(cumulative + value, p.total_investment)
            reports.append(MonthlyInvestmentReport(project=p, year=year, month=month, month_completed=value,
                                                   ytd_completed=min(done_year, cumulative),
                                                   cumulative_completed=cumulative, source="演示数据"))
    return plans, reports
