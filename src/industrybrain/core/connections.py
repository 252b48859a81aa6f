"""Work on threads, each with its own database connection (PostgreSQL runs one statement on one core: two
connections use both cores of the 2-core machine)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

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
