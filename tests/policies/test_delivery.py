"""Every delivery path on the shared workflow engine: auto-grant list, applications with multi-department
review, rejection, withdrawal, overdue, working-day clocks across National Day, payments and budgets."""

import datetime as dt
from decimal import Decimal

import pytest

from industrybrain.core.access import scope
from industrybrain.core.models import Department, Notification, Role
from industrybrain.policies import matching, services
from industrybrain.policies.models import Case, CaseState, DeliveryMode, Disbursement, PaymentBatch
from industrybrain.registry.models import YearlyFact
from industrybrain.workflow.models import Transition
from industrybrain.workflow.services import StaleTransition, TransitionError
from tests import factories
from tests.policies.conftest import AS_OF

BEFORE_NATIONAL_DAY = dt.date(2024, 9, 27)  # Friday; Sun 29 Sep is a make-up workday, 1–7 Oct are holidays


@pytest.fixture
def setup(db, roles, xihu_enterprise, policy_factory):
    YearlyFact.objects.create(enterprise=xihu_enterprise, year=2023, revenue=Decimal("5000"), rd_expense=Decimal("300"))
    jxt = Department.objects.get(code="zj-jxt")
    jxt_reviewer = factories.user("jxt", Role.DEPARTMENT_REVIEWER, "330000", department=jxt)
    return {"roles": roles, "ent": xihu_enterprise, "jxt_reviewer": jxt_reviewer, "policy_factory": policy_factory}


def _listed(setup, **kwargs):
    policy = setup["policy_factory"](**kwargs)
    matching.match_policy(policy, AS_OF)
    assert services.generate_list(policy, setup["roles"]["province"]) == 1
    return policy, Case.objects.get(policy=policy)


def test_auto_grant_full_path_with_publicity_clock_across_national_day(setup):
    roles, reviewer = setup["roles"], setup["jxt_reviewer"]
    policy, case = _listed(setup, publicity_days=5)
    assert case.state == CaseState.LISTED and case.amount_requested == Decimal("30.00")
    assert case.snapshot["values"]["rd_ratio_last_year"] == 6.0 and case.snapshot["rule_version"] == 1
    services.review_listed(case, reviewer, keep=True, today=BEFORE_NATIONAL_DAY)
    case.refresh_from_db()
    # 5 working days after Fri 27 Sep 2024: Sun 29 (make-up), Mon 30, Tue 8, Wed 9, Thu 10 Oct
    assert case.publicity_ends_on == dt.date(2024, 10, 10)
    with pytest.raises(TransitionError, match="公示期至 2024-10-10"):
        services.end_publicity(case, reviewer, today=dt.date(2024, 10, 9))
    services.end_publicity(case, reviewer, today=dt.date(2024, 10, 10))
    with pytest.raises(TransitionError, match="只有本企业用户"):
        services.confirm_account(case, roles["province"], "工行", "6222", today=dt.date(2024, 10, 11))
    services.confirm_account(case, roles["enterprise"], "中国工商银行", "622200001", today=dt.date(2024, 10, 11))
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED and case.amount_approved == Decimal("30.00")
    row, created = services.pay(case, reviewer, idempotency_key="k1", paid_on=dt.date(2024, 10, 14))
    case.refresh_from_db()
    assert created and case.state == CaseState.PAID and row.amount == Decimal("30.00")
    assert [t.target_state for t in Transition.for_object(case)] == ["publicity", "awaiting_account", "approved", "paid"]
    titles = list(Notification.objects.filter(user=roles["enterprise"]).values_list("title", flat=True))
    assert any("请确认收款账户" in t for t in titles) and any("已拨付" in t for t in titles)
    services.rate(case, roles["enterprise"], 5, "很快")
    stats = services.statistics_of(Case.objects.filter(policy=policy))
    assert stats["rate"] == 100.0 and stats["amount"] == Decimal("30.00") and stats["rating"] == 5.0


def test_auto_grant_removal_needs_a_reason_and_objection_during_publicity(setup):
    reviewer = setup["jxt_reviewer"]
    _policy, case = _listed(setup)
    with pytest.raises(TransitionError, match="请填写原因说明"):
        services.review_listed(case, reviewer, keep=False)
    services.review_listed(case, reviewer, keep=True)
    services.object_upheld(case, reviewer, "公示期间收到实名异议，经核实不符")
    case.refresh_from_db()
    assert case.state == CaseState.REMOVED and Transition.for_object(case).last().reason.startswith("公示期间")


def test_department_reviewers_see_only_their_departments_queue_and_get_404_otherwise(setup, client):
    roles, jxt = setup["roles"], setup["jxt_reviewer"]
    _policy, case = _listed(setup)
    kjt = roles["reviewer"]  # 科技厅: the policy is executed by 经信厅
    assert scope(jxt, Case.objects.all()).count() == 1
    assert scope(kjt, Case.objects.all()).count() == 0
    with pytest.raises(TransitionError, match="不在您的管辖范围"):
        services.review_listed(case, kjt, keep=True)
    client.force_login(kjt)
    assert client.get(f"/policies/cases/{case.pk}/").status_code == 404
    assert client.post(f"/policies/cases/{case.pk}/action/", {"action": "keep"}).status_code == 404
    client.force_login(jxt)
    assert client.get(f"/policies/cases/{case.pk}/").status_code == 200


def _application(setup, mode=DeliveryMode.FAST_TRACK, **kwargs):
    roles = setup["roles"]
    policy = setup["policy_factory"](mode=mode, **kwargs)
    policy.review_departments.set([Department.objects.get(code="zj-czt")])
    case = services.start_application(policy, roles["enterprise"])
    return policy, case


def test_fast_track_multi_department_review_and_60_working_day_clock(setup):
    roles, jxt = setup["roles"], setup["jxt_reviewer"]
    czt = factories.user("czt", Role.DEPARTMENT_REVIEWER, "330000", department=Department.objects.get(code="zj-czt"))
    policy, case = _application(setup)
    assert case.state == CaseState.DRAFT and case.amount_requested == Decimal("30.00")
    assert all(m["provided"] for m in case.materials)  # 快申快享: the platform's data is attached
    services.submit(case, roles["enterprise"], today=BEFORE_NATIONAL_DAY)
    services.accept(case, roles["province"], today=BEFORE_NATIONAL_DAY)
    case.refresh_from_db()
    assert case.department.code == "zj-jxt" and case.accepted_on == BEFORE_NATIONAL_DAY
    from industrybrain.core import calendar
    assert case.due_on == calendar.add_working_days(BEFORE_NATIONAL_DAY, 60)
    # counted by hand: Sun 29 Sep and Sat 12 Oct are make-up workdays, 1–7 Oct holidays → Wed 25 Dec
    assert case.due_on == dt.date(2024, 12, 25)
    with pytest.raises(TransitionError, match="不在您的管辖范围"):
        services.review(case, czt, True)  # not yet the 财政厅's turn
    services.review(case, jxt, True, amount=Decimal("25"), step=0)
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWING and case.department.code == "zj-czt" and case.review_step == 1
    with pytest.raises(TransitionError, match="不在您的管辖范围"):
        services.review(case, jxt, True, step=0)  # the double click: the case has left 经信厅's queue
    with pytest.raises(TransitionError, match="重复提交"):
        services.review(case, roles["province"], True, step=0)  # an officer's stale page
    services.review(case, czt, True, step=1)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED and case.amount_approved == Decimal("25")
    assert [r.department.code for r in case.reviews.all()] == ["zj-jxt", "zj-czt"]
    assert case.reviews.first().snapshot["rule_version"] == 1
    assert services.clock(case, dt.date(2024, 10, 8))["overdue"] is False


def test_review_refusal_needs_a_reason_and_ends_the_case(setup):
    roles, jxt = setup["roles"], setup["jxt_reviewer"]
    _policy, case = _application(setup, mode=DeliveryMode.REGULAR)
    with pytest.raises(TransitionError, match="缺少申报材料"):
        services.submit(case, roles["enterprise"])
    services.set_materials(case, roles["enterprise"], ["营业执照", "研发费用专项审计报告"])
    services.submit(case, roles["enterprise"], today=dt.date(2024, 9, 2))
    services.accept(case, jxt, today=dt.date(2024, 9, 2))
    with pytest.raises(TransitionError, match="原因"):
        services.review(case, jxt, False)
    services.review(case, jxt, False, reason="研发费用归集不规范")
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED
    assert Notification.objects.filter(user=roles["enterprise"], title__contains="未通过").exists()


def test_refused_acceptance_and_withdrawal(setup):
    roles, jxt = setup["roles"], setup["jxt_reviewer"]
    policy, case = _application(setup)
    services.submit(case, roles["enterprise"])
    services.refuse_acceptance(case, jxt, "不在申报期内")
    case.refresh_from_db()
    assert case.state == CaseState.REJECTED
    second = services.start_application(policy, roles["enterprise"])  # a finished case does not block a new one
    with pytest.raises(TransitionError):
        services.start_application(policy, roles["enterprise"])  # but an open one does
    services.submit(second, roles["enterprise"], today=dt.date(2024, 9, 2))
    services.accept(second, jxt, today=dt.date(2024, 9, 2))
    with pytest.raises(TransitionError, match="原因"):
        services.withdraw(second, roles["enterprise"])
    services.withdraw(second, roles["enterprise"], "项目延期，下批再申请")
    second.refresh_from_db()
    assert second.state == CaseState.WITHDRAWN
    assert services.statistics_of(Case.objects.filter(policy=policy))["cases"] == 1  # withdrawn not counted


def test_acceptance_when_the_calendar_of_the_deadline_year_is_not_loaded(setup):
    roles, jxt = setup["roles"], setup["jxt_reviewer"]
    _policy, case = _application(setup)
    services.submit(case, roles["enterprise"], today=dt.date(2026, 11, 2))
    services.accept(case, jxt, today=dt.date(2026, 11, 2))  # 60 working days reach into 2027: not loaded
    case.refresh_from_db()
    assert case.state == CaseState.REVIEWING and case.due_on is None
    assert services.clock(case, dt.date(2026, 11, 3))["deadline"] is None  # the clock refuses to guess


def test_overdue_cases_are_flagged_and_escalated_once(setup):
    roles, jxt = setup["roles"], setup["jxt_reviewer"]
    _policy, case = _application(setup)
    services.submit(case, roles["enterprise"], today=dt.date(2024, 9, 2))
    services.accept(case, jxt, today=dt.date(2024, 9, 2))
    case.refresh_from_db()
    assert case.due_on == dt.date(2024, 11, 29)  # 60 working days, National Day skipped, 29 Sep counted
    assert services.overdue_cases(Case.objects.all(), dt.date(2024, 11, 29)) == []
    assert [c.pk for c in services.overdue_cases(Case.objects.all(), dt.date(2024, 12, 2))] == [case.pk]
    assert services.escalate_overdue(dt.date(2024, 12, 2)) == 1
    assert services.escalate_overdue(dt.date(2024, 12, 3)) == 0
    assert Notification.objects.filter(user=jxt, title__startswith="超期督办").count() == 1


def _approved(setup, amount="30", **kwargs):
    policy, case = _listed(setup, **kwargs)
    reviewer = setup["jxt_reviewer"]
    services.review_listed(case, reviewer, keep=True, today=dt.date(2024, 9, 2))
    services.end_publicity(case, reviewer, today=dt.date(2024, 9, 20))
    services.confirm_account(case, setup["roles"]["enterprise"], "工行", "6222", today=dt.date(2024, 9, 20))
    Case.objects.filter(pk=case.pk).update(amount_approved=Decimal(amount))
    case.refresh_from_db()
    return policy, case


def test_payment_is_idempotent(setup):
    _policy, case = _approved(setup)
    first, created = services.pay(case, setup["jxt_reviewer"], idempotency_key="click-1")
    again, created_again = services.pay(case, setup["jxt_reviewer"], idempotency_key="click-1")
    assert created and not created_again and first.pk == again.pk
    assert Disbursement.objects.count() == 1
    with pytest.raises(TransitionError, match="不能拨付"):
        services.pay(case, setup["jxt_reviewer"], idempotency_key="click-2")  # a second payment of the case
    assert Disbursement.objects.count() == 1


def test_payment_over_budget_or_cap_is_refused(setup):
    policy, case = _approved(setup, amount="30", budget=Decimal("20"))
    with pytest.raises(TransitionError, match="超过资金总额"):
        services.pay(case, setup["jxt_reviewer"], idempotency_key="b1")
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED and not Disbursement.objects.exists()
    policy.budget = Decimal("100")
    policy.cap_per_enterprise = Decimal("25")
    policy.save()
    with pytest.raises(TransitionError, match="超过单户上限"):
        services.pay(case, setup["jxt_reviewer"], idempotency_key="b2")
    policy.cap_per_enterprise = Decimal("30")
    policy.save()
    services.pay(case, setup["jxt_reviewer"], idempotency_key="b3")
    assert services.budget_used(policy) == Decimal("30.00")


def test_payment_batch_is_claimed_once_and_a_rerun_pays_nothing_twice(setup, django_capture_on_commit_callbacks):
    policy, case = _approved(setup)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.create_batch(policy, setup["roles"]["province"], [case.pk], dt.date(2024, 10, 14))
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DONE and batch.paid_count == 1
    assert services.run_batch(batch.pk) == "skipped"
    PaymentBatch.objects.filter(pk=batch.pk).update(status=PaymentBatch.Status.RUNNING)  # a worker died
    assert services.recover_batches() == 1
    assert Disbursement.objects.filter(case=case).count() == 1
    assert Disbursement.objects.get().batch == batch


def test_enterprise_never_sees_another_enterprises_cases_or_payments(setup, other_enterprises, client):
    roles = setup["roles"]
    _policy, case = _approved(setup)
    services.pay(case, setup["jxt_reviewer"], idempotency_key="p1")
    stranger = factories.user("stranger", Role.ENTERPRISE_USER, enterprise=other_enterprises[0])
    assert scope(stranger, Case.objects.all()).count() == 0
    assert scope(stranger, Disbursement.objects.all()).count() == 0
    client.force_login(stranger)
    assert client.get(f"/policies/cases/{case.pk}/").status_code == 404
    assert case.enterprise.name not in client.get("/policies/ledger/").content.decode()
    client.force_login(roles["enterprise"])
    page = client.get("/policies/reductions/").content.decode()
    assert "30.00" in page
    assert client.get(f"/policies/cases/{case.pk}/").status_code == 200


def test_stale_double_submission_is_refused(setup):
    reviewer = setup["jxt_reviewer"]
    _policy, case = _listed(setup)
    services.review_listed(case, reviewer, keep=True, token="t1")
    services.review_listed(case, reviewer, keep=True, token="t1")  # same key: a no-op
    with pytest.raises(StaleTransition):
        services.review_listed(case, reviewer, keep=True, token="t2")


def test_worker_start_requeues_a_batch_a_dead_worker_left_running(setup, django_capture_on_commit_callbacks):
    from industrybrain.policies.tasks import recover_stale

    policy, case = _approved(setup)
    batch = PaymentBatch.objects.create(number="B-1", policy=policy, paid_on=dt.date(2024, 10, 14),
                                        created_by=setup["roles"]["province"], case_ids=[case.pk],
                                        status=PaymentBatch.Status.RUNNING)
    services.pay(case, setup["roles"]["province"], idempotency_key=f"batch-{batch.pk}-case-{case.pk}", batch=batch)
    with django_capture_on_commit_callbacks(execute=True):
        assert "拨付批次 1 个" in recover_stale()
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.DONE and batch.paid_count == 1
    assert Disbursement.objects.filter(case=case).count() == 1  # paid before the worker died: not paid again
    assert recover_stale() is None


def test_the_worker_s_periodic_hook_escalates_overdue_cases_without_anyone_running_a_command(setup):
    from industrybrain.policies import tasks

    roles, jxt = setup["roles"], setup["jxt_reviewer"]
    _policy, case = _application(setup)
    services.submit(case, roles["enterprise"], today=dt.date(2024, 9, 2))
    services.accept(case, jxt, today=dt.date(2024, 9, 2))  # due 2024-11-29: long past today
    assert tasks.periodic() == "惠企政策：超期督办 1 件"
    assert tasks.periodic() is None  # escalated once
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert Notification.objects.filter(user=jxt, title__startswith="超期督办").count() == 1
