"""Rebuild a whole derived table out of sight and swap it in (PostgreSQL only).

Writing tens of millions of rows into an indexed table is mostly index maintenance (a random B-tree insert
per row and index): at 1,000,000 enterprises, 10 M policy-match rows took 118 s into the indexed table and
21 s into a bare one, plus about 5 s per index built afterwards in one sorted pass. A `StagedRebuild`:

    create()           an empty twin of the live table: same columns, defaults, identity, NOT NULL and CHECK
                       constraints and persistence (UNLOGGED stays UNLOGGED), no indexes
    (the caller fills the twin, from as many connections as it likes)
    build_indexes(n)   the live table's indexes, built once on the full twin under temporary names, n at a
                       time
    swap(merge)        one transaction (retried when readers hold the table too long): the live table
                       locked against writes, `merge(cursor, live, twin)`
                       carries over what writers changed meanwhile, then the twin replaces the live table
                       and takes its index, constraint and sequence names — so Django's migrations and
                       the next rebuild see the same schema
    drop()             the twin removed (after a failure): the live table was never touched

Readers see the old rows or the new ones, never a mix. Tables that other tables reference by a foreign
key are refused: dropping the live table would drop those constraints.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import OperationalError, connection, models, transaction

from .connections import map_on_own_connections

# Sort memory of each index build. Smaller is faster here: the three indexes of 76 M policy-match rows took
# 121 s with 1 GB (one after the other; 106 s at once) and 79 s with 64 MB (75 s at once) — the sorted runs
# stay in the CPU caches and PostgreSQL's external merge is cheap (measured on the 2-core benchmark machine).
INDEX_BUILD_MEMORY = "64MB"

# The swap's wait for the live table: at most this long per attempt, then a pause and another attempt
SWAP_LOCK_TIMEOUT = "2s"
SWAP_ATTEMPTS = 60
SWAP_PAUSE = 1.0  # seconds

Merge = Callable[[object, str, str], None]  # (cursor, quoted live table, quoted twin)

_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) (USING .+)$")


@dataclass(frozen=True)
class _Index:
    name: str  # the live index's name (for a constraint's index: the constraint's name)
    temporary: str  # its name on the twin until the swap
    create: str  # CREATE … INDEX temporary ON twin USING …
    constraint: str  # "" (a plain index), "PRIMARY KEY" or "UNIQUE"


class StagedRebuild:
    def __init__(self, model: type[models.Model]):
        if connection.vendor != "postgresql":
            raise RuntimeError("StagedRebuild needs PostgreSQL")
        self.live = model._meta.db_table
        self.twin = f"{self.live[:50]}__next"
        self.qn = connection.ops.quote_name
        self._indexes: list[_Index] = []

    def _one(self, sql: str, params: list | None = None) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
            return cursor.fetchall() if cursor.description else []

    def create(self) -> str:
        """The empty twin (a twin left by a killed run is dropped first); returns its quoted name."""
        referenced = self._one("SELECT conname FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass",
                               [self.live])
        if referenced:
            raise RuntimeError(f"{self.live} is referenced by foreign keys ({', '.join(r[0] for r in referenced)})")
        self._indexes = self._live_indexes()
        unlogged = self._one("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", [self.live])[0][0] == "u"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.qn(self.twin)}")
            cursor.execute(f"CREATE {'UNLOGGED ' if unlogged else ''}TABLE {self.qn(self.twin)} (LIKE "
                           f"{self.qn(self.live)} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED "
                           "INCLUDING CONSTRAINTS)")
        return self.qn(self.twin)

    def _live_indexes(self) -> list[_Index]:
        rows = self._one(
            "SELECT ic.relname, pg_get_indexdef(i.indexrelid), COALESCE(c.contype, '') FROM pg_index i "
            "JOIN pg_class ic ON ic.oid = i.indexrelid "
            "LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
            "WHERE i.indrelid = %s::regclass ORDER BY ic.relname", [self.live])
        out = []
        for k, (name, definition, contype) in enumerate(rows):
            match = _INDEX_DEF.match(definition)
            if match is None or contype not in ("", "p", "u"):
                raise RuntimeError(f"{self.live}: index {name} cannot be rebuilt by a staged rebuild: {definition}")
            temporary = f"{self.live[:40]}__next_{k}"
            unique, _name, _table, using = match.groups()
            create = f"CREATE {unique or ''}INDEX {self.qn(temporary)} ON {self.qn(self.twin)} {using}"
            out.append(_Index(name, temporary, create, {"": "", "p": "PRIMARY KEY", "u": "UNIQUE"}[contype]))
        return out

    def build_indexes(self, workers: int = 1) -> None:
        """Every index of the live table on the twin, each built in one pass over the loaded rows, `workers`
        at a time on their own connections (outside a transaction), with INDEX_BUILD_MEMORY."""
        statements = [index.create for index in self._indexes]
        if workers > 1 and not connection.in_atomic_block:
            list(map_on_own_connections(self._build, statements, workers))
        else:
            for statement in statements:
                self._build(statement)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {self.qn(self.twin)}")

    @staticmethod
    def _build(sql: str) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY])
            cursor.execute(sql)

    def _sequences(self) -> list[tuple[str, str]]:
        """(live sequence, twin sequence) of each identity or serial column."""
        columns = self._one("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                            "AND NOT attisdropped ORDER BY attnum", [self.live])
        out = []
        for (column,) in columns:
            (live_seq,), (twin_seq,) = (self._one("SELECT pg_get_serial_sequence(%s, %s)", [t, column])[0]
                                        for t in (self.qn(self.live), self.qn(self.twin)))
            if live_seq and twin_seq:
                out.append((live_seq, twin_seq))
        return out

    def swap(self, merge: Merge | None = None) -> None:
        """Replace the live table by the twin in one transaction. The swap needs the live table to itself
        for a moment: a reader in a long transaction (a big export) would make it wait, and every new reader
        queue behind it. So each attempt gives up after SWAP_LOCK_TIMEOUT (readers wait at most that long)
        and is retried, SWAP_ATTEMPTS times in all, before the error is raised."""
        for attempt in range(1, SWAP_ATTEMPTS + 1):
            try:
                self._swap_once(merge)
                return
            except OperationalError as exc:
                if getattr(exc.__cause__, "sqlstate", None) != "55P03" or attempt == SWAP_ATTEMPTS:
                    raise  # not a lock timeout, or the last attempt
                time.sleep(SWAP_PAUSE)

    def _swap_once(self, merge: Merge | None) -> None:
        live, twin = self.qn(self.live), self.qn(self.twin)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [SWAP_LOCK_TIMEOUT])
            cursor.execute(f"LOCK TABLE {live} IN EXCLUSIVE MODE")  # readers go on; writers wait for the swap
            if merge is not None:
                merge(cursor, live, twin)
            sequences = self._sequences()
            cursor.execute(f"DROP TABLE {live}")
            cursor.execute(f"ALTER TABLE {twin} RENAME TO {live}")
            for index in self._indexes:
                if index.constraint:
                    cursor.execute(f"ALTER TABLE {live} ADD CONSTRAINT {self.qn(index.name)} {index.constraint} "
                                   f"USING INDEX {self.qn(index.temporary)}")
                else:
                    cursor.execute(f"ALTER INDEX {self.qn(index.temporary)} RENAME TO {self.qn(index.name)}")
            for live_seq, twin_seq in sequences:
                cursor.execute(f"ALTER SEQUENCE {twin_seq} RENAME TO {self.qn(live_seq.rsplit('.', 1)[-1])}")

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.qn(self.twin)}")
