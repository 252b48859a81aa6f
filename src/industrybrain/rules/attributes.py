"""The current-attribute table: every enterprise's latest value of each evaluation attribute, pivoted.

`EnterpriseAttribute` keeps the history (the value in force on date D is the latest with `as_of ≤ D`), which
a whole-base feature snapshot used to pivot with a NOT EXISTS over every attribute row — over half of the
snapshot's time at 1,000,000 enterprises (8 M attribute rows). This table holds the result of that pivot for
"the latest value", one row per enterprise with attributes:

    rules_attr_current (enterprise_id PRIMARY KEY, last_as_of, v_<code> …)   (typed as the pivot's output)

A snapshot for date D reads it for enterprises whose `last_as_of ≤ D` (none of their values was recorded
after D, so the latest value is the value in force on D) and pivots the history only for the others
(`compiler.base_query(attr_current=…)`), so the answers are the same for every date (tested).

Maintained on write: saving or deleting an `EnterpriseAttribute` (model signals, in the writer's
transaction) re-pivots that enterprise's row and steps the bookkeeping (`AttributeTableState`: row count
and highest id seen). Bulk writes (`bulk_create`, raw SQL) leave the bookkeeping behind the attribute
table; `ensure()` notices the mismatch and rebuilds the table (one INSERT … SELECT) before a snapshot reads
it. `QuerySet.update()` on attribute values is not seen (as for the snapshot hook): run `rebuild()`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from . import features as FC
from .compiler import attribute_pivot, dialect_for, params_for, render
from .models import AttributeTableState, EnterpriseAttribute

TABLE = "rules_attr_current"
_TYPES = {
    "sqlite": {"number": "REAL", "text": "TEXT", "bool": "INTEGER", "date": "TEXT"},
    "postgres": {"number": "double precision", "text": "text", "bool": "integer", "date": "date"},
}


def codes() -> list[str]:
    return sorted(FC.ATTRIBUTES)


def checksum() -> str:
    text = "\n".join(f"{code}|{FC.ATTRIBUTES[code].type.value}" for code in codes())
    return hashlib.sha256(text.encode()).hexdigest()


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _dialect() -> str:
    return dialect_for(connection.vendor)


def _select(ids: list[int] | None) -> tuple[str, dict]:
    tree = attribute_pivot(codes(), ids, latest=True)
    params: dict = {}
    if ids is not None and len(ids) <= 200:
        params = {f"e{i}": eid for i, eid in enumerate(ids)}
    return render(tree, _dialect()), {**params_for(timezone.localdate()), **params}


def _columns() -> list[str]:
    return ["enterprise_id", "last_as_of", *[f"v_{code}" for code in codes()]]


def _insert(ids: list[int] | None) -> None:
    sql, params = _select(ids)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_qn(TABLE)} ({', '.join(_qn(c) for c in _columns())}) {sql}", params)  # noqa: S608


def rebuild() -> AttributeTableState:
    """Create the table from the whole attribute history (one INSERT … SELECT) and note what it saw."""
    started = time.perf_counter()
    dialect = _dialect()
    types = _TYPES[dialect]
    date_type = types["date"]
    cols = ["enterprise_id bigint PRIMARY KEY", f"last_as_of {date_type}"]
    cols += [f"{_qn('v_' + code)} {types[FC.ATTRIBUTES[code].type.value]}" for code in codes()]
    with transaction.atomic():
        with connection.cursor() as cursor:
            if dialect == "postgres":  # writers wait: the bookkeeping must describe exactly what was read
                cursor.execute(f"LOCK TABLE {_qn(EnterpriseAttribute._meta.db_table)} IN SHARE MODE")
            cursor.execute(f"DROP TABLE IF EXISTS {_qn(TABLE)}")
            cursor.execute(f"CREATE TABLE {_qn(TABLE)} ({', '.join(cols)})")
        _insert(None)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX {_qn(TABLE + '_last')} ON {_qn(TABLE)} (last_as_of)")
        seen = EnterpriseAttribute.objects.aggregate(n=Count("id"), top=Max("id"))
        AttributeTableState.objects.all().delete()
        state = AttributeTableState.objects.create(
            catalogue=checksum(), attr_count=seen["n"] or 0, attr_max_id=seen["top"] or 0,
            duration_ms=int((time.perf_counter() - started) * 1000))
    return state


def state() -> AttributeTableState | None:
    return AttributeTableState.objects.order_by("-id").first()


def in_step(current: AttributeTableState | None = None) -> bool:
    """True when the table exists, was built for this attribute catalogue and has seen every row."""
    current = current or state()
    if current is None or current.catalogue != checksum():
        return False
    if TABLE not in connection.introspection.table_names():
        return False
    seen = EnterpriseAttribute.objects.aggregate(n=Count("id"), top=Max("id"))
    return (seen["n"] or 0) == current.attr_count and (seen["top"] or 0) == current.attr_max_id


def ensure() -> str:
    """The table's name, rebuilt first when it is missing or behind the attribute table."""
    if not in_step():
        rebuild()
    return TABLE


def refresh(enterprise_ids: Iterable[int]) -> None:
    """Re-pivot the rows of the given enterprises (in the caller's transaction)."""
    ids = sorted({int(i) for i in enterprise_ids})
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_qn(TABLE)} WHERE enterprise_id IN ({', '.join(['%s'] * len(ids))})", ids)  # noqa: S608
    _insert(ids)


def on_write(instance: EnterpriseAttribute, created: bool = False, deleted: bool = False) -> None:
    """Model-signal hook: keep the row of the enterprise and the bookkeeping in step with one write."""
    current = state()
    if current is None or current.catalogue != checksum():
        return  # not built yet (or for another catalogue): the next ensure() rebuilds it
    refresh([instance.enterprise_id])
    if created or deleted:
        top = EnterpriseAttribute.objects.aggregate(top=Max("id"))["top"] or 0  # the primary key's end: cheap
        AttributeTableState.objects.filter(pk=current.pk).update(
            attr_count=F("attr_count") + (1 if created else -1), attr_max_id=top)
