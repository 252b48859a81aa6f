"""Trigger evaluation of 短板弱项提示函 — all of it in this module.

A `TriggerRule` is declarative: a kind from a fixed list (bottom N of the peer group, below the province
average, behind target progress), an optional indicator and level, N and the number of consecutive releases
(default 2). Why not the shared rules engine: that engine compiles expressions over *enterprise* features to
one SQL statement; these triggers are about a *region's position on a board over consecutive releases*,
which is not a feature of any enterprise row. A fixed list of kinds with numeric parameters is safe (no
eval, nothing to inject) and covers the mechanism in mechanisms.md §1; a new kind is a new branch in
`_condition` with its test.

A region is hit when the rule's condition holds on each of the last `consecutive` releases of the indicator
(1–2月 is one release). `run_month` replaces the hits stored for the period; it changes nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from industrybrain.core.models import Region
from industrybrain.indicators.models import Indicator

from .models import Level, MonitoringConfig, TriggerHit, TriggerRule
from .rankings import Board, BoardRow, board_indicators, build_board, release_periods

DEFAULT_RULES = [
    {"name": "同组排名倒数3位连续2个月", "kind": TriggerRule.Kind.BOTTOM_N, "bottom_n": 3, "consecutive": 2},
    {"name": "低于全省平均连续2个月", "kind": TriggerRule.Kind.BELOW_AVERAGE, "consecutive": 2},
    {"name": "落后目标进度连续2个月", "kind": TriggerRule.Kind.BEHIND_TARGET, "consecutive": 2},
]


def ensure_default_rules() -> None:
    if not TriggerRule.objects.exists():
        TriggerRule.objects.bulk_create([TriggerRule(**r) for r in DEFAULT_RULES])


@dataclass(frozen=True)
class Hit:
    rule: TriggerRule
    indicator: Indicator
    region: Region
    row: BoardRow
    months: int
    reason: str


def _condition(rule: TriggerRule, row: BoardRow) -> bool:
    if row.value is None:
        return False
    if rule.kind == TriggerRule.Kind.BOTTOM_N:
        return row.rank is not None and row.group_size > rule.bottom_n and row.rank > row.group_size - rule.bottom_n
    if rule.kind == TriggerRule.Kind.BELOW_AVERAGE:
        return row.meets_average is False
    if rule.kind == TriggerRule.Kind.BEHIND_TARGET:
        return row.meets_target is False
    return False


def _reason(rule: TriggerRule, board: Board, row: BoardRow, months: int) -> str:
    name = board.indicator.label
    value = f"{row.value.normalize():f}" if row.value is not None else "—"
    if rule.kind == TriggerRule.Kind.BOTTOM_N:
        return (f"{name}在{row.group}中排名第{row.rank}/{row.group_size}位，"
                f"连续{months}期处于倒数{rule.bottom_n}位")
    if rule.kind == TriggerRule.Kind.BELOW_AVERAGE:
        avg = f"{board.province_value.quantize(Decimal('0.1')):f}" if board.province_value is not None else "—"
        return f"{name}为{value}，连续{months}期低于全省平均（{avg}）"
    return f"{name}为{value}，连续{months}期落后目标进度（{row.target_text}）"


class BoardCache:
    def __init__(self, config: MonitoringConfig):
        self.config = config
        self.boards: dict[tuple, Board] = {}

    def get(self, indicator: Indicator, year: int, month: int, level: str, province: Region) -> Board:
        key = (indicator.pk, year, month, level, province.code)
        if key not in self.boards:
            self.boards[key] = build_board(indicator, year, month, level, province, self.config)
        return self.boards[key]


def evaluate(year: int, month: int, provinces: Sequence[Region] | None = None,
             rules: Iterable[TriggerRule] | None = None, indicators: Sequence[Indicator] | None = None) -> list[Hit]:
    """Every (rule, indicator, region) hit at the release (year, month); nothing is written."""
    config = MonitoringConfig.get()
    cache = BoardCache(config)
    provinces = list(provinces) if provinces is not None else list(Region.objects.filter(level=Region.Level.PROVINCE))
    rules = list(rules) if rules is not None else list(TriggerRule.objects.filter(active=True))
    all_indicators = list(indicators) if indicators is not None else board_indicators()
    hits: list[Hit] = []
    for rule in rules:
        for indicator in [rule.indicator] if rule.indicator else all_indicators:
            if month not in indicator.release_months():
                continue
            periods = release_periods(indicator, year, month, max(1, rule.consecutive))
            if len(periods) < rule.consecutive:
                continue
            for level in [rule.level] if rule.level else [Level.CITY, Level.COUNTY]:
                for province in provinces:
                    boards = [cache.get(indicator, y, m, level, province) for y, m in periods]
                    latest = boards[0]
                    for row in latest.rows:
                        if all((b.row(row.code) is not None and _condition(rule, b.row(row.code)))  # type: ignore[arg-type]
                               for b in boards):
                            hits.append(Hit(rule, indicator, row.region, row, len(periods),
                                            _reason(rule, latest, row, len(periods))))
    return hits


def run_month(year: int, month: int, provinces: Sequence[Region] | None = None) -> list[TriggerHit]:
    """Evaluate the active rules for the release and store the hits (replacing the period's earlier run)."""
    ensure_default_rules()
    hits = evaluate(year, month, provinces)
    with transaction.atomic():
        old = TriggerHit.objects.filter(year=year, month=month)
        if provinces is not None:
            for province in provinces:
                old.filter(region__path__startswith=province.path).delete()
        else:
            old.delete()
        rows = [TriggerHit(year=year, month=month, region=h.region, indicator=h.indicator, rule=h.rule,
                           peer_group=h.row.group, value=h.row.value, rank=h.row.rank, group_size=h.row.group_size,
                           months=h.months, reason=h.reason[:300]) for h in hits]
        return TriggerHit.objects.bulk_create(rows, batch_size=1000)
