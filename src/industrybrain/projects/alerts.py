"""Alerts on major projects: officer-editable rules (`AlertRule`) of the shared rules language.

A rule names a subject (one project, or one programme × city), a condition over that subject's feature
catalogue (projects/catalogue.py), a kind, a severity and a message template. Conditions are parsed and
evaluated by `industrybrain.rules.subjects.Catalogue` — the same whitelist, types, Chinese errors and
three-valued logic as every rule of the platform: a subject is alerted only when the condition is TRUE
(unknown — not enough data — never alerts).

Messages: the template's `{feature}` placeholders are replaced by the feature's value as text
(`catalogue.display`); the template itself is never given to str.format. An empty template reads
"<subject>：<rule name>（<label> <value><unit>，…）" from the features the condition used.

The default rules (mechanisms.md §2 [I]; seeded by migration 0004 from the former AlertThresholds row):

- stage_overdue — `COALESCE(next_stage_days_overdue, next_stage_calendar_days_overdue) > 0`: the planned date of
  the next list has passed (in working days of the Chinese calendar) without the move;
- behind_time_progress — `stage <> 'in_production' AND progress_gap_points < -10`: 完成率 behind 时间进度 by
  more than 10 points;
- start_rate_below_curve — a programme's 开工率 in a city below the 30/60/85/100% curve at the latest
  checkpoint ("达到30%", "超过60%", "超过85%", "10月底前全部开工");
- stage_too_long — more working days in one list than 120/120/60/500/120 (签约/拿地/开工/在建/竣工).

`run_checks(as_of)` evaluates every enabled rule over all projects, keeps one open ProjectAlert per key
(`<rule code>:<subject key>`; a project's key includes its list, so a move starts a new alert), refreshes the
message and the values the condition read, closes the alerts whose condition no longer holds, and notifies
each project's 服务专员 of new alerts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from industrybrain.core.models import Notification
from industrybrain.rules.language import Expression, RuleSyntaxError

from . import catalogue
from .catalogue import CATALOGUES, Subject
from .models import AlertKind, AlertRule, AlertSeverity, Project, ProjectAlert

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# The default rules; migration 0004 seeds the same text (with the thresholds of an existing
# AlertThresholds row, if any). Thresholds live in the conditions: officers edit them there.
DEFAULT_STAGE_LIMITS = {"signed": 120, "land_acquired": 120, "started": 60, "under_construction": 500,
                        "completed": 120}


def default_rules(behind_points: Any = 10, grace_working_days: int = 0,
                  stage_limits: dict[str, int] | None = None) -> list[dict[str, Any]]:
    limits = {**DEFAULT_STAGE_LIMITS, **(stage_limits or {})}
    too_long = " ".join(f"WHEN stage = '{stage}' THEN {days}" for stage, days in limits.items() if days)
    return [
        {"code": AlertKind.STAGE_OVERDUE.value, "name": "计划节点逾期", "kind": AlertKind.STAGE_OVERDUE.value,
         "subject": "project", "severity": AlertSeverity.WARNING.value, "order": 10,
         "condition": f"COALESCE(next_stage_days_overdue, next_stage_calendar_days_overdue) > {grace_working_days}",
         "message": "{name}：计划{next_stage_planned_on}{next_stage}，已逾期{next_stage_days_overdue}个工作日"
                    "仍未进入{next_stage}清单",
         "description": "下一清单的计划日期已过（按工作日）而项目仍未进入该清单。"},
        {"code": AlertKind.BEHIND_TIME_PROGRESS.value, "name": "投资落后时间进度",
         "kind": AlertKind.BEHIND_TIME_PROGRESS.value, "subject": "project",
         "severity": AlertSeverity.WARNING.value, "order": 20,
         "condition": f"stage <> 'in_production' AND progress_gap_points < -{behind_points}",
         "message": "{name}：投资完成率{completion_rate}%，{progress_phrase}",
         "description": "本年投资完成率落后时间进度超过阈值（百分点）；已投产项目不查。"},
        {"code": AlertKind.START_RATE_BELOW_CURVE.value, "name": "开工率低于序时要求",
         "kind": AlertKind.START_RATE_BELOW_CURVE.value, "subject": "programme_city",
         "severity": AlertSeverity.WARNING.value, "order": 30,
         "condition": "CASE WHEN checkpoint_month = 3 THEN start_rate < 30 WHEN checkpoint_month = 6 THEN "
                      "start_rate <= 60 WHEN checkpoint_month = 9 THEN start_rate <= 85 "
                      "WHEN checkpoint_month = 10 THEN start_rate < 100 END",
         "message": "{city_name}{programme_name}：截至{checkpoint_on}开工率{start_rate}%"
                    "（{started_by_checkpoint}/{planned_to_start}），未达到“{curve_label}”",
         "description": "一季度末开工率达到30%、二季度末超过60%、三季度末超过85%、10月底前全部实质性开工。"},
        {"code": AlertKind.STAGE_TOO_LONG.value, "name": "清单停留超时", "kind": AlertKind.STAGE_TOO_LONG.value,
         "subject": "project", "severity": AlertSeverity.NOTICE.value, "order": 40,
         "condition": f"working_days_in_stage > CASE {too_long} END",
         "message": "{name}：已在{stage}清单停留{working_days_in_stage}个工作日",
         "description": "在一张清单停留的工作日超过该清单的上限（投产清单不查）。"},
    ]


# -- validation ---------------------------------------------------------------------------------------


def condition_problems(subject: str, text: str) -> list[str]:
    """Chinese problems of a condition for `subject` (empty when valid)."""
    return CATALOGUES[subject].problems(text)


def message_problems(subject: str, template: str) -> list[str]:
    features = CATALOGUES[subject].features
    unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(template) if m.group(1) not in features})
    return [f"消息模板中的 {{{name}}} 不是“{CATALOGUES[subject].label}”的字段" for name in unknown]


# -- evaluation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str
    key: str
    region_id: str
    message: str
    condition: str
    values: dict[str, Any]
    severity: str = AlertSeverity.WARNING
    rule_id: int | None = None
    project_id: int | None = None
    programme_id: int | None = None
    stage: str = ""


def render_message(template: str, subject: str, name: str, row: dict[str, Any], used: Iterable[str]) -> str:
    """The alert message: placeholders replaced by values, or labels and values of the features used."""
    cat = CATALOGUES[subject]
    if template.strip():
        def value(match: re.Match) -> str:
            code = match.group(1)
            return catalogue.display(code, row.get(code)) if code in cat.features else match.group(0)
        return PLACEHOLDER.sub(value, template)
    who = row.get("name") or f"{row.get('city_name', '')}{row.get('programme_name', '')}"
    parts = [f"{cat.features[c].label}{catalogue.display(c, row.get(c))}{cat.features[c].unit}" for c in sorted(used)]
    return f"{who}：{name}（{'，'.join(parts)}）"


def _findings(rule: AlertRule, expr: Expression, subjects: Sequence[Subject]) -> list[Finding]:
    cat = CATALOGUES[rule.subject]
    out = []
    for s in subjects:
        if cat.holds(expr, s.row) is True:
            out.append(Finding(
                kind=rule.kind, key=f"{rule.code}:{s.key}", region_id=s.region_id,
                message=render_message(rule.message, rule.subject, rule.name, s.row, expr.names)[:300],
                condition=rule.condition, values=cat.values_used(expr, s.row), severity=rule.severity,
                rule_id=rule.pk, project_id=s.project_id, programme_id=s.programme_id, stage=s.stage))
    return out


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # rules whose condition no longer parses


def evaluate(as_of: dt.date, projects: QuerySet[Project] | None = None,
             rules: Iterable[AlertRule] | None = None) -> Evaluation:
    """Every enabled rule over `projects` (all by default) as of `as_of`."""
    projects = projects if projects is not None else Project.objects.all()
    rules = list(rules) if rules is not None else list(AlertRule.objects.filter(enabled=True))
    cache: dict[str, list[Subject]] = {}
    result = Evaluation()
    for rule in rules:
        try:
            expr = CATALOGUES[rule.subject].condition(rule.condition, label=rule.code)
        except (RuleSyntaxError, KeyError) as err:
            result.skipped.append(f"{rule.code}：{err}")
            continue
        if rule.subject not in cache:
            cache[rule.subject] = list(catalogue.subjects(rule.subject, projects, as_of))
        result.findings += _findings(rule, expr, cache[rule.subject])
    return result


def find_all(as_of: dt.date, projects: QuerySet[Project] | None = None,
             rules: Iterable[AlertRule] | None = None) -> list[Finding]:
    return evaluate(as_of, projects, rules).findings


@dataclass(frozen=True)
class Preview:
    total: int        # subjects evaluated
    matched: int      # condition TRUE: would be alerted
    unknown: int      # not enough data
    sample: list[Finding]


def preview(rule: AlertRule, as_of: dt.date, projects: QuerySet[Project], limit: int = 20) -> Preview:
    """How many subjects the (unsaved, validated) rule would alert now, with a sample of the messages."""
    cat = CATALOGUES[rule.subject]
    expr = cat.condition(rule.condition)
    subjects = list(catalogue.subjects(rule.subject, projects, as_of))
    outcomes = [cat.holds(expr, s.row) for s in subjects]
    found = _findings(rule, expr, [s for s, o in zip(subjects, outcomes, strict=True) if o is True][:limit])
    return Preview(total=len(subjects), matched=sum(1 for o in outcomes if o is True),
                   unknown=sum(1 for o in outcomes if o is None), sample=found)


# -- running ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    opened: int
    kept: int
    closed: int
    skipped: tuple[str, ...] = ()


def run_checks(as_of: dt.date, notify: bool = True) -> RunResult:
    """Evaluate every enabled rule over all projects; open, refresh and close ProjectAlert rows."""
    evaluation = evaluate(as_of)
    findings = {f.key: f for f in evaluation.findings}
    kept = 0
    with transaction.atomic():
        open_alerts = {a.key: a for a in ProjectAlert.objects.select_for_update().filter(status="open")}
        new_rows = []
        for key, f in findings.items():
            alert = open_alerts.pop(key, None)
            if alert is not None:
                alert.message, alert.values, alert.condition, alert.severity, alert.last_detected_on = (
                    f.message, f.values, f.condition, f.severity, as_of)
                alert.save(update_fields=["message", "values", "condition", "severity", "last_detected_on"])
                kept += 1
            else:
                new_rows.append(ProjectAlert(
                    kind=f.kind, rule_id=f.rule_id, severity=f.severity, key=key, project_id=f.project_id,
                    region_id=f.region_id, programme_id=f.programme_id, stage=f.stage, message=f.message,
                    condition=f.condition, values=f.values, first_detected_on=as_of, last_detected_on=as_of))
        ProjectAlert.objects.bulk_create(new_rows, batch_size=500)
        closed = ProjectAlert.objects.filter(pk__in=[a.pk for a in open_alerts.values()]).update(
            status="closed", closed_on=as_of)
        if notify and new_rows:
            _notify(new_rows)
    return RunResult(len(new_rows), kept, closed, tuple(evaluation.skipped))


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
