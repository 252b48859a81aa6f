"""Alert checks for major projects — kept in this one module so that they can move onto the shared rules
engine (src/industrybrain/rules/) as rules later; nothing else in the app computes alerts.

Checks (mechanisms.md §2 [I]) and their thresholds (AlertThresholds, one row editable in the admin;
defaults in brackets):
- stage_overdue: the planned date of the next stage has passed without the move
  (grace: `overdue_grace_working_days` [0]).
- behind_time_progress: 完成率 behind 时间进度 by more than `behind_points` [10] percentage points,
  elapsed months = the latest month reported in the year.
- start_rate_below_curve: a programme's 开工率 in a city below the 30/60/85/100% curve at the latest
  checkpoint (end of Q1, Q2, Q3, October) — started by the checkpoint / planned to start in the year.
- stage_too_long: more working days in one list than `max_days_<stage>` [120/120/60/500/120].

`run_checks(as_of)` upserts ProjectAlert rows (one open row per key), closes those whose condition has
cleared, and notifies the project's 服务专员 of new alerts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from industrybrain.core import calendar
from industrybrain.core.models import Notification, Region

from . import figures
from .models import AlertThresholds, Programme, Project, ProjectAlert
from .stages import PROJECT_FLOW, STAGES, Stage, planned_field

Kind = ProjectAlert.Kind


@dataclass(frozen=True)
class Finding:
    kind: str
    key: str
    region_id: str
    message: str
    project_id: int | None = None
    programme_id: int | None = None
    stage: str = ""
    value: Decimal | None = None
    threshold: Decimal | None = None


def _working_days_late(planned: dt.date, as_of: dt.date) -> int | None:
    try:
        return calendar.working_days_between(planned, as_of)
    except calendar.UnknownCalendarYear:
        return None


def check_stage_overdue(project: Project, as_of: dt.date, thresholds: AlertThresholds) -> list[Finding]:
    if project.stage == Stage.IN_PRODUCTION:
        return []
    next_stage = STAGES[STAGES.index(project.stage) + 1]
    planned = getattr(project, planned_field(next_stage))
    if planned is None or planned >= as_of:
        return []
    late = _working_days_late(planned, as_of)
    if late is not None and late <= thresholds.overdue_grace_working_days:
        return []
    label = Stage(next_stage).label
    late_text = f"已逾期{late}个工作日" if late is not None else f"已逾期{(as_of - planned).days}天"
    return [Finding(Kind.STAGE_OVERDUE, f"{Kind.STAGE_OVERDUE}:{project.pk}:{next_stage}", project.region_id,
                    f"{project.name}：计划{planned.isoformat()}{label}，{late_text}仍未进入{label}清单",
                    project_id=project.pk, stage=next_stage,
                    value=Decimal(late if late is not None else (as_of - planned).days),
                    threshold=Decimal(thresholds.overdue_grace_working_days))]


def check_behind_time_progress(project: Project, plan: Decimal, completed: Decimal, elapsed_months: int,
                               thresholds: AlertThresholds) -> list[Finding]:
    rate = figures.completion_rate(completed, plan)
    if rate is None or not elapsed_months:
        return []
    gap = figures.progress_gap(rate, elapsed_months)
    if gap >= -thresholds.behind_points:
        return []
    return [Finding(Kind.BEHIND_TIME_PROGRESS, f"{Kind.BEHIND_TIME_PROGRESS}:{project.pk}", project.region_id,
                    f"{project.name}：投资完成率{rate}%，{figures.progress_phrase(gap)}",
                    project_id=project.pk, stage=project.stage, value=gap, threshold=-thresholds.behind_points)]


def check_stage_too_long(project: Project, as_of: dt.date, thresholds: AlertThresholds) -> list[Finding]:
    limit = thresholds.max_days(project.stage)
    if not limit:
        return []
    status = PROJECT_FLOW.sla_status(project, as_of, sla_days=limit)
    if not status.overdue:
        return []
    return [Finding(Kind.STAGE_TOO_LONG, f"{Kind.STAGE_TOO_LONG}:{project.pk}:{project.stage}", project.region_id,
                    f"{project.name}：已在{Stage(project.stage).label}清单停留{status.elapsed_working_days}个工作日"
                    f"（上限{limit}个工作日）",
                    project_id=project.pk, stage=project.stage, value=Decimal(status.elapsed_working_days or 0),
                    threshold=Decimal(limit))]


def check_start_rate(programme: Programme, region: Region, planned: int, started_by_checkpoint: int,
                     point: figures.CurvePoint, year: int) -> list[Finding]:
    rate = figures.start_rate(started_by_checkpoint, planned)
    if point.met_by(rate):
        return []
    return [Finding(Kind.START_RATE_BELOW_CURVE,
                    f"{Kind.START_RATE_BELOW_CURVE}:{programme.pk}:{region.pk}:{year}:{point.month}", region.pk,
                    f"{region.full_name}{programme.name}：截至{point.on(year).isoformat()}开工率{rate}%"
                    f"（{started_by_checkpoint}/{planned}），未达到“{point.label}”",
                    programme_id=programme.pk, value=rate, threshold=point.percent)]


def start_rate_findings(projects: QuerySet[Project], as_of: dt.date) -> list[Finding]:
    """Per programme and city: 开工率 at the latest curve checkpoint of the year."""
    point = figures.curve_point(as_of)
    if point is None:
        return []
    checkpoint = point.on(as_of.year)
    planned = projects.filter(planned_started__year=as_of.year, programme__isnull=False)
    findings: list[Finding] = []
    rows = planned.values_list("programme_id", "region__parent_id", "actual_started")
    groups: dict[tuple[int, str], list[int]] = {}
    for programme_id, city_id, started in rows:
        counts = groups.setdefault((programme_id, city_id or ""), [0, 0])
        counts[0] += 1
        counts[1] += 1 if started is not None and started <= checkpoint else 0
    programmes = Programme.objects.in_bulk([k[0] for k in groups])
    regions = Region.objects.in_bulk([k[1] for k in groups if k[1]])
    for (programme_id, city_id), (n_planned, n_started) in sorted(groups.items()):
        if city_id in regions:
            findings += check_start_rate(programmes[programme_id], regions[city_id], n_planned, n_started,
                                         point, as_of.year)
    return findings


def find_all(as_of: dt.date, projects: QuerySet[Project] | None = None,
             thresholds: AlertThresholds | None = None) -> list[Finding]:
    thresholds = thresholds or AlertThresholds.current()
    projects = projects if projects is not None else Project.objects.all()
    findings: list[Finding] = []
    month = figures.latest_report_month(projects, as_of.year)
    active = figures.with_year_figures(projects.exclude(stage=Stage.IN_PRODUCTION), as_of.year, month or 12)
    for project in active.select_related("region").iterator(chunk_size=500):
        findings += check_stage_overdue(project, as_of, thresholds)
        findings += check_stage_too_long(project, as_of, thresholds)
        findings += check_behind_time_progress(project, project.year_plan, project.ytd_completed,  # type: ignore[attr-defined]
                                               month, thresholds)
    findings += start_rate_findings(projects, as_of)
    return findings


@dataclass(frozen=True)
class RunResult:
    opened: int
    kept: int
    closed: int


def run_checks(as_of: dt.date, thresholds: AlertThresholds | None = None, notify: bool = True) -> RunResult:
    """Evaluate every check over all projects; open, refresh and close ProjectAlert rows."""
    findings = {f.key: f for f in find_all(as_of, thresholds=thresholds)}
    opened = kept = 0
    with transaction.atomic():
        open_alerts = {a.key: a for a in ProjectAlert.objects.select_for_update().filter(status="open")}
        new_rows = []
        for key, f in findings.items():
            alert = open_alerts.pop(key, None)
            if alert is not None:
                alert.message, alert.value, alert.threshold, alert.last_detected_on = (
                    f.message, f.value, f.threshold, as_of)
                alert.save(update_fields=["message", "value", "threshold", "last_detected_on"])
                kept += 1
            else:
                new_rows.append(ProjectAlert(kind=f.kind, key=key, project_id=f.project_id, region_id=f.region_id,
                                             programme_id=f.programme_id, stage=f.stage, message=f.message[:300],
                                             value=f.value, threshold=f.threshold, first_detected_on=as_of,
                                             last_detected_on=as_of))
        ProjectAlert.objects.bulk_create(new_rows, batch_size=500)
        opened = len(new_rows)
        closed = ProjectAlert.objects.filter(pk__in=[a.pk for a in open_alerts.values()]).update(
            status="closed", closed_on=as_of)
        if notify and new_rows:
            _notify(new_rows)
    return RunResult(opened, kept, closed)


def _notify(alerts: list[ProjectAlert]) -> None:
    """Tell each project's 服务专员 about its new alerts (one notification per person)."""
    by_user: dict[int, list[ProjectAlert]] = {}
    specialists = dict(Project.objects.filter(pk__in=[a.project_id for a in alerts if a.project_id],
                                              service_specialist__isnull=False)
                       .values_list("pk", "service_specialist_id"))
    for alert in alerts:
        user_id = specialists.get(alert.project_id) if alert.project_id else None
        if user_id:
            by_user.setdefault(user_id, []).append(alert)
    Notification.objects.bulk_create([
        Notification(user_id=user_id, title=f"重大项目预警{len(items)}条",
                     body="\n".join(a.message for a in items[:20]), url="/projects/alerts/")
        for user_id, items in by_user.items()])
