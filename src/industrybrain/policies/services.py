"""Delivery actions shared by pages, API and CLI: lists, applications, reviews, payments, ratings, statistics.

Every state change goes through `workflow.services.transition` (row lock, every check, Transition row,
audit entry, idempotency key). Every decision stores a snapshot of the data and rule version it was made
on. A payment locks the policy row (the budget) and checks the cap and the budget inside the transaction;
it is recorded once per idempotency key, and a case is paid at most once (one-to-one ledger row).
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from industrybrain.core import calendar
from industrybrain.core.access import scope
from industrybrain.core.jobs import claim
from industrybrain.core.models import Notification, Role, User
from industrybrain.workflow.definition import TransitionRequest
from industrybrain.workflow.models import Transition
from industrybrain.workflow.services import TransitionError, TransitionResult, transition

from . import eligibility as E
from .flows import AUTO_FLOW, flow_for, is_handler, is_owner
from .matching import match_date
from .models import (
    FINAL_STATES,
    Case,
    CaseReview,
    CaseState,
    DeliveryMode,
    Disbursement,
    MatchOutcome,
    PaymentBatch,
    Policy,
    PolicyMatch,
    TaxReduction,
)

ZERO = Decimal("0.00")


class ActionError(TransitionError):
    """A refused action (same shape as the workflow's errors: a list of Chinese messages)."""


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _cases(user: Any) -> QuerySet[Case]:
    return scope(user, Case.objects.all())


def _notify_enterprise(case: Case, title: str, body: str = "") -> None:
    users = User.objects.filter(role=Role.ENTERPRISE_USER, enterprise_id=case.enterprise_id, is_active=True)
    url = reverse("policies:case-detail", args=[case.pk])
    Notification.objects.bulk_create([Notification(user=u, title=title, body=body, url=url) for u in users])


# -- snapshots ------------------------------------------------------------------------------------

def snapshot(policy: Policy, enterprise_id: int, as_of: dt.date | None = None) -> dict:
    """The data and rule version a decision is made on: every value read, every condition, the amount."""
    as_of = as_of or match_date()
    prule = E.build(policy)
    row = E.evaluate_python([prule], enterprise_id, as_of)[0]
    outcome = "unknown" if row.get("outcome") is None else ("pass" if row["outcome"] else "fail")
    amount = E.clamp_amount(row.get("amount_raw"), prule.cap) if row else None
    return {"as_of": as_of.isoformat(), "rule_version": policy.rule_version, "rule_checksum": prule.checksum,
            "eligibility": policy.eligibility, "amount_formula": policy.amount_formula,
            "cap": None if policy.cap_per_enterprise is None else str(policy.cap_per_enterprise),
            "outcome": outcome, "amount": None if amount is None else str(amount),
            "values": E.values_of(prule, row) if row else {}, "reasons": E.reasons(prule, row) if row else [],
            "taken_at": timezone.now().isoformat()}


def _match_snapshot(policy: Policy, match: PolicyMatch) -> dict:
    return {"as_of": match.as_of.isoformat(), "rule_version": match.rule_version,
            "rule_checksum": E.build(policy).checksum, "eligibility": policy.eligibility,
            "amount_formula": policy.amount_formula,
            "cap": None if policy.cap_per_enterprise is None else str(policy.cap_per_enterprise),
            "outcome": "pass", "amount": None if match.amount is None else str(match.amount),
            "values": match.values, "reasons": match.reasons, "match_id": match.pk,
            "taken_at": timezone.now().isoformat()}


# -- 免申即享 --------------------------------------------------------------------------------------

def generate_list(policy: Policy, user: Any, today: dt.date | None = None) -> int:
    """The eligible list of an auto-grant policy from its current matches: one case per qualifying
    enterprise without an open case, in the executing department's queue. Returns the number added."""
    if policy.mode != DeliveryMode.AUTO_GRANT:
        raise ActionError([_("只有免申即享政策生成兑现名单")])
    if not (user.is_administrator or user.is_officer or
            (user.role == Role.DEPARTMENT_REVIEWER and user.department_id == policy.department_id)):
        raise ActionError([_("您没有生成兑现名单的权限")])
    day = _today(today)
    with transaction.atomic():
        Policy.objects.select_for_update().get(pk=policy.pk)
        have = set(Case.objects.filter(policy=policy).exclude(state__in=[CaseState.REMOVED, CaseState.REJECTED,
                                                                         CaseState.WITHDRAWN])
                   .values_list("enterprise_id", flat=True))
        matches = PolicyMatch.objects.filter(policy=policy, outcome=MatchOutcome.QUALIFIED).exclude(
            enterprise_id__in=have).order_by("enterprise_id")
        from .matching import hydrate

        new: list[Case] = []
        chunk: list[PolicyMatch] = []
        for m in [*matches.select_related("policy").iterator(chunk_size=2000), None]:
            if m is not None:
                chunk.append(m)
            if chunk and (m is None or len(chunk) >= 500):  # reasons and values derived 500 at a time
                new += [Case(policy=policy, enterprise_id=h.enterprise_id, mode=policy.mode, state=CaseState.LISTED,
                             state_entered_on=day, department_id=policy.department_id, amount_requested=h.amount,
                             snapshot=_match_snapshot(policy, h)) for h in hydrate(chunk)]
                chunk = []
        Case.objects.bulk_create(new, batch_size=2000)
    return len(new)


def _move(case: Case, user: Any, target: str, *, reason: str = "", token: str = "", data: dict | None = None,
          apply=None, today: dt.date | None = None, expected: str | None = None) -> TransitionResult:
    day = _today(today)
    request = TransitionRequest(target=target, actor=user, reason=reason, idempotency_key=token,
                                expected_source=expected, data={"today": day.isoformat(), **(data or {})})

    def hook(locked: Case, req: TransitionRequest, row: Transition) -> None:
        locked.state_entered_on = day
        if apply is not None:
            apply(locked, req, row)

    return transition(case, flow_for(case.mode), request, scoped_queryset=_cases(user), apply=hook, today=day)


def review_listed(case: Case, user: Any, keep: bool, reason: str = "", token: str = "",
                  today: dt.date | None = None) -> TransitionResult:
    """Department review of a list entry: keep it (→ 公示) or remove it with a reason."""
    day = _today(today)

    def apply(locked: Case, req: TransitionRequest, row: Transition) -> None:
        if keep:
            try:
                locked.publicity_ends_on = calendar.add_working_days(day, locked.policy.publicity_days)
            except calendar.UnknownCalendarYear as exc:
                raise ActionError([str(exc)]) from None
        locked.decided_on = day

    return _move(case, user, CaseState.PUBLICITY if keep else CaseState.REMOVED, reason=reason, token=token,
                 apply=apply, today=day, expected=CaseState.LISTED)


def object_upheld(case: Case, user: Any, reason: str, token: str = "", today: dt.date | None = None) -> TransitionResult:
    """An objection during 公示 is upheld: the entry leaves the list."""
    return _move(case, user, CaseState.REMOVED, reason=reason, token=token, today=today, expected=CaseState.PUBLICITY)


def end_publicity(case: Case, user: Any, token: str = "", today: dt.date | None = None) -> TransitionResult:
    result = _move(case, user, CaseState.AWAITING_ACCOUNT, token=token, today=today, expected=CaseState.PUBLICITY)
    if result.created:
        _notify_enterprise(case, f"请确认收款账户：{case.policy.title}",
                           "公示期满无异议，请登录确认收款账户，确认后即安排拨付。")
    return result


def confirm_account(case: Case, user: Any, bank_name: str, bank_account: str, token: str = "",
                    today: dt.date | None = None) -> TransitionResult:
    def apply(locked: Case, req: TransitionRequest, row: Transition) -> None:
        locked.bank_name, locked.bank_account = bank_name.strip(), bank_account.strip()
        locked.amount_approved = locked.amount_requested

    return _move(case, user, CaseState.APPROVED, token=token, today=today, expected=CaseState.AWAITING_ACCOUNT,
                 data={"bank_name": bank_name, "bank_account": bank_account}, apply=apply)


# -- 快申快享 / 常规申报 --------------------------------------------------------------------------

def start_application(policy: Policy, user: Any, today: dt.date | None = None) -> Case:
    """A prefilled application: the data the platform already has, the materials list of the policy."""
    if policy.mode == DeliveryMode.AUTO_GRANT:
        raise ActionError([_("免申即享政策无需申请，符合条件的企业由部门直接列入兑现名单")])
    if not (user.is_authenticated and user.role == Role.ENTERPRISE_USER and user.enterprise_id):
        raise ActionError([_("只有企业用户可以申请")])
    if policy.status != Policy.Status.ACTIVE or not policy.is_in_force(_today(today)):
        raise ActionError([_("该政策不在有效期内或未生效")])
    if not user.enterprise.region.path.startswith(policy.region.path):
        raise ActionError([_("贵企业不在该政策的适用区划内")])
    snap = snapshot(policy, user.enterprise_id)
    materials = [{"name": m, "required": True, "provided": False, "source": ""} for m in policy.material_list]
    if policy.mode == DeliveryMode.FAST_TRACK:
        # 快申快享: what the platform holds is attached; the enterprise only confirms
        for m in materials:
            m["provided"], m["source"] = True, "平台已归集"
    try:
        with transaction.atomic():
            return Case.objects.create(
                policy=policy, enterprise_id=user.enterprise_id, mode=policy.mode, state=CaseState.DRAFT,
                department_id=policy.department_id,  # the executing department accepts (受理)
                state_entered_on=_today(today), amount_requested=Decimal(snap["amount"]) if snap["amount"] else None,
                snapshot=snap, application_data={"values": snap["values"]}, materials=materials)
    except IntegrityError:
        raise ActionError([_("贵企业已有该政策的在办事项")]) from None


def set_materials(case: Case, user: Any, provided: list[str]) -> Case:
    if not is_owner(user, case) or case.state != CaseState.DRAFT:
        raise ActionError([_("只有本企业在提交前可以修改申报材料")])
    for m in case.materials:
        m["provided"] = m["name"] in provided or m.get("source") == "平台已归集"
    case.save(update_fields=["materials"])
    return case


def submit(case: Case, user: Any, token: str = "", today: dt.date | None = None) -> TransitionResult:
    return _move(case, user, CaseState.SUBMITTED, token=token, today=today, expected=CaseState.DRAFT)


def withdraw(case: Case, user: Any, reason: str = "", token: str = "", today: dt.date | None = None) -> TransitionResult:
    if Case.objects.filter(pk=case.pk, state=CaseState.DRAFT).exists():
        reason = reason or "放弃申请"
    return _move(case, user, CaseState.WITHDRAWN, reason=reason, token=token, today=today)


def accept(case: Case, user: Any, token: str = "", today: dt.date | None = None) -> TransitionResult:
    """受理: the decision clock starts (policy.decision_working_days working days); first department's queue."""
    day = _today(today)

    def apply(locked: Case, req: TransitionRequest, row: Transition) -> None:
        locked.accepted_on = day
        locked.due_on = _due_on(locked)
        locked.review_step = 0
        locked.department = locked.policy.reviewer_chain()[0]
        locked.snapshot = snapshot(locked.policy, locked.enterprise_id)

    return _move(case, user, CaseState.REVIEWING, token=token, today=day, expected=CaseState.SUBMITTED, apply=apply)


def _due_on(case: Case) -> dt.date | None:
    """accepted_on + decision_working_days working days; None while the calendar of a year it reaches is
    not loaded (the clock refuses to guess; `deadline_of` fills it in once the year is loaded)."""
    if case.accepted_on is None:
        return None
    try:
        return calendar.add_working_days(case.accepted_on, case.policy.decision_working_days)
    except calendar.UnknownCalendarYear:
        return None


def refuse_acceptance(case: Case, user: Any, reason: str, token: str = "", today: dt.date | None = None) -> TransitionResult:
    return _move(case, user, CaseState.REJECTED, reason=reason, token=token, today=today,
                 expected=CaseState.SUBMITTED, apply=lambda c, r, t: setattr(c, "decided_on", _today(today)))


def review(case: Case, user: Any, approve: bool, *, amount: Decimal | None = None, reason: str = "",
           step: int | None = None, today: dt.date | None = None) -> Case:
    """One department's opinion. Refusal ends the case; approval hands it to the next department of the
    chain, and the last approval moves it to 待拨付 with the approved amount (at most the cap). The opinion
    stores the data it was given on. `step` is the step the reviewer saw (a double click is refused)."""
    day = _today(today)
    errors: list[str] = []
    if not approve and not reason.strip():
        errors.append(_("不同意时请填写原因说明"))
    if amount is not None and amount < 0:
        errors.append(_("核定金额不能为负数"))
    if errors:
        raise ActionError(errors)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not _cases(user).filter(pk=case.pk).exists():
            raise ActionError([_("该记录不在您的管辖范围内")])
        if locked.state != CaseState.REVIEWING:
            raise ActionError([_("当前状态为“%(state)s”，不能审核") % {"state": locked.get_state_display()}])
        if step is not None and step != locked.review_step:
            raise ActionError([_("该事项已由其他人审核或重复提交，请刷新后再操作")])
        if not is_handler(user, locked):
            raise ActionError([_("您没有审核该事项的权限")])
        chain = locked.policy.reviewer_chain()
        approved_amount = amount if amount is not None else locked.amount_approved or locked.amount_requested
        cap = locked.policy.cap_per_enterprise
        if approve and approved_amount is not None and cap is not None and approved_amount > cap:
            raise ActionError([_("核定金额 %(amount)s 万元超过单户上限 %(cap)s 万元") % {"amount": approved_amount, "cap": cap}])
        try:
            with transaction.atomic():
                CaseReview.objects.create(
                    case=locked, step=locked.review_step, department=locked.department or chain[0],
                    decision=CaseReview.Decision.APPROVE if approve else CaseReview.Decision.REJECT,
                    amount=approved_amount if approve else None, reason=reason.strip(), reviewer=user,
                    snapshot=snapshot(locked.policy, locked.enterprise_id))
        except IntegrityError:
            raise ActionError([_("该步骤已审核，请勿重复提交")]) from None
        last = locked.review_step + 1 >= len(chain)
        if approve and not last:
            locked.review_step += 1
            locked.department = chain[locked.review_step]
            locked.amount_approved = approved_amount
            locked.save(update_fields=["review_step", "department", "amount_approved"])
            return locked
        target = CaseState.APPROVED if approve else CaseState.REJECTED

        def apply(c: Case, req: TransitionRequest, row: Transition) -> None:
            c.decided_on = day
            if approve:
                c.amount_approved = approved_amount
        # the reviewer's department may no longer be the case's after the move; the transition is
        # checked against the case as it stands (still in the reviewer's queue)
        result = _move(locked, user, target, reason=reason or "审核通过", today=day, apply=apply,
                       expected=CaseState.REVIEWING)
    if approve:
        _notify_enterprise(case, f"申请已审核通过：{case.policy.title}", f"核定金额 {approved_amount} 万元，待拨付。")
    else:
        _notify_enterprise(case, f"申请未通过：{case.policy.title}", reason)
    return result.obj


# -- payment --------------------------------------------------------------------------------------

def budget_used(policy: Policy) -> Decimal:
    return Disbursement.objects.filter(policy=policy).aggregate(s=Sum("amount"))["s"] or ZERO


def pay(case: Case, user: Any, *, idempotency_key: str, paid_on: dt.date | None = None,
        batch: PaymentBatch | None = None) -> tuple[Disbursement, bool]:
    """Record the payment of an approved case; returns (ledger row, created).

    The same key twice returns the first row (a double-click or a retried batch records once). Inside one
    transaction: the policy row is locked (SELECT … FOR UPDATE: payments of one policy are serialised),
    then the per-enterprise cap and the remaining budget are checked against the ledger, then the row is
    written and the case moves to 已兑现."""
    if not idempotency_key:
        raise ActionError([_("缺少提交标识")])
    day = paid_on or timezone.localdate()
    existing = Disbursement.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            policy = Policy.objects.select_for_update().get(pk=case.policy_id)
            existing = Disbursement.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if not _cases(user).filter(pk=case.pk).exists():
                raise ActionError([_("该记录不在您的管辖范围内")])
            if not is_handler(user, locked):
                raise ActionError([_("您没有拨付的权限")])
            if locked.state != CaseState.APPROVED:
                raise ActionError([_("当前状态为“%(state)s”，不能拨付") % {"state": locked.get_state_display()}])
            amount = locked.amount_approved
            errors: list[str] = []
            if amount is None or amount <= 0:
                errors.append(_("核定金额为空或为零，不能拨付"))
            else:
                if policy.cap_per_enterprise is not None:
                    had = Disbursement.objects.filter(policy=policy, enterprise_id=locked.enterprise_id).aggregate(
                        s=Sum("amount"))["s"] or ZERO
                    if had + amount > policy.cap_per_enterprise:
                        errors.append(_("超过单户上限：已兑现 %(had)s 万元，本次 %(amount)s 万元，上限 %(cap)s 万元")
                                      % {"had": had, "amount": amount, "cap": policy.cap_per_enterprise})
                if policy.budget is not None:
                    used = budget_used(policy)
                    if used + amount > policy.budget:
                        errors.append(_("超过资金总额：已使用 %(used)s 万元，本次 %(amount)s 万元，剩余 %(left)s 万元")
                                      % {"used": used, "amount": amount, "left": policy.budget - used})
            if errors:
                raise ActionError(errors)
            assert amount is not None
            row = Disbursement.objects.create(case=locked, policy=policy, enterprise_id=locked.enterprise_id,
                                              amount=amount, paid_on=day, batch=batch,
                                              idempotency_key=idempotency_key, recorded_by=user)

            def apply(c: Case, req: TransitionRequest, t: Transition) -> None:
                c.paid_on = day

            _move(locked, user, CaseState.PAID, token=f"pay-{idempotency_key}"[:64], today=day,
                  data={"disbursement_id": row.pk, "amount": str(amount)}, apply=apply, expected=CaseState.APPROVED)
    except IntegrityError:
        existing = Disbursement.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
        raise ActionError([_("该事项已拨付，请勿重复拨付")]) from None
    _notify_enterprise(case, f"政策资金已拨付：{case.policy.title}", f"兑现金额 {amount} 万元，拨付日期 {day}。")
    return row, True


def create_batch(policy: Policy, user: Any, case_ids: list[int], paid_on: dt.date) -> PaymentBatch:
    """Queue a batch of approved cases for payment (the task row commits with the batch)."""
    from .tasks import run_payment_batch

    ids = list(_cases(user).filter(policy=policy, state=CaseState.APPROVED, pk__in=case_ids).values_list("pk", flat=True))
    if not ids:
        raise ActionError([_("没有可拨付的事项")])
    with transaction.atomic():
        n = PaymentBatch.objects.filter(policy=policy).count() + 1
        batch = PaymentBatch.objects.create(number=f"{policy.code[:24]}-{paid_on:%Y%m%d}-{n:03d}", policy=policy,
                                            paid_on=paid_on, created_by=user, case_ids=sorted(ids))
        transaction.on_commit(lambda: run_payment_batch.enqueue(batch.pk))
    return batch


def claim_batch(batch_id: int) -> bool:
    return claim(PaymentBatch, batch_id)


def run_batch(batch_id: int) -> str:
    """Pay every case of a claimed batch; each payment's key is (batch, case), so a batch re-run after a
    worker died pays only what is still unpaid."""
    if not claim_batch(batch_id):
        return "skipped"
    return _pay_batch(batch_id)


def _pay_batch(batch_id: int) -> str:
    batch = PaymentBatch.objects.select_related("created_by").get(pk=batch_id)
    refused: list[dict] = []
    paid = 0
    for case in Case.objects.filter(pk__in=batch.case_ids).order_by("pk"):
        try:
            pay(case, batch.created_by, idempotency_key=f"batch-{batch.pk}-case-{case.pk}", paid_on=batch.paid_on,
                batch=batch)
            paid += 1
        except TransitionError as exc:
            refused.append({"case": case.pk, "enterprise": case.enterprise_id, "errors": exc.errors})
    PaymentBatch.objects.filter(pk=batch_id).update(status=PaymentBatch.Status.DONE, paid_count=paid, refused=refused)
    return "done"


def recover_batches() -> int:
    """Batches left running by a dead worker: run again (payments already recorded are skipped by key)."""
    count = 0
    for batch_id in PaymentBatch.objects.filter(status=PaymentBatch.Status.RUNNING).values_list("pk", flat=True):
        _pay_batch(batch_id)
        count += 1
    return count


# -- rating, overdue, statistics ----------------------------------------------------------------

def rate(case: Case, user: Any, rating: int, comment: str = "", complaint: bool = False) -> Case:
    if not is_owner(user, case):
        raise ActionError([_("只有本企业用户可以评价")])
    if not case.is_final:
        raise ActionError([_("办结后才能评价")])
    if not 1 <= int(rating) <= 5:
        raise ActionError([_("评价分值为 1–5")])
    Case.objects.filter(pk=case.pk).update(rating=int(rating), rating_comment=comment[:300], complaint=complaint)
    case.refresh_from_db()
    return case


def deadline_of(case: Case) -> dt.date | None:
    """The working-day deadline of the case's current state (None: no clock)."""
    if case.is_final:
        return None
    if case.due_on is None and case.accepted_on is not None:
        due = _due_on(case)
        if due is not None:
            Case.objects.filter(pk=case.pk).update(due_on=due)
            case.due_on = due
    if case.state == CaseState.REVIEWING:
        return case.due_on
    if case.state == CaseState.PUBLICITY:
        return case.publicity_ends_on
    flow = flow_for(case.mode)
    if case.state_entered_on is None:
        return None
    try:
        deadline = flow.sla_deadline(case.state, case.state_entered_on)
    except calendar.UnknownCalendarYear:
        return None
    # 快申快享: approval and payment also fall under the 60-day clock from acceptance
    if case.due_on and case.state == CaseState.APPROVED and deadline is not None:
        return min(deadline, case.due_on)
    return deadline


def clock(case: Case, today: dt.date | None = None) -> dict:
    day = _today(today)
    deadline = deadline_of(case)
    if deadline is None:
        pending = ""
        if case.state == CaseState.REVIEWING and case.accepted_on is not None:
            try:
                calendar.add_working_days(case.accepted_on, case.policy.decision_working_days)
            except calendar.UnknownCalendarYear as exc:
                pending = str(exc)
        return {"deadline": None, "remaining": None, "overdue": False, "error": pending}
    try:
        remaining = calendar.working_days_between(day, deadline)
    except calendar.UnknownCalendarYear as exc:
        return {"deadline": deadline, "remaining": None, "overdue": False, "error": str(exc)}
    return {"deadline": deadline, "remaining": remaining, "overdue": day > deadline}


def overdue_cases(queryset: QuerySet[Case], today: dt.date | None = None) -> list[Case]:
    day = _today(today)
    out = []
    for case in queryset.exclude(state__in=FINAL_STATES).exclude(state=CaseState.DRAFT).select_related("policy"):
        if clock(case, day)["overdue"]:
            out.append(case)
    return out


def escalate_overdue(today: dt.date | None = None) -> int:
    """Overdue open cases are flagged once and their department's reviewers notified (督办)."""
    day = _today(today)
    count = 0
    for case in overdue_cases(Case.objects.filter(escalated_at__isnull=True), day):
        Case.objects.filter(pk=case.pk).update(escalated_at=timezone.now())
        reviewers = User.objects.filter(role=Role.DEPARTMENT_REVIEWER, department_id=case.department_id or -1,
                                        is_active=True)
        url = reverse("policies:case-detail", args=[case.pk])
        Notification.objects.bulk_create([Notification(
            user=u, title=f"超期督办：{case.policy.title}", url=url,
            body=f"{case.enterprise}的事项处于“{case.get_state_display()}”，已超过期限 {deadline_of(case)}。")
            for u in reviewers])
        count += 1
    return count


def statistics_of(cases: QuerySet[Case]) -> dict:
    """兑现率 (paid of decided-or-due cases, excluding withdrawn and drafts), median working days from
    acceptance (or listing) to payment, amounts, ratings and complaints."""
    counted = cases.exclude(state__in=[CaseState.WITHDRAWN, CaseState.DRAFT])
    total = counted.count()
    paid = counted.filter(state=CaseState.PAID)
    n_paid = paid.count()
    days: list[int] = []
    for start, created, end in paid.values_list("accepted_on", "created_at", "paid_on"):
        begin = start or timezone.localtime(created).date()
        if end is None:
            continue
        try:
            days.append(calendar.working_days_between(begin, end))
        except calendar.UnknownCalendarYear:
            continue
    agg = cases.aggregate(rating_n=Count("rating"), complaints=Count("pk", filter=Q(complaint=True)))
    ratings = [int(r) for r in cases.exclude(rating__isnull=True).values_list("rating", flat=True) if r is not None]
    amount = Disbursement.objects.filter(case__in=cases).aggregate(s=Sum("amount"))["s"] or ZERO
    return {"cases": total, "paid": n_paid, "rate": round(100 * n_paid / total, 1) if total else None,
            "median_days": statistics.median(days) if days else None, "amount": amount,
            "rating": round(sum(ratings) / len(ratings), 2) if ratings else None, "rated": agg["rating_n"],
            "complaints": agg["complaints"]}


def ledger_totals(rows: QuerySet[Disbursement], by: str) -> list[dict]:
    """Totals of the ledger by 'region' (city), 'department' or 'policy'."""
    key = {"region": "enterprise__region__parent__name", "county": "enterprise__region__name",
           "department": "policy__department__name", "policy": "policy__title"}[by]
    return list(rows.values(key).annotate(n=Count("pk"), amount=Sum("amount")).order_by("-amount"))


def budget_rows(policies: QuerySet[Policy]) -> list[dict]:
    used = dict(Disbursement.objects.filter(policy__in=policies).values("policy").annotate(s=Sum("amount"))
                .values_list("policy", "s"))
    out = []
    for p in policies.filter(budget__isnull=False):
        u = used.get(p.pk) or ZERO
        out.append({"policy": p, "budget": p.budget, "used": u, "remaining": p.budget - u,
                    "share": round(float(100 * u / p.budget), 1) if p.budget else None})
    return out


def reduction_list(ledger: QuerySet[Disbursement], taxes: QuerySet[TaxReduction] | None = None) -> dict:
    """一指减负: what one enterprise has received — its scoped ledger rows (subsidies paid) and imported tax and
    fee reductions — newest first, with yearly totals (a payment counts in the year it was paid, a reduction in
    the year it belongs to) and totals by kind."""
    rows: list[dict] = []
    for paid in ledger.select_related("policy", "batch"):
        rows.append({"date": paid.paid_on, "year": paid.paid_on.year, "title": paid.policy.title,
                     "kind": str(paid.policy.get_kind_display()), "amount": paid.amount, "source": gettext_lazy("兑现台账"),
                     "detail": paid.batch.number if paid.batch else ""})
    for t in (taxes if taxes is not None else TaxReduction.objects.none()):
        rows.append({"date": t.reduced_on, "year": t.year, "title": t.item, "kind": str(t.get_tax_kind_display()),
                     "amount": t.amount, "source": t.authority or gettext_lazy("税费减免导入"), "detail": t.basis})
    rows.sort(key=lambda r: (r["year"], r["date"] or dt.date(r["year"], 12, 31)), reverse=True)
    years: dict[int, Decimal] = {}
    kinds: dict[str, Decimal] = {}
    for item in rows:
        years[item["year"]] = years.get(item["year"], ZERO) + item["amount"]
        kinds[item["kind"]] = kinds.get(item["kind"], ZERO) + item["amount"]
    return {"rows": rows, "years": sorted(years.items(), reverse=True), "kinds": sorted(kinds.items()),
            "total": sum((r["amount"] for r in rows), ZERO)}


def reduction_totals(ledger: QuerySet[Disbursement], taxes: QuerySet[TaxReduction]) -> dict:
    """Province (or region) totals of 一指减负 — "减负超3300亿" style: subsidies paid plus tax and fee
    reductions, in 万元 and 亿元, by year, with the number of enterprises that benefited."""
    by_year: dict[int, dict[str, Decimal]] = {}
    for paid_year, paid in ledger.values("paid_on__year").annotate(s=Sum("amount")).values_list("paid_on__year", "s"):
        by_year.setdefault(paid_year, {"subsidies": ZERO, "taxes": ZERO})["subsidies"] = paid
    for tax_year, reduced in taxes.values("year").annotate(s=Sum("amount")).values_list("year", "s"):
        by_year.setdefault(tax_year, {"subsidies": ZERO, "taxes": ZERO})["taxes"] = reduced
    subsidies = ledger.aggregate(s=Sum("amount"))["s"] or ZERO
    tax_total = taxes.aggregate(s=Sum("amount"))["s"] or ZERO
    total = subsidies + tax_total
    # UNION (not ALL) removes duplicates in the database: one COUNT, no ids in Python
    enterprises = ledger.order_by().values("enterprise_id").union(taxes.order_by().values("enterprise_id")).count()
    years = [{"year": y, **v, "total": v["subsidies"] + v["taxes"]} for y, v in sorted(by_year.items(), reverse=True)]
    return {"subsidies": subsidies, "taxes": tax_total, "total": total,
            "total_yi": (total / 10000).quantize(Decimal("0.01")), "enterprises": enterprises, "years": years}


AUTO = AUTO_FLOW
