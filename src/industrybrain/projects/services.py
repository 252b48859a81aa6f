"""Project actions shared by pages, API and CLI: moving between lists, monthly reports.

Each action validates everything first and returns every error at once (Chinese messages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from industrybrain.core.access import scope
from industrybrain.workflow.definition import TransitionRequest
from industrybrain.workflow.models import Transition
from industrybrain.workflow.services import TransitionError, TransitionResult
from industrybrain.workflow.services import transition as run_transition

from .models import MonthlyInvestmentReport, Project, ProjectStageEvidence
from .stages import PROJECT_FLOW, STAGES, Stage, actual_field


class ActionError(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


def can_edit(user: Any) -> bool:
    """Officers and administrators maintain projects; stewards and reviewers read them."""
    return bool(user.is_authenticated and (user.is_administrator or user.is_officer))


def can_edit_rules(user: Any) -> bool:
    """Alert rules are province-wide: province officers and administrators edit them."""
    return bool(user.is_authenticated and (user.is_administrator or user.role == "province_officer"))


def can_report(user: Any, project: Project) -> bool:
    """Officers, administrators, and the investing enterprise's own users file monthly reports."""
    if can_edit(user):
        return True
    return bool(user.is_authenticated and user.role == "enterprise_user" and user.enterprise_id
                and user.enterprise_id == project.enterprise_id)


def move_stage(project: Project, user: Any, target: str, *, effective_date: dt.date | None,
               evidence: Sequence[UploadedFile] = (), reason: str = "", expected_stage: str | None = None,
               token: str = "", data: dict[str, Any] | None = None, today: dt.date | None = None
               ) -> TransitionResult:
    """Move a project to another list; raises workflow.services.TransitionError with every reason."""
    data = {k: v for k, v in (data or {}).items() if v not in (None, "")}

    def apply(locked: Project, request: TransitionRequest, row: Transition) -> None:
        if row.is_backward:
            # Stages after the target have not happened (any more): clear their actual dates.
            for later in STAGES[STAGES.index(request.target) + 1:]:
                setattr(locked, actual_field(later), None)
        elif request.effective_date is not None:
            setattr(locked, actual_field(request.target), request.effective_date)
        if "land_parcel" in request.data:
            locked.land_parcel = str(request.data["land_parcel"])[:200]
        for upload in request.evidence:
            ProjectStageEvidence.objects.create(
                project=locked, stage=request.target, transition=row, file=upload,
                original_name=getattr(upload, "name", "file")[:200],
                description=request.data.get("evidence_description", "")[:200], uploaded_by=user)

    request = TransitionRequest(target=target, actor=user, expected_source=expected_stage,
                                effective_date=effective_date, reason=reason, evidence=list(evidence),
                                data=data, idempotency_key=token)
    return run_transition(project, PROJECT_FLOW, request, scoped_queryset=scope(user, Project.objects.all()),
                          apply=apply, today=today)


@dataclass
class ReportInput:
    year: int
    month: int
    month_completed: Decimal
    ytd_completed: Decimal | None = None  # None: previous month's + this month
    cumulative_completed: Decimal | None = None  # None: previous report's + this month
    equipment_completed: Decimal | None = None
    correction_note: str = ""
    over_total_flag: bool = False
    progress_note: str = ""


def _previous(project: Project, year: int, month: int) -> MonthlyInvestmentReport | None:
    from django.db.models import Q

    return (MonthlyInvestmentReport.objects.filter(project=project)
            .filter(Q(year__lt=year) | Q(year=year, month__lt=month)).order_by("-year", "-month").first())


def _next(project: Project, year: int, month: int) -> MonthlyInvestmentReport | None:
    from django.db.models import Q

    return (MonthlyInvestmentReport.objects.filter(project=project)
            .filter(Q(year__gt=year) | Q(year=year, month__gt=month)).order_by("year", "month").first())


def check_report(project: Project, data: ReportInput, today: dt.date | None = None
                 ) -> tuple[list[str], ReportInput]:
    """Every problem with a monthly report, and the input with derived cumulative figures filled in."""
    today = today or timezone.localdate()
    errors: list[str] = []
    note = data.correction_note.strip()
    if not 1 <= data.month <= 12:
        return [_("月份必须在1–12之间")], data
    if (data.year, data.month) > (today.year, today.month):
        errors.append(_("不能填报未来月份（%(year)s年%(month)s月）") % {"year": data.year, "month": data.month})
    if data.month_completed < 0 and not note:
        errors.append(_("本月完成投资为负数（核减）时必须填写更正说明"))
    previous = _previous(project, data.year, data.month)
    same_year_prev = previous if previous is not None and previous.year == data.year else None
    if data.ytd_completed is None:
        data.ytd_completed = (same_year_prev.ytd_completed if same_year_prev else Decimal(0)) + data.month_completed
    if data.cumulative_completed is None:
        data.cumulative_completed = (previous.cumulative_completed if previous else Decimal(0)) + data.month_completed
    if data.ytd_completed < 0 or data.cumulative_completed < 0:
        errors.append(_("累计完成投资不能为负数"))
    if previous is not None and data.cumulative_completed < previous.cumulative_completed and not note:
        errors.append(_("自开工累计完成投资%(amount)s万元小于%(year)s年%(month)s月的%(previous)s万元；"
                        "累计数不能减少，如需核减请填写更正说明")
                      % {"amount": data.cumulative_completed, "year": previous.year, "month": previous.month,
                         "previous": previous.cumulative_completed})
    if same_year_prev is not None and data.ytd_completed < same_year_prev.ytd_completed and not note:
        errors.append(_("本年累计完成投资%(amount)s万元小于%(month)s月的%(previous)s万元；如需核减请填写更正说明")
                      % {"amount": data.ytd_completed, "month": same_year_prev.month,
                         "previous": same_year_prev.ytd_completed})
    following = _next(project, data.year, data.month)
    if following is not None and data.cumulative_completed > following.cumulative_completed and not note:
        errors.append(_("自开工累计完成投资大于已填报的%(year)s年%(month)s月累计数%(following)s万元；如需更正请填写更正说明")
                      % {"year": following.year, "month": following.month,
                         "following": following.cumulative_completed})
    if data.ytd_completed > data.cumulative_completed:
        errors.append(_("本年累计完成投资不能大于自开工累计完成投资"))
    if data.cumulative_completed > project.total_investment and not data.over_total_flag:
        errors.append(_("自开工累计完成投资%(amount)s万元超过项目总投资%(total)s万元；如属实请勾选“累计超总投资（已确认）”并说明")
                      % {"amount": data.cumulative_completed, "total": project.total_investment})
    if data.over_total_flag and data.cumulative_completed > project.total_investment and not (
            note or data.progress_note.strip()):
        errors.append(_("确认累计超总投资时请在更正说明或形象进度中说明原因"))
    if data.equipment_completed is not None and data.equipment_completed > data.ytd_completed:
        errors.append(_("本年累计设备投资不能大于本年累计完成投资"))
    existing = MonthlyInvestmentReport.objects.filter(project=project, year=data.year, month=data.month).first()
    if existing is not None and not note and (
            existing.month_completed != data.month_completed
            or existing.cumulative_completed != data.cumulative_completed):
        errors.append(_("%(year)s年%(month)s月已填报，修改已填报数据必须填写更正说明") % {"year": data.year, "month": data.month})
    return errors, data


def submit_report(project: Project, user: Any, data: ReportInput, today: dt.date | None = None
                  ) -> MonthlyInvestmentReport:
    """Validate and save (create or correct) one month's report; raises ActionError with every problem."""
    if not can_report(user, project) or not scope(user, Project.objects.filter(pk=project.pk)).exists():
        raise ActionError([_("您没有填报该项目投资完成情况的权限")])
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)  # one report at a time per project
        errors, data = check_report(locked, data, today)
        if errors:
            raise ActionError(errors)
        assert data.ytd_completed is not None and data.cumulative_completed is not None
        flag = data.over_total_flag and data.cumulative_completed > locked.total_investment
        report, _created = MonthlyInvestmentReport.objects.update_or_create(
            project=locked, year=data.year, month=data.month,
            defaults={"month_completed": data.month_completed, "ytd_completed": data.ytd_completed,
                      "cumulative_completed": data.cumulative_completed,
                      "equipment_completed": data.equipment_completed,
                      "correction_note": data.correction_note.strip(), "over_total_flag": flag,
                      "progress_note": data.progress_note.strip(), "submitted_by": user})
        return report


def stage_label(code: str) -> str:
    return str(Stage(code).label) if code in STAGES else code


__all__ = ["ActionError", "ReportInput", "TransitionError", "can_edit", "can_report", "check_report",
           "move_stage", "stage_label", "submit_report"]
