"""Feature snapshots: every catalogue feature of every enterprise for one evaluation date, materialised once.

Most of a rule's time goes to reading each enterprise's facts of three years, its certifications and the
latest value of each attribute, and joining them. A snapshot does that once per evaluation date, set-based
(one CREATE TABLE and one INSERT … SELECT of `compiler.feature_query` over the whole catalogue), and every
rule evaluated on that date — and the live preview — reads the finished features from it:

    build(as_of)                   → FeatureSnapshot   (a new table rules_fs_<id>; older ones of the date go)
    current(as_of)                 → the newest ready snapshot of the date (same catalogue), or None
    ensure(as_of)                  → current(as_of) or build(as_of)
    refresh(enterprise_ids)        → re-derive those enterprises' rows in every ready snapshot
    mark_stale(as_of=None)         → snapshots no longer used by default (after bulk imports)
    drop(snapshot)

The table has one row per enterprise (`enterprise_id` primary key, `region_code`) and one column per
feature (`f_<code>`, typed from the catalogue: double, text, boolean — 0/1 in SQLite — or date). Table
names come from the snapshot id only; no text reaches the DDL. PostgreSQL tables are UNLOGGED (a snapshot
is a cache: results copy the values they used). A snapshot whose catalogue checksum differs from the
running code's is never used.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from functools import cache

from django.db import connection, transaction
from django.utils import timezone

from . import features as F
from .compiler import ID_PLACEHOLDERS, dialect_for, feature_query, params_for, render
from .language import Type
from .models import FeatureSnapshot

KEEP = 3  # ready snapshots kept (all dates); older tables are dropped
_SQL_TYPES = {
    "sqlite": {Type.NUMBER: "REAL", Type.TEXT: "TEXT", Type.BOOL: "INTEGER", Type.DATE: "TEXT"},
    "postgres": {Type.NUMBER: "double precision", Type.TEXT: "text", Type.BOOL: "boolean", Type.DATE: "date"},
}


@cache
def catalogue_checksum() -> str:
    """Changes whenever a feature's definition, type or the base columns change."""
    text = "\n".join(f"{f.code}|{f.type.value}|{f.definition}" for f in F.FEATURES.values())
    text += "\n" + "\n".join(f"{c.code}|{c.kind}|{c.field}|{c.year_offset}|{c.default}" for c in F.BASE_COLUMNS.values())
    return hashlib.sha256(text.encode()).hexdigest()


def feature_codes() -> list[str]:
    return sorted(F.FEATURES)


def _dialect() -> str:
    return dialect_for(connection.vendor)


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _create_table(table: str, ranges: list[tuple[int, int]] | None = None) -> None:
    """The snapshot table; with `ranges` (PostgreSQL, sliced builds) partitioned by enterprise id, one
    partition `<table>_p<k>` per slice (open-ended at both ends, so refreshed new enterprises have a place):
    two connections inserting into one table wait on each other to extend it (measured at 1,000,000: two
    halves into one table 19–22 s each, into two tables 9.5 s each)."""
    dialect = _dialect()
    types = _SQL_TYPES[dialect]
    key = "INTEGER PRIMARY KEY" if dialect == "sqlite" else "bigint PRIMARY KEY"
    cols = [f"enterprise_id {key}", f"region_code {types[Type.TEXT]}"]
    cols += [f"{_qn('f_' + code)} {types[F.FEATURES[code].type]}" for code in feature_codes()]
    unlogged = "UNLOGGED " if dialect == "postgres" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_qn(table)}")
        if not ranges or dialect != "postgres":
            cursor.execute(f"CREATE {unlogged}TABLE {_qn(table)} ({', '.join(cols)})")
            return
        cursor.execute(f"CREATE TABLE {_qn(table)} ({', '.join(cols)}) PARTITION BY RANGE (enterprise_id)")
        for k, (a, b) in enumerate(ranges):
            lo = "MINVALUE" if k == 0 else str(int(a))
            hi = "MAXVALUE" if k == len(ranges) - 1 else str(int(b))
            cursor.execute(f"CREATE UNLOGGED TABLE {_qn(partition(table, k))} PARTITION OF {_qn(table)} "
                           f"FOR VALUES FROM ({lo}) TO ({hi})")


def partition(table: str, k: int) -> str:
    return f"{table}_p{k}"


_SQL: dict[tuple, str] = {}  # feature query text per dialect and subset size (rendering costs ~0.5 s)


def _feature_sql(dialect: str, ids: list[int] | None, attr_current: str | None = None, id_range: bool = False) -> str:
    key = (dialect, None if ids is None else (len(ids) if len(ids) <= ID_PLACEHOLDERS else tuple(ids)), attr_current,
           id_range and ids is None)
    sql = _SQL.get(key)
    if sql is None:
        tree, cols = feature_query(feature_codes(), dialect, ids, attr_current if ids is None else None,
                                   id_range and ids is None)
        sql = f"({', '.join(_qn(c) for c in cols)}) {render(tree, dialect)}"
        if len(_SQL) > 64:
            _SQL.clear()
        _SQL[key] = sql
    return sql


def _insert(table: str, as_of, enterprise_ids: list[int] | None = None, attr_current: str | None = None,
            bounds: tuple[int, int] | None = None) -> int:
    """Insert the features of the given enterprises (default all; `bounds` (a, b): a ≤ id < b)."""
    dialect = _dialect()
    ids = None if enterprise_ids is None else sorted({int(i) for i in enterprise_ids})
    params = params_for(as_of)
    if ids is not None and len(ids) <= ID_PLACEHOLDERS:
        params.update({f"e{i}": eid for i, eid in enumerate(ids)})
    if bounds is not None:
        params.update(lo=bounds[0], hi=bounds[1])
    sql = f"INSERT INTO {_qn(table)} {_feature_sql(dialect, ids, attr_current, bounds is not None)}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def tune_sqlite() -> None:
    """Whole-base statements outgrow SQLite's default 2 MB page cache (index pages of the results table
    thrash); give this connection 256 MB, as the importer does. PostgreSQL: no-op."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")


def build(as_of) -> FeatureSnapshot:
    """Materialise every feature of every enterprise for `as_of` (one INSERT … SELECT; on PostgreSQL outside
    a transaction, enterprise-id slices on two connections at once — `_build_sliced`)."""
    started = time.perf_counter()
    tune_sqlite()
    from industrybrain.registry.models import Enterprise

    from . import attributes, parallel

    if not connection.in_atomic_block and parallel.workers() > 1:
        bounds = parallel.id_bounds(Enterprise._meta.db_table)
        if bounds is not None and bounds[1] - bounds[0] >= parallel.MIN_ROWS:
            return _build_sliced(as_of, parallel.slices(*bounds, parallel.workers()), started)
    with transaction.atomic():
        current = attributes.ensure()  # the latest attribute values, pivoted and maintained on write
        snap = FeatureSnapshot.objects.create(as_of=as_of, catalogue=catalogue_checksum(),
                                              feature_count=len(F.FEATURES))
        _create_table(snap.table)
        count = _insert(snap.table, as_of, attr_current=current)
        if _dialect() == "postgres":
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE INDEX {_qn(snap.table + '_region')} ON {_qn(snap.table)} (region_code)")
                cursor.execute(f"ANALYZE {_qn(snap.table)}")
        snap.status = FeatureSnapshot.Status.READY
        snap.enterprise_count = max(count, 0)
        snap.built_at = timezone.now()
        snap.duration_ms = int((time.perf_counter() - started) * 1000)
        snap.save()
    _prune(keep=snap)
    return snap


def _build_sliced(as_of, ranges: list[tuple[int, int]], started: float) -> FeatureSnapshot:
    """The snapshot table is created and its row committed as BUILDING (never read: `current` takes READY
    ones only) so that the other connections see it; each slice inserts its enterprises in its own
    transaction; then the index, ANALYZE and READY in one transaction. Any failure drops the table and the
    row: no half snapshot is ever used."""
    from . import attributes, parallel

    with transaction.atomic():
        current = attributes.ensure()
        snap = FeatureSnapshot.objects.create(as_of=as_of, catalogue=catalogue_checksum(),
                                              feature_count=len(F.FEATURES))
        _create_table(snap.table, ranges)
    try:
        def one(a: int, b: int) -> int:
            if _dialect() != "postgres":  # (SQLite: the same slices one after the other, one table)
                return _insert(snap.table, as_of, attr_current=current, bounds=(a, b))
            part = partition(snap.table, ranges.index((a, b)))
            with parallel.no_jit():
                count = _insert(part, as_of, attr_current=current, bounds=(a, b))
            with connection.cursor() as cursor:  # each slice indexes its own partition (the parent's adopts them)
                cursor.execute(f"CREATE INDEX {_qn(part + '_region')} ON {_qn(part)} (region_code)")
            return count

        counts = parallel.run_slices(one, ranges)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE INDEX {_qn(snap.table + '_region')} ON {_qn(snap.table)} (region_code)")
                cursor.execute(f"ANALYZE {_qn(snap.table)}")
            snap.status = FeatureSnapshot.Status.READY
            snap.enterprise_count = max(sum(counts), 0)
            snap.built_at = timezone.now()
            snap.duration_ms = int((time.perf_counter() - started) * 1000)
            snap.save()
    except BaseException:
        drop(snap)
        raise
    _prune(keep=snap)
    return snap


def current(as_of) -> FeatureSnapshot | None:
    return (FeatureSnapshot.objects.filter(as_of=as_of, status=FeatureSnapshot.Status.READY,
                                           catalogue=catalogue_checksum()).order_by("-built_at", "-id").first())


def ensure(as_of) -> FeatureSnapshot:
    return current(as_of) or build(as_of)


def _columns() -> list[str]:
    return ["enterprise_id", "region_code", *[f"f_{code}" for code in feature_codes()]]


def history_table(snap: FeatureSnapshot) -> str:
    """Rows of a frozen snapshot as they were before each refresh: (seq, enterprise_id, region_code, f_…)."""
    return f"{snap.table}_h"


def _ensure_history(snap: FeatureSnapshot) -> None:
    types = _SQL_TYPES[_dialect()]
    cols = ["seq integer", "enterprise_id bigint", f"region_code {types[Type.TEXT]}"]
    cols += [f"{_qn('f_' + code)} {types[F.FEATURES[code].type]}" for code in feature_codes()]
    table = _qn(history_table(snap))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {_qn(history_table(snap) + '_e')} ON {table} (enterprise_id, seq)")


def refresh(enterprise_ids: Iterable[int]) -> int:
    """Re-derive the given enterprises' rows in every ready snapshot (a deleted enterprise loses its row,
    a new one gains it). Returns the number of snapshots touched.

    A frozen snapshot (whole-base results refer to it) keeps the replaced rows in its history table under
    the new refresh sequence number, so `rows_as_of(snap, seq, ids)` still returns what an evaluation read.
    The snapshot's row is locked first (`SELECT … FOR UPDATE`): a whole-base evaluation holds the same lock
    while it reads, so a refresh is entirely before or after it."""
    ids = sorted({int(i) for i in enterprise_ids})
    if not ids:
        return 0
    pks = list(FeatureSnapshot.objects.filter(status=FeatureSnapshot.Status.READY, catalogue=catalogue_checksum())
               .values_list("pk", flat=True))
    cols = ", ".join(_qn(c) for c in _columns())
    for pk in pks:
        with transaction.atomic():
            snap = FeatureSnapshot.objects.select_for_update().filter(pk=pk).first()
            if snap is None or snap.status != FeatureSnapshot.Status.READY:
                continue
            seq = snap.refresh_seq + 1
            if snap.frozen:
                _ensure_history(snap)
            with connection.cursor() as cursor:
                for start in range(0, len(ids), 500):
                    chunk = ids[start:start + 500]
                    marks = ", ".join(["%s"] * len(chunk))
                    if snap.frozen:
                        cursor.execute(f"INSERT INTO {_qn(history_table(snap))} (seq, {cols}) "  # noqa: S608
                                       f"SELECT %s, {cols} FROM {_qn(snap.table)} WHERE enterprise_id IN ({marks})",
                                       [seq, *chunk])
                    cursor.execute(f"DELETE FROM {_qn(snap.table)} WHERE enterprise_id IN ({marks})",  # noqa: S608
                                   chunk)
            for start in range(0, len(ids), 5000):
                _insert(snap.table, snap.as_of, ids[start:start + 5000])
            FeatureSnapshot.objects.filter(pk=snap.pk).update(refreshed_at=timezone.now(), refresh_seq=seq)
    return len(pks)


def freeze(snap: FeatureSnapshot) -> None:
    """Keep the snapshot as the audit record of the results that refer to it (see `refresh`, `_prune`)."""
    if not snap.frozen:
        FeatureSnapshot.objects.filter(pk=snap.pk).update(frozen=True)
        snap.frozen = True


def rows_as_of(snap: FeatureSnapshot, seq: int, enterprise_ids: Iterable[int]) -> dict[int, dict]:
    """The snapshot rows of the given enterprises as they were at refresh sequence `seq` (what an evaluation
    that recorded `seq` read): the oldest history row replaced after `seq`, else the live row. Values are
    typed as the catalogue says (logical values as bool, dates as dates, on every database)."""
    ids = sorted({int(i) for i in enterprise_ids})
    names = _columns()
    cols = ", ".join(_qn(c) for c in names)
    out: dict[int, dict] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            if snap.frozen and snap.refresh_seq > seq:
                cursor.execute(f"SELECT {cols} FROM {_qn(history_table(snap))} WHERE seq > %s "  # noqa: S608
                               f"AND enterprise_id IN ({marks}) ORDER BY enterprise_id, seq", [seq, *chunk])
                for values in cursor.fetchall():
                    out.setdefault(int(values[0]), _typed(names, values))
            rest = [i for i in chunk if i not in out]
            if rest:
                cursor.execute(f"SELECT {cols} FROM {_qn(snap.table)} WHERE enterprise_id IN "  # noqa: S608
                               f"({', '.join(['%s'] * len(rest))})", rest)
                for values in cursor.fetchall():
                    out[int(values[0])] = _typed(names, values)
    return out


def _typed(names: list[str], values) -> dict:
    import datetime

    row = dict(zip(names, values, strict=True))
    for name in names[2:]:
        value, typ = row[name], F.FEATURES[name[2:]].type
        if value is None:
            continue
        if typ == Type.BOOL:
            row[name] = bool(value)
        elif typ == Type.DATE and not isinstance(value, datetime.date):
            row[name] = datetime.date.fromisoformat(str(value))
        elif typ == Type.NUMBER:
            row[name] = float(value)
    return row


def mark_stale(as_of=None) -> int:
    qs = FeatureSnapshot.objects.filter(status=FeatureSnapshot.Status.READY)
    if as_of is not None:
        qs = qs.filter(as_of=as_of)
    return qs.update(status=FeatureSnapshot.Status.STALE)


def drop(snap: FeatureSnapshot) -> None:
    """Drop a snapshot and its history. Refused (ProtectedError) while evaluations refer to it."""
    table, history = snap.table, history_table(snap)
    with transaction.atomic():
        snap.delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_qn(table)}")
            cursor.execute(f"DROP TABLE IF EXISTS {_qn(history)}")


def _prune(keep: FeatureSnapshot) -> None:
    """Drop older snapshots of the same date, stale ones and all but the newest KEEP ready ones — except
    snapshots that evaluations refer to (the audit record of their results): those are only marked stale
    (no longer read by default nor refreshed, so their rows stay as the evaluations read them)."""
    others = FeatureSnapshot.objects.exclude(pk=keep.pk)
    doomed = list(others.filter(as_of=keep.as_of)) + list(others.exclude(status=FeatureSnapshot.Status.READY))
    ready = list(others.filter(status=FeatureSnapshot.Status.READY).exclude(as_of=keep.as_of)
                 .order_by("-built_at", "-id"))
    doomed += ready[KEEP - 1:]
    referenced = set(FeatureSnapshot.objects.filter(pk__in=[s.pk for s in doomed], evaluations__isnull=False)
                     .values_list("pk", flat=True))
    for snap in {s.pk: s for s in doomed}.values():
        if snap.status == FeatureSnapshot.Status.BUILDING and (timezone.now() - snap.built_at).total_seconds() < 3600:
            continue  # another process may be building it
        if snap.pk in referenced:
            if snap.status == FeatureSnapshot.Status.READY:
                FeatureSnapshot.objects.filter(pk=snap.pk).update(status=FeatureSnapshot.Status.STALE)
            continue
        drop(snap)


def release_unreferenced() -> int:
    """Drop the stale snapshots no evaluation refers to any more (after evaluations were deleted)."""
    doomed = list(FeatureSnapshot.objects.filter(status=FeatureSnapshot.Status.STALE, evaluations__isnull=True))
    for snap in doomed:
        drop(snap)
    return len(doomed)
