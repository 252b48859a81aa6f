"""Matching over the base, rematching one enterprise, near misses, notifications, scoping of matches."""

import json
from decimal import Decimal

from industrybrain.core.access import scope
from industrybrain.core.models import Notification
from industrybrain.policies import matching
from industrybrain.policies.models import MatchJob, MatchOutcome, Policy, PolicyMatch
from industrybrain.registry.models import YearlyFact
from tests.policies.conftest import AS_OF


def test_match_policy_stores_qualified_and_near_misses_with_reasons_and_amount(policy_factory, firm_factory):
    good = firm_factory(revenue="5000", rd="400")   # 8%, amount 40
    big = firm_factory(revenue="50000", rd="2000")  # 4%, amount 200 → cap 50
    near = firm_factory(revenue="5000", rd="100")   # 2%
    far = firm_factory(revenue="500", rd="1")       # fails both
    policy = policy_factory()
    result = matching.match_policy(policy, AS_OF)
    assert result["qualified"] == 2 and result["near_miss"] == 1
    rows = {m.enterprise_id: m for m in matching.hydrate(PolicyMatch.objects.filter(policy=policy))}
    assert rows[good.pk].amount == Decimal("40.00") and rows[big.pk].amount == Decimal("50.00")
    assert rows[near.pk].outcome == MatchOutcome.NEAR_MISS and rows[near.pk].amount is None
    assert "还差 1 个百分点" in rows[near.pk].reasons[0]["gap"]
    assert far.pk not in rows
    assert rows[good.pk].values["rd_ratio_last_year"] == 8.0


def test_new_match_notifies_the_enterprise_users_once(policy_factory, firm_factory, roles, xihu_enterprise,
                                                      django_capture_on_commit_callbacks):
    YearlyFact.objects.create(enterprise=xihu_enterprise, year=2023, revenue=Decimal("5000"),
                              rd_expense=Decimal("300"))
    policy = policy_factory(title="研发奖补")
    with django_capture_on_commit_callbacks(execute=True):
        matching.match_policy(policy, AS_OF)
    notes = Notification.objects.filter(user=roles["enterprise"])
    assert notes.count() == 1 and "研发奖补" in notes.get().title
    with django_capture_on_commit_callbacks(execute=True):
        matching.match_policy(policy, AS_OF)  # nothing new
    assert notes.count() == 1


def test_inactive_or_expired_policy_keeps_no_matches(policy_factory, firm_factory):
    firm_factory(revenue="5000", rd="400")
    policy = policy_factory()
    assert matching.match_policy(policy, AS_OF)["qualified"] == 1
    Policy.objects.filter(pk=policy.pk).update(status=Policy.Status.RETIRED)
    policy.refresh_from_db()
    assert matching.match_policy(policy, AS_OF)["qualified"] == 0
    assert not PolicyMatch.objects.filter(policy=policy).exists()


def test_rematch_one_enterprise_after_its_data_change_agrees_with_the_full_match(policy_factory, firm_factory):
    ent = firm_factory(revenue="5000", rd="100")  # 2%: near miss
    other = firm_factory(revenue="5000", rd="400")
    p1 = policy_factory()
    p2 = policy_factory(eligibility="revenue_last_year >= 4000", amount_formula="revenue_last_year * 0.001")
    matching.match_all(AS_OF)
    assert PolicyMatch.objects.get(policy=p1, enterprise=ent).outcome == MatchOutcome.NEAR_MISS
    YearlyFact.objects.filter(enterprise=ent, year=2023).update(rd_expense=Decimal("250"))  # 5%
    result = matching.rematch_enterprise(ent.pk, AS_OF)
    assert result == {"enterprise": ent.pk, "qualified": 2, "near_miss": 0, "new": 1}
    # canonical JSON: PostgreSQL's jsonb stores object keys in its own order
    fast = {(m.policy_id, m.outcome, m.amount, json.dumps(m.reasons, sort_keys=True))
            for m in matching.hydrate(PolicyMatch.objects.filter(enterprise=ent))}
    matching.match_all(AS_OF)
    full = {(m.policy_id, m.outcome, m.amount, json.dumps(m.reasons, sort_keys=True))
            for m in matching.hydrate(PolicyMatch.objects.filter(enterprise=ent))}
    assert fast == full
    assert PolicyMatch.objects.filter(enterprise=other).count() == 2
    assert PolicyMatch.objects.get(policy=p2, enterprise=ent).amount == Decimal("5.00")


def test_saving_a_fact_queues_a_rematch_after_commit(policy_factory, firm_factory, django_capture_on_commit_callbacks):
    ent = firm_factory(revenue="5000", rd="100")
    policy_factory()
    fact = YearlyFact.objects.get(enterprise=ent, year=2023)
    fact.rd_expense = Decimal("400")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        fact.save()
    assert callbacks  # the rematch waits for the commit
    # the test registry has no 2025 accounts: the match date falls back to the spring after 2023
    assert PolicyMatch.objects.get(enterprise=ent).outcome == MatchOutcome.QUALIFIED


def test_match_job_is_claimed_once(policy_factory, firm_factory, django_capture_on_commit_callbacks):
    firm_factory(revenue="5000", rd="400")
    policy = policy_factory()
    with django_capture_on_commit_callbacks(execute=True):
        job = matching.queue_match(policy)
    job.refresh_from_db()
    assert job.status == MatchJob.Status.DONE and job.qualified == 1
    assert matching.run_job(job.pk) == "skipped"  # a duplicated task does nothing


def test_enterprise_sees_only_its_own_matches(policy_factory, firm_factory, roles, xihu_enterprise, other_enterprises):
    YearlyFact.objects.create(enterprise=xihu_enterprise, year=2023, revenue=Decimal("5000"), rd_expense=Decimal("300"))
    for ent in other_enterprises:
        YearlyFact.objects.create(enterprise=ent, year=2023, revenue=Decimal("5000"), rd_expense=Decimal("300"))
    matching.match_policy(policy_factory(), AS_OF)
    assert PolicyMatch.objects.count() == 3  # the 上海 enterprise is outside the 浙江 policy
    mine = scope(roles["enterprise"], PolicyMatch.objects.all())
    assert list(mine.values_list("enterprise_id", flat=True)) == [xihu_enterprise.pk]
    assert scope(roles["county"], PolicyMatch.objects.all()).count() == 1
    assert scope(roles["province"], PolicyMatch.objects.all()).count() == 3


def test_a_policy_matches_only_enterprises_in_its_region(policy_factory, firm_factory):
    hangzhou = firm_factory(region="330106", revenue="5000", rd="400")
    ningbo = firm_factory(region="330203", revenue="5000", rd="400")
    shanghai = firm_factory(region="310115", revenue="5000", rd="400")
    policy = policy_factory(region_id="330100")
    assert matching.match_policy(policy, AS_OF)["qualified"] == 1
    assert list(PolicyMatch.objects.values_list("enterprise_id", flat=True)) == [hangzhou.pk]
    province = policy_factory(region_id="330000")
    matching.match_policy(province, AS_OF)
    assert set(PolicyMatch.objects.filter(policy=province).values_list("enterprise_id", flat=True)) == {hangzhou.pk, ningbo.pk}
    assert matching.rematch_enterprise(shanghai.pk, AS_OF)["qualified"] == 0
    assert matching.rematch_enterprise(ningbo.pk, AS_OF)["qualified"] == 1


def test_a_bulk_yearly_import_rematches_the_imported_enterprises_in_one_background_job(
        policy_factory, firm_factory, roles, django_capture_on_commit_callbacks, settings, tmp_path):
    from tests.registry.test_importers import YEARLY_HEADER, applied_job

    settings.MEDIA_ROOT = tmp_path
    a = firm_factory(revenue="5000", rd="100")   # 2%: near miss until the import raises R&D
    b = firm_factory(revenue="5000", rd="100")
    untouched = firm_factory(revenue="5000", rd="100")
    policy = policy_factory()
    matching.match_all(AS_OF)
    assert set(PolicyMatch.objects.values_list("outcome", flat=True)) == {MatchOutcome.NEAR_MISS}
    rows = [[*YEARLY_HEADER, "研发费用（万元）"]] + [[e.uscc, 2023, 5000, 4500, 50, 5, 30, 300] for e in (a, b)]
    with django_capture_on_commit_callbacks(execute=True):
        job = applied_job(roles["admin"], "yearly", rows)
    rematch = MatchJob.objects.get(import_job=job)
    assert rematch.status == MatchJob.Status.DONE and sorted(rematch.enterprise_ids) == sorted([a.pk, b.pk])
    assert (rematch.total_count, rematch.processed_count, rematch.qualified, rematch.newly_qualified) == (2, 2, 2, 2), rematch.message
    assert MatchJob.objects.count() == 1  # one job for the whole import, not one per row
    outcomes = dict(PolicyMatch.objects.filter(policy=policy).values_list("enterprise_id", "outcome"))
    assert outcomes == {a.pk: MatchOutcome.QUALIFIED, b.pk: MatchOutcome.QUALIFIED,
                        untouched.pk: MatchOutcome.NEAR_MISS}


def test_rematching_a_large_set_goes_policy_by_policy(policy_factory, firm_factory, monkeypatch):
    ent = firm_factory(revenue="5000", rd="400")
    policy_factory()
    monkeypatch.setattr(matching, "WHOLE_BASE_ABOVE", 0)
    seen = []
    result = matching.rematch_enterprises([ent.pk], AS_OF, notify=False, progress=lambda d, t: seen.append((d, t)))
    assert result["qualified"] == 1 and seen[-1] == (1, 1) and all(done <= total for done, total in seen)


def test_set_based_amounts_round_half_up_and_respect_the_cap_like_the_python_path(policy_factory, firm_factory):
    half = firm_factory(revenue="4000", rd="123.45")   # 12.345 → 12.35 (half-up)
    below = firm_factory(revenue="4000", rd="123.44")  # 12.344 → 12.34
    capped = firm_factory(revenue="5000", rd="999")    # 99.9 → cap 50
    noisy = firm_factory(revenue="1000", rd="34.3")    # 34.3 × 0.05 = 1.7149999999999999 in binary: 1.715 → 1.72
    policy = policy_factory(amount_formula="rd_expense_last_year * CASE WHEN rd_expense_last_year < 50 THEN 0.05 "
                                           "ELSE 0.1 END", eligibility="rd_ratio_last_year >= 3")
    matching.match_policy(policy, AS_OF)
    stored = dict(PolicyMatch.objects.filter(policy=policy).values_list("enterprise_id", "amount"))
    assert stored == {half.pk: Decimal("12.35"), below.pk: Decimal("12.34"), capped.pk: Decimal("50.00"),
                      noisy.pk: Decimal("1.72")}
    for ent in (half, below, capped, noisy):
        matching.rematch_enterprise(ent.pk, AS_OF, notify=False)
    assert dict(PolicyMatch.objects.filter(policy=policy).values_list("enterprise_id", "amount")) == stored


def test_whole_base_match_reads_one_fresh_feature_snapshot(policy_factory, firm_factory, monkeypatch):
    from industrybrain.rules import snapshot

    firm_factory(revenue="5000", rd="400")
    policies = [policy_factory(), policy_factory(eligibility="revenue_last_year >= 4000")]
    built = []
    real_build = snapshot.build
    monkeypatch.setattr(snapshot, "build", lambda as_of: built.append(as_of) or real_build(as_of))
    results = matching.match_all(AS_OF, policies)
    assert built == [AS_OF] and [r["qualified"] for r in results] == [1, 1]


def test_worker_start_rematches_everything_when_the_match_table_was_emptied(policy_factory, firm_factory,
                                                                            django_capture_on_commit_callbacks):
    from industrybrain.policies import tasks

    firm_factory(revenue="5000", rd="400")
    policy_factory()
    matching.match_all(AS_OF)
    assert tasks.recover_stale() is None  # results present: nothing to do
    PolicyMatch.objects.all().delete()  # what PostgreSQL's crash recovery does to an UNLOGGED table
    with django_capture_on_commit_callbacks(execute=True):
        message = tasks.recover_stale()
    assert "已排队全量重新匹配" in message
    assert PolicyMatch.objects.filter(outcome=MatchOutcome.QUALIFIED).count() == 1


def test_batched_pass_agrees_with_one_statement_per_policy(policy_factory, firm_factory):
    firms = [firm_factory(revenue=rev, rd=rd, region=region) for rev, rd, region in [
        ("5000", "400", "330106"), ("5000", "100", "330203"), ("1000", "50", "330106"), ("40000", "2000", "330106"),
        ("3000", None, "330106"), ("2500", "90", "310115")]]
    assert firms
    policies = [
        policy_factory(),
        policy_factory(eligibility="revenue_last_year >= 2000 OR rd_ratio_last_year >= 5", amount_formula="",
                       cap_per_enterprise=None),
        policy_factory(eligibility="size_class_last_year IN ('small', 'micro') AND rd_ratio_last_year >= 2 AND "
                                   "revenue_last_year < 10000", amount_formula="revenue_last_year * 0.001",
                       region_id="330100"),
        policy_factory(eligibility="rd_expense_last_year > 60", amount_formula="rd_expense_last_year * 0.123",
                       cap_per_enterprise=None),
    ]

    def rows():
        return set(PolicyMatch.objects.values_list("policy_id", "enterprise_id", "outcome", "amount"))

    matching.match_all(AS_OF, policies, notify=False)
    batched = rows()
    for policy in policies:
        matching.match_policy(policy, AS_OF, notify=False)
    assert rows() == batched and len(batched) >= 8


def test_a_full_rematch_job_reports_progress_by_policy(policy_factory, firm_factory, django_capture_on_commit_callbacks,
                                                       monkeypatch):
    firm_factory(revenue="5000", rd="400")
    for _ in range(3):
        policy_factory()
    monkeypatch.setattr(matching, "BATCH_POLICIES", 2)
    monkeypatch.setattr(matching, "match_date", lambda today=None: AS_OF)
    with django_capture_on_commit_callbacks(execute=True):
        job = matching.queue_match(None)
    job.refresh_from_db()
    assert job.status == MatchJob.Status.DONE and (job.processed_count, job.total_count) == (3, 3)
    assert job.qualified == 3


def test_rematches_leave_touches_and_the_periodic_task_prunes_old_ones(policy_factory, firm_factory):
    import datetime as dt

    from django.utils import timezone

    from industrybrain.policies import tasks
    from industrybrain.policies.models import MatchTouch

    ent = firm_factory(revenue="5000", rd="400")
    policy = policy_factory()
    matching.rematch_enterprise(ent.pk, AS_OF, notify=False)
    matching.match_policy(policy, AS_OF, notify=False)
    assert set(MatchTouch.objects.values_list("enterprise_id", "policy_id")) == {(ent.pk, None), (None, policy.pk)}
    MatchTouch.objects.filter(enterprise_id=ent.pk).update(at=timezone.now() - dt.timedelta(days=3))
    tasks.periodic()
    assert list(MatchTouch.objects.values_list("policy_id", flat=True)) == [policy.pk]


def _stored_counts(policy) -> tuple[int, int]:
    rows = PolicyMatch.objects.filter(policy=policy)
    return (rows.filter(outcome=MatchOutcome.QUALIFIED).count(), rows.filter(outcome=MatchOutcome.NEAR_MISS).count())


def test_every_matching_path_keeps_the_policys_counts(policy_factory, firm_factory):
    from industrybrain.rules import snapshot

    ent = firm_factory(revenue="5000", rd="100")  # 2%: near miss
    firm_factory(revenue="5000", rd="400")
    firm_factory(revenue="9000", rd="900")
    policy, other = policy_factory(), policy_factory(eligibility="revenue_last_year >= 6000")

    def kept(p):
        p.refresh_from_db()
        return (p.matched_qualified, p.matched_near_miss)

    matching.match_all(AS_OF, notify=False)
    assert kept(policy) == _stored_counts(policy) == (2, 1) and kept(other) == _stored_counts(other) == (1, 0)
    YearlyFact.objects.filter(enterprise=ent, year=2023).update(rd_expense=Decimal("300"), revenue=Decimal("7000"))
    snapshot.refresh([ent.pk])  # as the rematch task does
    matching.rematch_enterprise(ent.pk, AS_OF, notify=False)  # near miss → qualified; other: → qualified
    assert kept(policy) == _stored_counts(policy) == (3, 0) and kept(other) == _stored_counts(other) == (2, 0)
    matching.rematch_enterprise(ent.pk, AS_OF, notify=False)  # nothing changes: counts stay
    assert kept(policy) == (3, 0)
    Policy.objects.filter(pk=other.pk).update(status=Policy.Status.RETIRED)
    other.refresh_from_db()
    matching.match_policy(other, AS_OF, notify=False)
    assert kept(other) == _stored_counts(other) == (0, 0)
    matching.match_policy(policy, AS_OF, notify=False)
    assert kept(policy) == _stored_counts(policy) == (3, 0)


def test_the_policy_breakdown_is_the_grouped_counts_of_the_scoped_rows(policy_factory, firm_factory):
    from django.db.models import Count, Sum

    for rev, rd, region in [("5000", "400", "330106"), ("5000", "100", "330106"), ("9000", "900", "330203"),
                            ("6000", "300", "330203"), ("3000", None, "330106")]:
        firm_factory(revenue=rev, rd=rd, region=region)
    policy = policy_factory()
    matching.match_policy(policy, AS_OF, notify=False)
    rows = PolicyMatch.objects.filter(policy=policy)
    qualified = rows.filter(outcome=MatchOutcome.QUALIFIED)
    got = matching.breakdown(rows)
    assert (got["qualified"], got["near_miss"]) == (3, 1)
    assert got["qualified_amount"] == qualified.aggregate(s=Sum("amount"))["s"] == Decimal("120.00")  # 40 + 50 (cap) + 30
    by_region = {r["enterprise__region__name"]: (r["n"], r["amount"]) for r in qualified.values(
        "enterprise__region__name").annotate(n=Count("pk"), amount=Sum("amount"))}
    assert {r["enterprise__region__name"]: (r["n"], r["amount"]) for r in got["by_region"]} == by_region
    assert [r["n"] for r in got["by_region"]] == [2, 1]  # most first
    assert sum(r["n"] for r in got["by_size"]) == sum(r["n"] for r in got["by_industry"]) == 3
    assert matching.breakdown(rows.none()) == {"qualified": 0, "near_miss": 0, "qualified_amount": None,
                                               "by_region": [], "by_industry": [], "by_size": []}
