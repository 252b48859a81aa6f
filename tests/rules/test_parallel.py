"""Whole-base statements split into enterprise-id slices (rules/parallel.py): the sliced snapshot build and
result store give the same rows as the single statement, and a failing slice leaves nothing visible.

On PostgreSQL the slices run on two connections at once (threads); SQLite has one writer, so there the same
sliced statements run one after the other on one connection (`serial`), which still checks the SQL of the
slices and the clean-up."""

import datetime

import pytest
from django.db import connection

from industrybrain.rules import evaluate as ev
from industrybrain.rules import parallel, snapshot
from industrybrain.rules.loader import LIBRARY, load_library
from industrybrain.rules.models import Evaluation, EvaluationResult, FeatureSnapshot
from tests.rules.cases import build_enterprise, load_cases, merge

AS_OF = datetime.date(2023, 7, 1)
ORIGINAL_RUN = parallel.run_slices


def test_slices_cover_the_range_once():
    for lo, hi, n in [(1, 1, 2), (1, 2, 2), (1, 13, 2), (5, 1_000_004, 2), (3, 10, 4), (7, 9, 5)]:
        ranges = parallel.slices(lo, hi, n)
        covered = [i for a, b in ranges for i in range(a, b)] if hi - lo < 100 else None
        assert ranges[0][0] == lo and ranges[-1][1] == hi + 1 and 1 <= len(ranges) <= n
        assert all(a < b for a, b in ranges) and all(ranges[k][1] == ranges[k + 1][0] for k in range(len(ranges) - 1))
        if covered is not None:
            assert covered == list(range(lo, hi + 1))


@pytest.fixture
def sliced(monkeypatch):
    """Force the sliced paths: two slices whatever the size; SQLite runs them one after the other."""
    load_library()
    for path in ("innovative_sme_2022", "srdi_sme_2022"):
        _spec, suite, cases = load_cases(LIBRARY / "tiers" / f"{path}.cases.yaml")
        for case in cases[:8]:
            build_enterprise(merge(suite["base"], case.get("given") or {}), AS_OF)
    monkeypatch.setattr(parallel, "MIN_ROWS", 0)
    monkeypatch.setattr(parallel, "PARALLEL_SLICES", 2)
    if connection.vendor != "postgresql":
        monkeypatch.setattr(parallel, "workers", lambda rows=None: 2)
        monkeypatch.setattr(parallel, "run_slices", lambda work, ranges: [work(a, b) for a, b in ranges])
    created: list[FeatureSnapshot] = []
    yield created
    for snap in FeatureSnapshot.objects.all():
        Evaluation.objects.filter(snapshot=snap).delete()
        snapshot.drop(snap)


def _rows(snap: FeatureSnapshot) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(snap.table)} ORDER BY enterprise_id")  # noqa: S608
        return cursor.fetchall()


def _unsliced(monkeypatch):
    monkeypatch.setattr(parallel, "workers", lambda rows=None: 1)


@pytest.mark.django_db(transaction=True)
def test_sliced_snapshot_and_store_equal_the_single_statement(sliced, monkeypatch):
    two = snapshot.build(AS_OF)
    assert two.status == FeatureSnapshot.Status.READY and two.enterprise_count == 16
    stored_two = {}
    for code in ("innovative_sme", "srdi_sme", "little_giant", "single_champion"):
        evaluation = ev.evaluate_rule(code, AS_OF, snapshot=two)
        assert evaluation.enterprise_count == 16
        stored_two[code] = sorted(EvaluationResult.objects.filter(evaluation=evaluation).values_list(
            "enterprise_id", "outcome", "score", "failed_units", "unknown_units", "subset"))
    ids = [r[0] for r in _rows(two)]
    assert snapshot.refresh([ids[0], ids[-1]]) == 1  # rows re-derived in place (PostgreSQL: routed to their partition)
    rows_two = _rows(two)
    _unsliced(monkeypatch)
    one = snapshot.build(AS_OF)
    assert _rows(one) == rows_two and one.enterprise_count == 16
    for code, want in stored_two.items():
        evaluation = ev.evaluate_rule(code, AS_OF, snapshot=one)
        got = sorted(EvaluationResult.objects.filter(evaluation=evaluation).values_list(
            "enterprise_id", "outcome", "score", "failed_units", "unknown_units", "subset"))
        assert got == want, code
        spec = evaluation.rule_version.spec()
        assert ev.preview(spec, AS_OF, snapshot=one) == ev.preview(spec, AS_OF, snapshot=two)


def _failing(which: int):
    """run_slices whose slice number `which` fails after the others ran (or while they run)."""
    inner = parallel.run_slices

    def run(work, ranges):
        def maybe(a, b):
            if (a, b) == ranges[which]:
                raise RuntimeError("slice failed")
            return work(a, b)

        return inner(maybe, ranges)

    return run


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("which", [0, 1])
def test_a_failing_slice_leaves_no_half_results(sliced, monkeypatch, which):
    snap = snapshot.build(AS_OF)
    before = EvaluationResult.objects.count()
    monkeypatch.setattr(parallel, "run_slices", _failing(which))
    with pytest.raises(RuntimeError, match="slice failed"):
        ev.evaluate_rule("innovative_sme", AS_OF, snapshot=snap)
    assert not Evaluation.objects.filter(rule_version__rule__code="innovative_sme").exists()
    assert EvaluationResult.objects.count() == before == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("which", [0, 1])
def test_a_failing_slice_leaves_no_half_snapshot(sliced, monkeypatch, which):
    tables = set(connection.introspection.table_names())
    monkeypatch.setattr(parallel, "run_slices", _failing(which))
    with pytest.raises(RuntimeError, match="slice failed"):
        snapshot.build(AS_OF)
    assert not FeatureSnapshot.objects.exists() and snapshot.current(AS_OF) is None
    assert set(connection.introspection.table_names()) == tables


def test_map_on_own_connections_keeps_order_and_closes_each_threads_connection(monkeypatch):
    import threading

    from django.db import connections

    closed, threads = [], set()
    monkeypatch.setattr(type(connections["default"]), "close", lambda self: closed.append(threading.get_ident()))

    def work(n: int) -> int:
        threads.add(threading.get_ident())
        return n * n

    assert list(parallel.map_on_own_connections(work, range(6), workers=2)) == [0, 1, 4, 9, 16, 25]
    assert threading.get_ident() not in threads and len(closed) == 6


def _orphan_copy(evaluation: Evaluation) -> int:
    """What a store killed between its slices' commits and its own leaves: rows under an id with no evaluation."""
    orphan_id = Evaluation.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    rows = [EvaluationResult(evaluation_id=orphan_id, enterprise_id=r.enterprise_id, outcome=r.outcome,
                             score=r.score, subset=False)
            for r in EvaluationResult.objects.filter(evaluation=evaluation)]
    EvaluationResult.objects.bulk_create(rows)
    return orphan_id


@pytest.mark.django_db(transaction=True)
def test_the_worker_sweeps_rows_a_killed_store_left_and_keeps_real_results(sliced):
    from industrybrain.rules import tasks

    evaluation = ev.evaluate_rule("innovative_sme", AS_OF, snapshot=snapshot.build(AS_OF))
    kept = EvaluationResult.objects.filter(evaluation=evaluation).count()
    orphan_id = _orphan_copy(evaluation)
    assert tasks.periodic() == "规则引擎：清理未完成评价遗留结果 16 行"
    assert not EvaluationResult.objects.filter(evaluation_id=orphan_id).exists()
    assert EvaluationResult.objects.filter(evaluation=evaluation).count() == kept == 16
    assert tasks.periodic() is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite stores in one transaction: no sliced store")
def test_the_sweep_skips_a_round_while_a_sliced_store_is_running(sliced):
    import threading

    from django.db import connections

    evaluation = ev.evaluate_rule("innovative_sme", AS_OF, snapshot=snapshot.build(AS_OF))
    orphan_id = _orphan_copy(evaluation)  # as if a store were between its slices' commits and its own
    holding, release = threading.Event(), threading.Event()

    def store_running() -> None:
        try:
            with parallel.sliced_store():
                holding.set()
                release.wait(30)
        finally:
            connections["default"].close()

    thread = threading.Thread(target=store_running)
    thread.start()
    try:
        assert holding.wait(30)
        assert ev.sweep_orphan_results() == 0
        assert EvaluationResult.objects.filter(evaluation_id=orphan_id).count() == 16
    finally:
        release.set()
        thread.join()
    assert ev.sweep_orphan_results() == 16


@pytest.mark.django_db
def test_the_worker_releases_kept_snapshots_no_evaluation_refers_to(sliced):
    from industrybrain.rules import tasks

    snap = snapshot.build(AS_OF)
    evaluation = ev.evaluate_rule("innovative_sme", AS_OF, snapshot=snap)
    snapshot.mark_stale(AS_OF)
    assert tasks.periodic() is None  # still the audit record of an evaluation
    assert FeatureSnapshot.objects.filter(pk=snap.pk).exists()
    evaluation.delete()
    assert tasks.periodic() == "规则引擎：释放特征快照 1 个"
    assert not FeatureSnapshot.objects.filter(pk=snap.pk).exists()
    assert snap.table not in connection.introspection.table_names()
