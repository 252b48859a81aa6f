"""The six lists (六张清单) as a workflow: 签约 → 拿地 → 开工 → 在建 → 竣工 → 投产.

No public text defines the six lists; this stage machine is ours (mechanisms.md §2 [I]). Each forward move
needs its actual date and an evidence document; a move backwards needs a reason and is audited. 达产 is
optional and recorded as a date on the project (`capacity_reached_on`), not as a seventh list.
SLA (working days a project may stay in a stage before the "too long in one stage" alert) are defaults;
the alert rule `stage_too_long` (projects/alerts.py) carries its own limits in its condition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from industrybrain.workflow.definition import BackwardPolicy, Move, State, TransitionRequest, Workflow

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Stage(models.TextChoices):
    SIGNED = "signed", _("签约")
    LAND_ACQUIRED = "land_acquired", _("拿地")
    STARTED = "started", _("开工")
    UNDER_CONSTRUCTION = "under_construction", _("在建")
    COMPLETED = "completed", _("竣工")
    IN_PRODUCTION = "in_production", _("投产")


STAGES: list[str] = [s.value for s in Stage]

# Evidence each forward move needs (the document that proves the event).
EVIDENCE: dict[str, StrOrPromise] = {
    Stage.LAND_ACQUIRED: _("不动产权证书（土地证）或土地出让合同"),
    Stage.STARTED: _("建筑工程施工许可证"),
    Stage.UNDER_CONSTRUCTION: _("施工进度照片或监理月报"),
    Stage.COMPLETED: _("竣工验收备案表"),
    Stage.IN_PRODUCTION: _("首批产品出厂单或投产证明"),
}
SIGNING_EVIDENCE = _("投资协议（签约合同）")

# Default working days in a stage before the 'too long in one stage' alert (about 6, 6, 3, 24, 6 months).
DEFAULT_STAGE_SLA: dict[str, int | None] = {
    Stage.SIGNED: 120,
    Stage.LAND_ACQUIRED: 120,
    Stage.STARTED: 60,
    Stage.UNDER_CONSTRUCTION: 500,
    Stage.COMPLETED: 120,
    Stage.IN_PRODUCTION: None,
}


def planned_field(stage: str) -> str:
    return f"planned_{stage}"


def actual_field(stage: str) -> str:
    return f"actual_{stage}"


def can_move(user: Any, project: Any) -> bool:
    """Officers and administrators move projects between lists (scope is checked by the service)."""
    return bool(user and user.is_authenticated and (user.is_administrator or user.is_officer))


def _date_not_before_previous(project: Any, request: TransitionRequest) -> list[str]:
    """The actual date of a stage cannot precede the actual date of the stage before it."""
    if request.effective_date is None or request.target not in STAGES:
        return []
    index = STAGES.index(request.target)
    for earlier in reversed(STAGES[:index]):
        previous = getattr(project, actual_field(earlier), None)
        if previous is not None:
            if request.effective_date < previous:
                return [_("%(stage)s日期不能早于%(earlier)s日期（%(date)s）")
                        % {"stage": Stage(request.target).label, "earlier": Stage(earlier).label,
                           "date": previous.isoformat()}]
            return []
    return []


PROJECT_FLOW = Workflow(
    name="project",
    state_field="stage",
    entered_field="stage_entered_on",
    states=[State(s.value, s.label, DEFAULT_STAGE_SLA[s.value], final=s == Stage.IN_PRODUCTION) for s in Stage],
    moves=[
        Move(source, target, label=format_lazy(_("进入{stage}清单"), stage=Stage(target).label), allowed=can_move,
             denied_message=_("只有经信部门干部可以调整项目所处清单"),
             required_fields=("land_parcel",) if target == Stage.LAND_ACQUIRED else (),
             requires_date=True, evidence=EVIDENCE[target], validators=(_date_not_before_previous,))
        for source, target in zip(STAGES, STAGES[1:], strict=False)
    ],
    backward=BackwardPolicy(allowed=True, check=can_move, denied_message=_("只有经信部门干部可以回退项目清单")),
)
