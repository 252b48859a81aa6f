"""Trigger evaluation of 短板弱项提示函: rules of the shared rules language over a region's release.

A `TriggerRule` is a condition written in the platform's rules language (docs/RULES.md) over the features of
**one region on one indicator's ranking board in one release** — the catalogue `REGION_RELEASE` below (value,
rank, rank from the bottom, the province average and the gap to it, the target and the gap to it, the
traffic light, the level, 山区26县, the peer group…). The text is parsed and type-checked by
`rules.subjects.Catalogue.condition` (sqlglot whitelist, Chinese errors with a caret) and evaluated by the
engine's reference evaluator (three-valued: a missing figure makes the condition *unknown*, never true).

A rule applies to every province, or only to its `province` when set. A region is hit when the condition **holds (is true)** on each of the last `consecutive` releases of the
indicator (1–2月 is one release); unknown counts as not holding. The defaults (migration 0002/0003) are the
three triggers of mechanisms.md §1, each for 2 consecutive releases:

    rank_from_bottom <= 3 AND group_size > 3     同组排名倒数3位（组内多于3个地区）
    NOT meets_average                            低于全省平均（方向已考虑，持平不算低于）
    NOT meets_target                             落后目标进度

`run_month` replaces the hits stored for the period (it changes nothing else) and stores with each hit the
condition text and, for every release it looked at, the values the condition read (audit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from industrybrain.core.models import Region
from industrybrain.indicators import calc
from industrybrain.indicators.models import Direction, Indicator
from industrybrain.rules.language import Expression, RuleSyntaxError, Type
from industrybrain.rules.subjects import Catalogue, SubjectFeature

from .models import Level, MonitoringConfig, TriggerHit, TriggerRule
from .rankings import Board, BoardRow, board_indicators, build_board, county_outputs, release_periods

REGION_RELEASE = Catalogue("region_release", "地区指标发布", [
    SubjectFeature("value", "指标值", "按指标",
                   description="晾晒所用数值：流量指标为累计同比%，存量和比率指标为累计（期末）值"),
    SubjectFeature("rank", "组内排名", "位", description="比较组内的竞争排名（1, 2, 2, 4），按指标方向，无数据为空"),
    SubjectFeature("group_size", "组内地区数", "个", description="比较组内有数据参与排名的地区数"),
    SubjectFeature("rank_from_bottom", "倒数位次", "位", description="组内地区数 − 组内排名 + 1；1 表示末位"),
    SubjectFeature("previous_rank", "上期排名", "位", description="上一发布期在当前比较组内的排名"),
    SubjectFeature("rank_change", "排名变化", "位", description="上期排名 − 本期排名，正数为上升"),
    SubjectFeature("province_average", "全省平均", "按指标",
                   description="全省公布值；全省无公布值时为参与排名地区的算术平均"),
    SubjectFeature("gap_to_average", "与全省平均之差", "按指标", description="指标值 − 全省平均（未按方向调整）"),
    SubjectFeature("meets_average", "不差于全省平均", type=Type.BOOL,
                   description="按指标方向不差于全省平均（持平算达到）"),
    SubjectFeature("target", "目标值", "按指标",
                   description="与指标值比较的目标：目标增速%，或年度目标值（增速指标仅有年度目标值时为年度目标值）"),
    SubjectFeature("target_gap", "与目标之差", "按指标",
                   description="指标值 − 目标（两者口径相同时；否则为空）"),
    SubjectFeature("completion_pct", "目标完成率", "%", description="累计值 ÷ 年度目标值 × 100"),
    SubjectFeature("time_progress_pct", "时序进度", "%", description="发布月份 ÷ 12 × 100"),
    SubjectFeature("progress_gap", "完成率与时序进度之差", "百分点", description="目标完成率 − 时序进度"),
    SubjectFeature("meets_target", "达到目标进度", type=Type.BOOL,
                   description="按指标方向达到目标（增速目标比增速；否则比完成率与时序进度）；无目标为空"),
    SubjectFeature("status", "晾晒状态", type=Type.TEXT, description="'green' 绿、'yellow' 黄、'red' 红"),
    SubjectFeature("level", "层级", type=Type.TEXT, description="'city' 设区市、'county' 县（市、区）"),
    SubjectFeature("is_mountain_county", "山区26县", type=Type.BOOL, description="区划带有山区26县标签"),
    SubjectFeature("peer_group", "比较组", type=Type.TEXT, description="例如 '设区市'、'山区26县'、'第一档（≥1000亿元）'"),
    SubjectFeature("indicator", "指标代码", type=Type.TEXT, description="例如 'above_scale_value_added'"),
    SubjectFeature("lower_is_better", "越低越好", type=Type.BOOL, description="指标方向为越低越好"),
    SubjectFeature("month", "发布月份", "月", description="1–12；1–2月合并发布为 2"),
])

DEFAULT_RULES = [
    {"name": "同组排名倒数3位连续2个月", "condition": "rank_from_bottom <= 3 AND group_size > 3", "consecutive": 2},
    {"name": "低于全省平均连续2个月", "condition": "NOT meets_average", "consecutive": 2},
    {"name": "落后目标进度连续2个月", "condition": "NOT meets_target", "consecutive": 2},
]
MAX_CONSECUTIVE = 12


def ensure_default_rules() -> None:
    if not TriggerRule.objects.exists():
        TriggerRule.objects.bulk_create([TriggerRule(**r) for r in DEFAULT_RULES])


def features(board: Board, row: BoardRow, config: MonitoringConfig) -> dict[str, Any]:
    """The REGION_RELEASE features of one row of a board."""
    value, average = row.value, board.province_value
    ranked = row.rank is not None
    return {
        "value": value, "rank": row.rank, "group_size": row.group_size if ranked else None,
        "rank_from_bottom": row.group_size - row.rank + 1 if row.rank is not None else None,
        "previous_rank": row.previous_rank, "rank_change": row.rank_change,
        "province_average": average,
        "gap_to_average": value - average if value is not None and average is not None else None,
        "meets_average": row.meets_average, "target": row.target, "target_gap": row.target_gap,
        "completion_pct": row.completion_pct, "time_progress_pct": calc.time_progress(board.month),
        "progress_gap": row.progress_gap, "meets_target": row.meets_target, "status": row.status or None,
        "level": board.level, "is_mountain_county": config.mountain_tag in (row.region.tags or []),
        "peer_group": row.group, "indicator": board.indicator.code,
        "lower_is_better": board.indicator.direction == Direction.LOWER_BETTER, "month": board.month,
    }


def compile_rule(rule: TriggerRule) -> Expression:
    """The rule's validated condition; RuleSyntaxError (Chinese, with positions) when it is not valid."""
    return REGION_RELEASE.condition(rule.condition, label=rule.name)


@dataclass(frozen=True)
class Hit:
    rule: TriggerRule
    indicator: Indicator
    region: Region
    row: BoardRow
    months: int
    reason: str
    evidence: list[dict] = field(default_factory=list)  # newest release first: {"period", "values"}


@dataclass
class RuleProblem:
    rule: TriggerRule
    message: str


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.1')):f}"


def _reason(rule: TriggerRule, board: Board, row: BoardRow, months: int) -> str:
    parts = [f"{board.indicator.label}为{_fmt(row.value)}"]
    if row.rank is not None:
        parts.append(f"{row.group}第{row.rank}/{row.group_size}位")
    parts.append(f"全省平均{_fmt(board.province_value)}")
    if row.target_text:
        parts.append(row.target_text)
    return f"{'，'.join(parts)}；连续{months}期符合“{rule.name}”"


class BoardCache:
    """Boards of one run, and last year's county outputs (the peer-group tiers) once per province and year."""

    def __init__(self, config: MonitoringConfig):
        self.config = config
        self.boards: dict[tuple, Board] = {}
        self.outputs: dict[tuple, dict[str, Decimal]] = {}

    def get(self, indicator: Indicator, year: int, month: int, level: str, province: Region) -> Board:
        key = (indicator.pk, year, month, level, province.code)
        if key not in self.boards:
            outputs = None
            if level == Level.COUNTY:
                okey = (province.code, year)
                if okey not in self.outputs:
                    self.outputs[okey] = county_outputs(province, year - 1)
                outputs = self.outputs[okey]
            self.boards[key] = build_board(indicator, year, month, level, province, self.config, outputs)
        return self.boards[key]


def evaluate(year: int, month: int, provinces: Sequence[Region] | None = None,
             rules: Iterable[TriggerRule] | None = None, indicators: Sequence[Indicator] | None = None,
             problems: list[RuleProblem] | None = None) -> list[Hit]:
    """Every (rule, indicator, region) hit at the release (year, month); nothing is written.

    A stored rule whose condition no longer parses is skipped and reported in `problems`."""
    config = MonitoringConfig.get()
    cache = BoardCache(config)
    provinces = list(provinces) if provinces is not None else list(Region.objects.filter(level=Region.Level.PROVINCE))
    rules = list(rules) if rules is not None else list(TriggerRule.objects.filter(active=True))
    all_indicators = list(indicators) if indicators is not None else board_indicators()
    hits: list[Hit] = []
    for rule in rules:
        try:
            expr = compile_rule(rule)
        except RuleSyntaxError as err:
            if problems is not None:
                problems.append(RuleProblem(rule, str(err)))
            continue
        consecutive = min(max(1, rule.consecutive), MAX_CONSECUTIVE)
        for indicator in [rule.indicator] if rule.indicator else all_indicators:
            if month not in indicator.release_months():
                continue
            periods = release_periods(indicator, year, month, consecutive)
            if len(periods) < consecutive:
                continue
            for level in [rule.level] if rule.level else [Level.CITY, Level.COUNTY]:
                for province in provinces:
                    if rule.province_id is not None and rule.province_id != province.code:
                        continue  # a province's own rule applies to that province only
                    boards = [cache.get(indicator, y, m, level, province) for y, m in periods]
                    latest = boards[0]
                    for row in latest.rows:
                        evidence = []
                        for board in boards:
                            other = board.row(row.code)
                            if other is None:
                                break
                            env = features(board, other, config)
                            if REGION_RELEASE.holds(expr, env) is not True:
                                break
                            evidence.append({"period": board.period, "values": REGION_RELEASE.values_used(expr, env)})
                        else:
                            hits.append(Hit(rule, indicator, row.region, row, len(periods),
                                            _reason(rule, latest, row, len(periods)), evidence))
    return hits


def preview(rule: TriggerRule, year: int, month: int, provinces: Sequence[Region] | None = None) -> list[Hit]:
    """The regions an (unsaved) rule would warn at the release; raises RuleSyntaxError when invalid."""
    compile_rule(rule)
    return evaluate(year, month, provinces, rules=[rule])


def run_month(year: int, month: int, provinces: Sequence[Region] | None = None,
              problems: list[RuleProblem] | None = None) -> list[TriggerHit]:
    """Evaluate the active rules for the release and store the hits (replacing the period's earlier run)."""
    ensure_default_rules()
    hits = evaluate(year, month, provinces, problems=problems)
    with transaction.atomic():
        old = TriggerHit.objects.filter(year=year, month=month)
        if provinces is not None:
            for province in provinces:
                old.filter(region__path__startswith=province.path).delete()
        else:
            old.delete()
        rows = [TriggerHit(year=year, month=month, region=h.region, indicator=h.indicator, rule=h.rule,
                           peer_group=h.row.group, value=h.row.value, rank=h.row.rank, group_size=h.row.group_size,
                           months=h.months, reason=h.reason[:300], condition=h.rule.condition,
                           evidence=h.evidence) for h in hits]
        return TriggerHit.objects.bulk_create(rows, batch_size=1000)
