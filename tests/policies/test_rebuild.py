"""A whole-base rematch on PostgreSQL rebuilds the match table as a twin and swaps it in (matching._rebuild):
the same rows as matching policy by policy, writers meanwhile are not undone, a failure changes nothing."""

from decimal import Decimal

import pytest
from django.db import connection

from industrybrain.core.models import Notification
from industrybrain.core.staging import StagedRebuild
from industrybrain.policies import eligibility as E
from industrybrain.policies import matching
from industrybrain.policies.models import MatchOutcome, MatchTouch, Policy, PolicyMatch
from industrybrain.registry.models import YearlyFact
from industrybrain.rules import snapshot
from tests.policies.conftest import AS_OF, firm, make_policy

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild is PostgreSQL's path")


def rows(**filters) -> set:
    return set(PolicyMatch.objects.filter(**filters).order_by().values_list("policy_id", "enterprise_id", "outcome",
                                                                           "amount"))


def during_rebuild(monkeypatch, action) -> None:
    """Run `action` after the twin is filled and indexed, before the swap (what a concurrent writer does)."""
    real = StagedRebuild.build_indexes

    def build_then_act(self, *args, **kwargs):
        real(self, *args, **kwargs)
        action()

    monkeypatch.setattr(StagedRebuild, "build_indexes", build_then_act)


def test_the_rebuild_is_used_for_every_active_policy_and_agrees_with_matching_policy_by_policy(
        policy_factory, firm_factory, monkeypatch):
    for rev, rd in [("5000", "400"), ("5000", "100"), ("40000", "2000"), ("3000", None)]:
        firm_factory(revenue=rev, rd=rd)
    policies = [policy_factory(), policy_factory(eligibility="revenue_last_year >= 4000",
                                                 amount_formula="revenue_last_year * 0.001")]
    retired = policy_factory(status=Policy.Status.RETIRED)
    PolicyMatch.objects.create(policy=retired, enterprise_id=firm_factory().pk, outcome="qualified", as_of=AS_OF)
    used = []
    real = StagedRebuild.swap
    monkeypatch.setattr(StagedRebuild, "swap", lambda self, merge=None: used.append(1) or real(self, merge))
    results = matching.match_all(AS_OF, notify=False)
    assert used == [1] and [(r["qualified"], r["near_miss"]) for r in results] == [(3, 1), (4, 0)]
    rebuilt = rows()
    assert not rows(policy=retired)  # rows of inactive policies go with the old table
    for policy in policies:
        matching.match_policy(policy, AS_OF, notify=False)
    assert rows() == rebuilt and len(rebuilt) == 8


def test_an_enterprise_rematched_during_the_rebuild_keeps_its_new_rows(policy_factory, firm_factory, monkeypatch):
    ent = firm_factory(revenue="5000", rd="100")  # 2%: near miss when the rebuild's snapshot is taken
    policy = policy_factory()

    def data_change_and_rematch():
        YearlyFact.objects.filter(enterprise=ent, year=2023).update(rd_expense=Decimal("400"))  # 8%
        snapshot.refresh([ent.pk])
        matching.rematch_enterprise(ent.pk, AS_OF, notify=False)

    during_rebuild(monkeypatch, data_change_and_rematch)
    results = matching.match_all(AS_OF, notify=False)
    assert rows() == {(policy.pk, ent.pk, MatchOutcome.QUALIFIED, Decimal("40.00"))}
    assert (results[0]["qualified"], results[0]["near_miss"]) == (1, 0)  # the stored rows, carried-over ones included
    policy.refresh_from_db()
    assert (policy.matched_qualified, policy.matched_near_miss) == (1, 0)  # the counts follow the carry-over
    assert not MatchTouch.objects.exists()  # carried over, then cleared


def test_a_policy_withdrawn_during_the_rebuild_keeps_no_rows(policy_factory, firm_factory, monkeypatch):
    firm_factory(revenue="5000", rd="400")
    kept, withdrawn = policy_factory(), policy_factory()

    def withdraw():
        Policy.objects.filter(pk=withdrawn.pk).update(status=Policy.Status.RETIRED)
        withdrawn.refresh_from_db()
        matching.match_policy(withdrawn, AS_OF, notify=False)

    during_rebuild(monkeypatch, withdraw)
    matching.match_all(AS_OF, notify=False)
    assert {p for p, *_r in rows()} == {kept.pk}
    withdrawn.refresh_from_db()
    kept.refresh_from_db()
    assert (withdrawn.matched_qualified, kept.matched_qualified) == (0, 1)


def test_the_rebuild_notifies_enterprise_users_of_new_matches_once(policy_factory, roles, xihu_enterprise):
    YearlyFact.objects.create(enterprise=xihu_enterprise, year=2023, revenue=Decimal("5000"), rd_expense=Decimal("300"))
    policy = policy_factory(title="研发奖补")
    results = matching.match_all(AS_OF)
    assert results[0]["new"] == 1
    notes = Notification.objects.filter(user=roles["enterprise"])
    assert notes.count() == 1 and "研发奖补" in notes.get().title
    assert matching.match_all(AS_OF)[0]["new"] == 0
    assert notes.count() == 1 and PolicyMatch.objects.filter(policy=policy).count() == 1


@pytest.mark.django_db(transaction=True)
def test_batches_on_their_own_connections_and_a_failure_leaves_the_table_as_it_was(monkeypatch):
    firms = [firm(revenue=rev, rd=rd) for rev, rd in [("5000", "400"), ("5000", "100"), ("9000", "900")]]
    policies = [make_policy() for _ in range(3)]
    monkeypatch.setattr(matching, "BATCH_POLICIES", 1)  # three batches, two connections at a time
    matching.match_all(AS_OF, notify=False)
    before = rows()
    assert len(before) == 9 and {e for _p, e, *_r in before} == {f.pk for f in firms}

    real = E.batch_insert

    def fail_on_the_last(batch, *args, **kwargs):
        if batch[0][0] == policies[-1].pk:
            raise RuntimeError("批次失败")
        return real(batch, *args, **kwargs)

    YearlyFact.objects.update(rd_expense=Decimal("1"))  # would change every row
    monkeypatch.setattr(E, "batch_insert", fail_on_the_last)
    with pytest.raises(RuntimeError, match="批次失败"):
        matching.match_all(AS_OF, notify=False)
    assert rows() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'policies_policymatch__next%%'")
        assert cursor.fetchone()[0] == 0


def test_the_progress_stays_short_of_full_until_the_new_table_is_in(policy_factory, firm_factory, monkeypatch):
    firm_factory(revenue="5000", rd="400")
    for _ in range(3):
        policy_factory()
    monkeypatch.setattr(matching, "BATCH_POLICIES", 2)
    seen = []
    matching.match_all(AS_OF, notify=False, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 4), (3, 4), (3, 3)]  # the batches, then the indexes built and the table swapped in
