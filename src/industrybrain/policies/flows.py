"""The two delivery workflows on the shared workflow engine (states, moves, working-day SLAs, who may move).

免申即享 (AUTO_FLOW): the eligible list is generated → the executing department reviews it (keep, or remove
with a reason) → 公示 for the policy's number of working days (an objection upheld removes the entry) → the
enterprise confirms its bank account → payment recorded (services.pay) → the enterprise is notified.

快申快享 and 常规申报 (APPLICATION_FLOW): a (prefilled) application is submitted → accepted (受理: the clock
of `decision_working_days`, 60 for 快申快享, starts) → reviewed by each department of the policy's chain in
turn (services.review; a refusal ends it) → approved → paid. The enterprise may withdraw until approval.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from industrybrain.core.models import Role
from industrybrain.workflow.definition import BackwardPolicy, Move, State, TransitionRequest, Workflow

from .models import CaseState as S


def is_handler(user: Any, case: Any) -> bool:
    """Officers, administrators, and reviewers of the department whose queue the case is in."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_administrator or user.is_officer:
        return True
    return bool(user.role == Role.DEPARTMENT_REVIEWER and user.department_id
                and user.department_id == case.department_id)


def is_owner(user: Any, case: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role == Role.ENTERPRISE_USER
                and user.enterprise_id and user.enterprise_id == case.enterprise_id)


def needs_reason(case: Any, request: TransitionRequest) -> list[str]:
    return [] if request.reason.strip() else [str(_("请填写原因说明"))]


def needs_payment(case: Any, request: TransitionRequest) -> list[str]:
    return [] if request.data.get("disbursement_id") else [str(_("兑现须通过拨付登记完成"))]


def publicity_over(case: Any, request: TransitionRequest) -> list[str]:
    today = request.data.get("today")
    if case.publicity_ends_on and today and str(today) < case.publicity_ends_on.isoformat():
        return [str(_("公示期至 %(date)s，期满后才能进入下一步") % {"date": case.publicity_ends_on.isoformat()})]
    return []


def materials_complete(case: Any, request: TransitionRequest) -> list[str]:
    missing = [m["name"] for m in (case.materials or []) if m.get("required") and not m.get("provided")]
    return [str(_("缺少申报材料：%(names)s") % {"names": "、".join(missing)})] if missing else []


AUTO_FLOW = Workflow(
    name="policy_auto_grant",
    state_field="state",
    entered_field="state_entered_on",
    states=[
        State(S.LISTED, _("名单待审核"), sla_working_days=5),
        State(S.PUBLICITY, _("公示中")),  # the clock is the policy's publicity days (publicity_ends_on)
        State(S.AWAITING_ACCOUNT, _("待确认账户"), sla_working_days=10),
        State(S.APPROVED, _("待拨付"), sla_working_days=10),
        State(S.PAID, _("已兑现"), final=True),
        State(S.REMOVED, _("已移出名单"), final=True),
    ],
    moves=[
        Move(S.LISTED, S.PUBLICITY, _("审核通过，进入公示"), allowed=is_handler),
        Move(S.LISTED, S.REMOVED, _("移出名单"), allowed=is_handler, validators=(needs_reason,)),
        Move(S.PUBLICITY, S.REMOVED, _("公示异议成立，移出名单"), allowed=is_handler, validators=(needs_reason,)),
        Move(S.PUBLICITY, S.AWAITING_ACCOUNT, _("公示期满"), allowed=is_handler, validators=(publicity_over,)),
        Move(S.AWAITING_ACCOUNT, S.APPROVED, _("确认收款账户"), allowed=is_owner,
             denied_message=_("只有本企业用户可以确认收款账户"), required_fields=("bank_name", "bank_account")),
        Move(S.APPROVED, S.PAID, _("拨付"), allowed=is_handler, validators=(needs_payment,)),
    ],
    backward=BackwardPolicy(allowed=False),
)

APPLICATION_FLOW = Workflow(
    name="policy_application",
    state_field="state",
    entered_field="state_entered_on",
    states=[
        State(S.DRAFT, _("待提交")),
        State(S.SUBMITTED, _("已提交"), sla_working_days=3),  # 受理 within 3 working days
        State(S.REVIEWING, _("审核中")),  # the clock is the case's due_on (decision_working_days)
        State(S.APPROVED, _("待拨付"), sla_working_days=10),
        State(S.PAID, _("已兑现"), final=True),
        State(S.REJECTED, _("不予支持"), final=True),
        State(S.WITHDRAWN, _("已撤回"), final=True),
    ],
    moves=[
        Move(S.DRAFT, S.SUBMITTED, _("提交申请"), allowed=is_owner, denied_message=_("只有本企业用户可以提交申请"),
             validators=(materials_complete,)),
        Move(S.DRAFT, S.WITHDRAWN, _("放弃申请"), allowed=is_owner),
        Move(S.SUBMITTED, S.REVIEWING, _("受理"), allowed=is_handler),
        Move(S.SUBMITTED, S.REJECTED, _("不予受理"), allowed=is_handler, validators=(needs_reason,)),
        Move(S.SUBMITTED, S.WITHDRAWN, _("撤回申请"), allowed=is_owner, validators=(needs_reason,)),
        Move(S.REVIEWING, S.APPROVED, _("审核通过"), allowed=is_handler),
        Move(S.REVIEWING, S.REJECTED, _("审核不通过"), allowed=is_handler, validators=(needs_reason,)),
        Move(S.REVIEWING, S.WITHDRAWN, _("撤回申请"), allowed=is_owner, validators=(needs_reason,)),
        Move(S.APPROVED, S.PAID, _("拨付"), allowed=is_handler, validators=(needs_payment,)),
    ],
    backward=BackwardPolicy(allowed=False),
)


def flow_for(mode: str) -> Workflow:
    return AUTO_FLOW if mode == "auto_grant" else APPLICATION_FLOW
