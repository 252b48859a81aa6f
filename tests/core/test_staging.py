"""core/staging.py: a derived table rebuilt as a bare twin and swapped in (PostgreSQL only)."""

import pytest
from django.db import connection

from industrybrain.core.staging import StagedRebuild
from industrybrain.policies.models import MatchOutcome, PolicyMatch
from tests.policies.conftest import AS_OF

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL mechanism")


def schema(table: str) -> dict:
    """Index names and definitions (table name normalised), constraints, persistence and identity."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, replace(indexdef, %s, 'T') FROM pg_indexes WHERE tablename = %s", [table, table])
        indexes = sorted(cursor.fetchall())
        cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass", [table])
        constraints = sorted(cursor.fetchall())
        cursor.execute("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", [table])
        persistence = cursor.fetchone()[0]
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE %s", [f"{table[:40]}__next%"])
        leftovers = cursor.fetchone()[0]
    return {"indexes": indexes, "constraints": constraints, "persistence": persistence, "sequence": sequence,
            "leftovers": leftovers}


def fill(twin: str, rows: list[tuple[int, int, str]]) -> None:
    with connection.cursor() as cursor:
        for policy_id, enterprise_id, outcome in rows:
            cursor.execute(f"INSERT INTO {twin} (policy_id, enterprise_id, outcome, reasons, values, rule_version, "  # noqa: S608
                           "as_of, matched_at) VALUES (%s, %s, %s, '[]', '{}', 1, %s, now())",
                           [policy_id, enterprise_id, outcome, AS_OF])


def test_the_swapped_in_twin_has_the_live_tables_schema_and_only_its_own_rows(db):
    table = PolicyMatch._meta.db_table
    PolicyMatch.objects.create(policy_id=1, enterprise_id=1, outcome=MatchOutcome.QUALIFIED, as_of=AS_OF)
    before = schema(table)
    assert before["persistence"] == "u" and len(before["indexes"]) == 3  # pkey, unique, (enterprise, outcome)
    staged = StagedRebuild(PolicyMatch)
    twin = staged.create()
    fill(twin, [(2, 7, "qualified"), (2, 8, "near_miss")])
    staged.build_indexes()
    staged.swap()
    assert schema(table) == before
    assert set(PolicyMatch.objects.order_by().values_list("policy_id", "enterprise_id")) == {(2, 7), (2, 8)}
    created = PolicyMatch.objects.create(policy_id=3, enterprise_id=9, outcome="qualified", as_of=AS_OF)
    assert created.pk > 0  # the identity follows the table
    with pytest.raises(Exception, match="uniq_policy_match"):
        PolicyMatch.objects.create(policy_id=2, enterprise_id=7, outcome="qualified", as_of=AS_OF)


def test_merge_runs_inside_the_swap_and_sees_both_tables(db):
    PolicyMatch.objects.create(policy_id=5, enterprise_id=50, outcome=MatchOutcome.QUALIFIED, as_of=AS_OF)
    staged = StagedRebuild(PolicyMatch)
    fill(staged.create(), [(5, 51, "qualified")])
    staged.build_indexes()
    seen = []

    def merge(cursor, live, twin):
        cursor.execute(f"INSERT INTO {twin} (policy_id, enterprise_id, outcome, reasons, values, rule_version, as_of, "  # noqa: S608
                       f"matched_at) SELECT policy_id, enterprise_id, outcome, reasons, values, rule_version, as_of, "
                       f"matched_at FROM {live}")
        seen.append(cursor.rowcount)

    staged.swap(merge)
    assert seen == [1]
    assert set(PolicyMatch.objects.order_by().values_list("enterprise_id", flat=True)) == {50, 51}


@pytest.mark.django_db(transaction=True)
def test_a_dropped_twin_leaves_the_live_table_untouched():
    PolicyMatch.objects.create(policy_id=1, enterprise_id=1, outcome=MatchOutcome.QUALIFIED, as_of=AS_OF)
    table = PolicyMatch._meta.db_table
    before = schema(table)
    staged = StagedRebuild(PolicyMatch)
    fill(staged.create(), [(2, 2, "qualified")])
    staged.build_indexes()
    staged.drop()
    assert schema(table) == before and before["leftovers"] == 0
    assert list(PolicyMatch.objects.order_by().values_list("policy_id", flat=True)) == [1]


def test_a_table_other_tables_reference_is_refused(db):
    from industrybrain.registry.models import Enterprise

    with pytest.raises(RuntimeError, match="foreign keys"):
        StagedRebuild(Enterprise).create()


def test_a_twin_left_by_a_killed_run_is_replaced(db):
    staged = StagedRebuild(PolicyMatch)
    fill(staged.create(), [(9, 9, "qualified")])
    staged = StagedRebuild(PolicyMatch)  # the next run
    twin = staged.create()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {twin}")  # noqa: S608
        assert cursor.fetchone()[0] == 0


class Reader:
    """Another session reading the live table in an open transaction until released."""

    def __init__(self, table: str):
        import threading

        self.table, self.reading, self.done = table, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        from django.db import connections, transaction

        try:
            with transaction.atomic(), connections["default"].cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {self.table}")  # noqa: S608 — holds ACCESS SHARE to the end
                self.reading.set()
                self.done.wait(30)
        finally:
            connections["default"].close()

    def __enter__(self):
        self.thread.start()
        assert self.reading.wait(30)
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


@pytest.mark.django_db(transaction=True)
def test_the_swap_gives_way_to_a_long_reader_and_retries(monkeypatch):
    from django.db import OperationalError

    from industrybrain.core import staging

    table = PolicyMatch._meta.db_table
    monkeypatch.setattr(staging, "SWAP_LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(staging, "SWAP_PAUSE", 0.01)
    monkeypatch.setattr(staging, "SWAP_ATTEMPTS", 2)
    staged = StagedRebuild(PolicyMatch)
    fill(staged.create(), [(4, 4, "qualified")])
    staged.build_indexes()
    with Reader(table), pytest.raises(OperationalError, match="lock timeout"):
        staged.swap()  # the reader never lets go: two attempts of 100 ms, then the error
    assert not PolicyMatch.objects.exists()  # the live table is as it was

    with Reader(table) as reader:
        def reader_finishes(_seconds):
            reader.done.set()
            reader.thread.join()

        monkeypatch.setattr(staging.time, "sleep", reader_finishes)
        staged.swap()  # the first attempt times out, the second gets the table
    assert set(PolicyMatch.objects.order_by().values_list("policy_id", "enterprise_id")) == {(4, 4)}
