"""Work on threads, each with its own database connection (PostgreSQL runs one statement on one core: two
connections use both cores of the 2-core machine), and PostgreSQL advisory locks between processes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from django.db import connection, connections

T = TypeVar("T")
Item = TypeVar("Item")


def map_on_own_connections(work: Callable[[Item], T], items: Iterable[Item], workers: int) -> Iterator[T]:
    """work(item) for every item on `workers` threads, each statement on the thread's own database
    connection (closed when the item is done); results in item order, as they come. For read-only or
    independently committed work — `run_slices` keeps a caller's transaction."""

    def own(item: Item) -> T:
        try:
            return work(item)
        finally:
            connections["default"].close()

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield from pool.map(own, items)


def _advisory(function: str, key: int) -> object:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [key])  # function: one of the fixed names below
        return cursor.fetchone()[0]


@contextmanager
def advisory_lock(key: int, shared: bool = False) -> Iterator[None]:
    """A session-level PostgreSQL advisory lock held for the block (waits for it); nothing on SQLite, where
    one writer at a time already serialises the work."""
    if connection.vendor != "postgresql":
        yield
        return
    suffix = "_shared" if shared else ""
    _advisory(f"pg_advisory_lock{suffix}", key)
    try:
        yield
    finally:
        _advisory(f"pg_advisory_unlock{suffix}", key)


@contextmanager
def advisory_lock_if_free(key: int) -> Iterator[bool]:
    """Yields True with the lock held (exclusively) for the block when nobody holds it, False otherwise
    (without waiting). Always True on SQLite."""
    if connection.vendor != "postgresql":
        yield True
        return
    held = bool(_advisory("pg_try_advisory_lock", key))
    try:
        yield held
    finally:
        if held:
            _advisory("pg_advisory_unlock", key)
