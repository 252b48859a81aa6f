"""Published ranking boards: the board as an officer published it, stored row by row.

`publish(board, user)` stores the rows of a computed board (values, ranks, rank changes, statuses, targets,
peer groups, the province average) with who and when; publishing the same board again stores a new version
(nothing is overwritten). `latest(...)` is the version shown by default; `as_board(snapshot)` rebuilds a
`rankings.Board` from the stored rows only — later revisions of the cube do not reach it, so the page, the
.xlsx and the .docx of a published board show what was published. `differences(published, current)` lists
the regions whose value, rank or status now differ (the page's note).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from industrybrain.core.models import Region
from industrybrain.indicators.models import Indicator

from .models import PublishedBoard, PublishedBoardRow
from .rankings import Board, BoardRow

_PLACES = Decimal("0.01")


def latest(indicator: Indicator, year: int, month: int, level: str, province: Region) -> PublishedBoard | None:
    return (PublishedBoard.objects.filter(indicator=indicator, year=year, month=month, level=level, province=province)
            .select_related("published_by").order_by("-version").first())


def publish(board: Board, user=None, note: str = "") -> PublishedBoard:
    """Store the board's rows as published (a new version when the board was published before)."""
    with transaction.atomic():
        key = {"indicator": board.indicator, "year": board.year, "month": board.month, "level": board.level,
               "province": board.province}
        # the earlier versions are locked; two first publications at once meet the unique constraint instead
        top = max(PublishedBoard.objects.select_for_update().filter(**key).values_list("version", flat=True),
                  default=0)
        snapshot = PublishedBoard.objects.create(
            **key, version=top + 1, indicator_label=board.indicator.name[:120], province_value=board.province_value,
            average_source=board.average_source, note=note[:200],
            previous_period=f"{board.previous[0]}-{board.previous[1]:02d}" if board.previous else "",
            published_by=user if user is not None and user.is_authenticated else None)
        PublishedBoardRow.objects.bulk_create([PublishedBoardRow(
            board=snapshot, position=i, region=row.region, region_name=row.region.name[:60], group=row.group[:40],
            value=row.value, rank=row.rank, group_size=row.group_size, previous_rank=row.previous_rank,
            rank_change=row.rank_change, meets_average=row.meets_average, meets_target=row.meets_target,
            target_text=row.target_text[:80], status=row.status) for i, row in enumerate(board.rows)])
    return snapshot


def as_board(snapshot: PublishedBoard) -> Board:
    """The published board rebuilt from its stored rows (region names as published)."""
    previous = None
    if snapshot.previous_period:
        y, m = snapshot.previous_period.split("-")
        previous = (int(y), int(m))
    board = Board(snapshot.indicator, snapshot.year, snapshot.month, snapshot.level, snapshot.province,
                  snapshot.province_value, snapshot.average_source, previous)
    for row in snapshot.rows.select_related("region").order_by("position"):
        region = row.region
        region.name = row.region_name  # as published
        board.rows.append(BoardRow(
            region=region, group=row.group, value=row.value, rank=row.rank, group_size=row.group_size,
            previous_rank=row.previous_rank, rank_change=row.rank_change, meets_average=row.meets_average,
            meets_target=row.meets_target, target_text=row.target_text, status=row.status))
    return board


@dataclass(frozen=True)
class Difference:
    code: str
    name: str
    published: str
    current: str
    value_changed: bool  # the figure itself was revised (not only the rank or status through others' revisions)


def _value(row: BoardRow | None) -> Decimal | None:
    return None if row is None or row.value is None else row.value.quantize(_PLACES)


def _line(row: BoardRow | None) -> tuple:
    return (_value(row), row.rank if row else None, row.status if row else "")


def _text(row: BoardRow | None, places: Decimal) -> str:
    if row is None or row.value is None:
        return "—"
    rank = f"第{row.rank}名" if row.rank is not None else "未排名"
    return f"{row.value.quantize(places):f}（{rank}）"


def differences(published: Board, current: Board) -> list[Difference]:
    """Regions whose published value (to 0.01), rank or status differ from the current figures — revised
    figures first. Shown to one decimal like the board, to two when one decimal would hide the change."""
    out = []
    codes = [r.code for r in published.rows] + [r.code for r in current.rows if published.row(r.code) is None]
    for code in codes:
        p, c = published.row(code), current.row(code)
        if _line(p) != _line(c):
            name = (p or c).region.name  # type: ignore[union-attr]
            places = Decimal("0.1")
            if _value(p) != _value(c) and _text(p, places) == _text(c, places):
                places = _PLACES
            out.append(Difference(code, name, _text(p, places), _text(c, places), _value(p) != _value(c)))
    out.sort(key=lambda d: not d.value_changed)  # stable: board order inside each part
    return out
