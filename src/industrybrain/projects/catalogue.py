"""What alert rules may read about major projects: two catalogues of the shared rules language.

`PROJECT` — one row per project, as of a date; `PROGRAMME_CITY` — one row per programme (计划类别) and city
(设区市), for the year's 开工率 against the 30/60/85/100% curve (mechanisms.md §2). Conditions are parsed and
evaluated by `industrybrain.rules.subjects.Catalogue` (whitelist, types, Chinese errors with a caret,
three-valued logic); the features are computed here, in Python, from the module's own models.

Every feature is computed for the evaluation date `as_of`:
- working days use the platform's Chinese calendar (core/calendar.py, holidays and make-up days); a date in
  a year the calendar does not know gives an unknown value (the `…_calendar_days…` twin still has a value);
- the year's figures (plan, completion, 完成率, gap to 时间进度) use the latest month reported in `as_of.year`
  by any of the projects evaluated together, as the pages do (figures.latest_report_month).

Rows keep Decimals and dates (messages show "30.00"); the evaluator coerces numbers to floats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from industrybrain.core import calendar
from industrybrain.core.models import Region
from industrybrain.rules.language import Type
from industrybrain.rules.subjects import Catalogue, SubjectFeature

from . import figures
from .models import Programme, Project
from .stages import STAGES, Stage

KEY_PROGRAMME_KINDS = ("province_key", "city_key", "county_key")
STAGE_CODES = "、".join(f"{s.value}（{s.label}）" for s in Stage)

PROJECT = Catalogue("project", "重大项目", [
    SubjectFeature("name", "项目名称", type=Type.TEXT),
    SubjectFeature("code", "项目编号", type=Type.TEXT),
    SubjectFeature("region_code", "所在县（市、区）代码", type=Type.TEXT),
    SubjectFeature("city_code", "所在设区市代码", type=Type.TEXT),
    SubjectFeature("region_name", "所在地", type=Type.TEXT),
    SubjectFeature("stage", "所处清单", type=Type.TEXT, description=f"清单代码：{STAGE_CODES}；消息中显示为清单名称"),
    SubjectFeature("next_stage", "下一清单", type=Type.TEXT, description="投产清单的项目为空"),
    SubjectFeature("next_stage_planned_on", "下一清单计划日期", type=Type.DATE),
    SubjectFeature("next_stage_days_overdue", "下一节点逾期工作日", "工作日",
                   description="计划日期之后到检查日的工作日数（按节假日和调休）；未到计划日期为0或负数；"
                               "无计划日期或日历未维护该年度时为空"),
    SubjectFeature("next_stage_calendar_days_overdue", "下一节点逾期自然日", "天",
                   description="同上，按自然日计；日历未维护时可用 COALESCE 取此值"),
    SubjectFeature("working_days_in_stage", "本清单已停留工作日", "工作日",
                   description="自进入本清单之日起到检查日的工作日数"),
    SubjectFeature("calendar_days_in_stage", "本清单已停留自然日", "天"),
    SubjectFeature("total_investment", "总投资", "万元"),
    SubjectFeature("equipment_investment", "设备投资", "万元"),
    SubjectFeature("year_plan", "本年计划投资", "万元", description="无年度计划时为空"),
    SubjectFeature("ytd_completed", "本年累计完成投资", "万元"),
    SubjectFeature("cumulative_completed", "自开工累计完成投资", "万元"),
    SubjectFeature("elapsed_months", "已过月数", "月", description="本年已填报的最近月份（时间进度的分子）"),
    SubjectFeature("completion_rate", "投资完成率", "%", description="本年累计完成 / 本年计划 × 100；无计划时为空"),
    SubjectFeature("progress_gap_points", "超过时间进度", "个百分点",
                   description="完成率 − 时间进度（已过月数/12）；负数为落后，如 −10.83 即落后10.83个百分点"),
    SubjectFeature("progress_phrase", "时间进度表述", type=Type.TEXT,
                   description="“落后时间进度X个百分点”等，供消息使用"),
    SubjectFeature("programme", "计划类别代码", type=Type.TEXT, description="如 qxwy-manufacturing、city-key；无则为空"),
    SubjectFeature("programme_name", "计划类别", type=Type.TEXT),
    SubjectFeature("is_key_project", "重点项目", type=Type.BOOL, description="省、市、县重点建设项目"),
    SubjectFeature("project_type", "项目类型代码", type=Type.TEXT,
                   description="new（新建）、expansion（扩建）、tech_upgrade（技术改造）、investment_signing（招商引资签约）"),
    SubjectFeature("industry_system", "产业体系代码", type=Type.TEXT),
    SubjectFeature("open_blockers", "待协调问题数", "个"),
])

PROGRAMME_CITY = Catalogue("programme_city", "计划类别×设区市", [
    SubjectFeature("programme", "计划类别代码", type=Type.TEXT),
    SubjectFeature("programme_name", "计划类别", type=Type.TEXT),
    SubjectFeature("city_code", "设区市代码", type=Type.TEXT),
    SubjectFeature("city_name", "设区市", type=Type.TEXT),
    SubjectFeature("planned_to_start", "本年计划开工项目数", "个"),
    SubjectFeature("started_by_checkpoint", "截至节点已开工项目数", "个"),
    SubjectFeature("started_to_date", "截至检查日已开工项目数", "个"),
    SubjectFeature("start_rate", "开工率", "%", description="截至节点已开工 / 本年计划开工 × 100"),
    SubjectFeature("checkpoint_month", "序时节点月份", "月",
                   description="检查日之前最近的节点：3（一季度末）、6（二季度末）、9（三季度末）、10（10月底）；"
                               "3月31日之前为空"),
    SubjectFeature("checkpoint_on", "序时节点日期", type=Type.DATE),
    SubjectFeature("curve_percent", "节点要求开工率", "%", description="30、60、85、100"),
    SubjectFeature("curve_label", "节点要求", type=Type.TEXT, description="如“二季度末开工率超过60%”"),
])

CATALOGUES: dict[str, Catalogue] = {c.subject: c for c in (PROJECT, PROGRAMME_CITY)}

# How a value reads in a message (stage codes as list names); everything else by `display()`.
_LABELS: dict[str, Callable[[Any], str]] = {
    "stage": lambda v: str(Stage(v).label) if v in STAGES else str(v),
    "next_stage": lambda v: str(Stage(v).label) if v in STAGES else str(v),
}


def display(code: str, value: Any) -> str:
    """A feature value as text in an alert message."""
    if value is None:
        return "—"
    if code in _LABELS:
        return _LABELS[code](value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}"
    return str(value)


def describe(subject: str, values: dict[str, Any]) -> str:
    """The values a condition used, as "label value unit" for the alert list (audit)."""
    features = CATALOGUES[subject].features if subject in CATALOGUES else {}
    parts = []
    for code in sorted(values):  # by code: PostgreSQL's jsonb does not keep the stored key order
        value = values[code]
        f = features.get(code)
        parts.append(f"{f.label}{display(code, value)}{f.unit}" if f else f"{code}={value}")
    return "；".join(parts)


@dataclass(frozen=True)
class Subject:
    """One evaluated row: who it is (for the alert's key and links) and its features."""

    key: str
    region_id: str
    row: dict[str, Any]
    project_id: int | None = None
    programme_id: int | None = None
    stage: str = ""


class _Days:
    """Working days between dates and `as_of` (calendar.working_days_between), counted in one walk away from
    `as_of`: every day is looked up once however many projects share the span."""

    def __init__(self, as_of: dt.date):
        self.as_of = as_of
        self.before: dict[dt.date, int] = {as_of: 0}  # day ≤ as_of → working days in (day, as_of]
        self.after: dict[dt.date, int] = {as_of: 0}   # day > as_of → working days in (as_of, day]
        self.low = self.high = as_of

    def since(self, day: dt.date | None) -> int | None:
        """Working days from `day` to `as_of` (negative when `day` is later); None for an unknown year."""
        if day is None:
            return None
        one = dt.timedelta(days=1)
        try:
            if day <= self.as_of:
                while self.low > day:
                    self.before[self.low - one] = self.before[self.low] + calendar.is_working_day(self.low)
                    self.low -= one
                return self.before[day]
            while self.high < day:
                self.after[self.high + one] = self.after[self.high] + calendar.is_working_day(self.high + one)
                self.high += one
            return -self.after[day]
        except calendar.UnknownCalendarYear:
            return None


def project_subjects(projects: QuerySet[Project], as_of: dt.date) -> Iterator[Subject]:
    """The PROJECT features of every project in `projects` as of `as_of`."""
    year = as_of.year
    month = figures.latest_report_month(projects, year)
    days = _Days(as_of)
    rows = (figures.with_year_figures(projects.order_by(), year, month or 12)
            .select_related("region__parent__parent", "programme", "industry_category")
            .annotate(open_blockers=Count("blockers", filter=Q(blockers__status="open"), distinct=True))
            .order_by("pk"))
    for p in rows.iterator(chunk_size=500):
        index = STAGES.index(p.stage)
        next_stage = STAGES[index + 1] if index + 1 < len(STAGES) else None
        planned = p.planned(next_stage) if next_stage else None
        plan = p.year_plan or None  # type: ignore[attr-defined]
        rate = figures.completion_rate(p.ytd_completed, plan)  # type: ignore[attr-defined]
        gap = figures.progress_gap(rate, month) if rate is not None and month else None
        row = {
            "name": p.name, "code": p.code, "region_code": p.region_id,
            "city_code": p.region.parent_id or "", "region_name": p.region.full_name,
            "stage": p.stage, "next_stage": next_stage, "next_stage_planned_on": planned,
            "next_stage_days_overdue": days.since(planned),
            "next_stage_calendar_days_overdue": (as_of - planned).days if planned else None,
            "working_days_in_stage": days.since(p.stage_entered_on),
            "calendar_days_in_stage": (as_of - p.stage_entered_on).days if p.stage_entered_on else None,
            "total_investment": p.total_investment, "equipment_investment": p.equipment_investment,
            "year_plan": plan, "ytd_completed": p.ytd_completed,  # type: ignore[attr-defined]
            "cumulative_completed": p.cumulative_completed,  # type: ignore[attr-defined]
            "elapsed_months": month, "completion_rate": rate, "progress_gap_points": gap,
            "progress_phrase": figures.progress_phrase(gap) if gap is not None else None,
            "programme": p.programme.code if p.programme else None,
            "programme_name": p.programme.name if p.programme else None,
            "is_key_project": bool(p.programme and p.programme.kind in KEY_PROGRAMME_KINDS),
            "project_type": p.project_type,
            "industry_system": p.industry_category.code if p.industry_category else None,
            "open_blockers": p.open_blockers,  # type: ignore[attr-defined]
        }
        yield Subject(f"{p.pk}:{p.stage}", p.region_id, row, project_id=p.pk, stage=p.stage)


def programme_city_subjects(projects: QuerySet[Project], as_of: dt.date) -> Iterator[Subject]:
    """The PROGRAMME_CITY features: per programme and city, the projects planned to start in `as_of.year`."""
    point = figures.curve_point(as_of)
    checkpoint = point.on(as_of.year) if point else None
    groups: dict[tuple[int, str], list[int]] = {}
    rows = (projects.filter(planned_started__year=as_of.year, programme__isnull=False)
            .values_list("programme_id", "region__parent_id", "actual_started"))
    for programme_id, city_id, started in rows:
        counts = groups.setdefault((programme_id, city_id or ""), [0, 0, 0])
        counts[0] += 1
        counts[1] += 1 if started is not None and checkpoint is not None and started <= checkpoint else 0
        counts[2] += 1 if started is not None and started <= as_of else 0
    programmes = Programme.objects.in_bulk([k[0] for k in groups])
    cities = Region.objects.in_bulk([k[1] for k in groups if k[1]])
    for (programme_id, city_id), (planned, by_checkpoint, to_date) in sorted(groups.items()):
        city = cities.get(city_id)
        if city is None:
            continue
        programme = programmes[programme_id]
        row = {
            "programme": programme.code, "programme_name": programme.name, "city_code": city.code,
            "city_name": city.full_name, "planned_to_start": planned,
            "started_by_checkpoint": by_checkpoint if point else None, "started_to_date": to_date,
            "start_rate": figures.start_rate(by_checkpoint, planned) if point else None,
            "checkpoint_month": point.month if point else None, "checkpoint_on": checkpoint,
            "curve_percent": point.percent if point else None, "curve_label": point.label if point else None,
        }
        period = f"{as_of.year}:{point.month}" if point else f"{as_of.year}:0"
        yield Subject(f"{programme_id}:{city.code}:{period}", city.code, row, programme_id=programme_id)


SUBJECTS: dict[str, Callable[[QuerySet[Project], dt.date], Iterator[Subject]]] = {
    "project": project_subjects,
    "programme_city": programme_city_subjects,
}


def subjects(kind: str, projects: QuerySet[Project], as_of: dt.date) -> Iterator[Subject]:
    return SUBJECTS[kind](projects, as_of)


def reference(kind: str) -> list[dict[str, str]]:
    """The catalogue as rows for the help table of the rule page (type shown in Chinese)."""
    from industrybrain.rules.language import TYPE_LABELS

    return [{**r, "type": TYPE_LABELS[Type(r["type"])]} for r in CATALOGUES[kind].reference()]


def total_count(kind: str, projects: QuerySet[Project], as_of: dt.date) -> int:
    if kind == "project":
        return projects.count()
    return sum(1 for _ in programme_city_subjects(projects, as_of))


