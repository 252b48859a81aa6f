"""指标晾晒 (ranking board): per indicator and release, cities ranked, counties ranked within peer groups.

Rules (docs/MONITORING.md; mechanisms.md §1):
- The value ranked is the indicator's headline: cumulative growth (累计同比%) for flows and growth-only
  indicators, the level (累计/期末值) for stocks and ratios; the official figure wins over the derived one.
- Peer groups: cities of a province form one group (设区市). Counties: regions tagged
  `MonitoringConfig.mountain_tag` (山区26县) form their own group; the others fall into size tiers by last
  year's 规上工业总产值 — the sum of YearlyFact.industrial_output of the county's 规上 enterprises for year − 1
  (万元 → 亿元): ≥ tier_high_yi (1000亿), ≥ tier_low_yi (500亿), below.
- Rank: competition ranking inside the group (1, 2, 2, 4), direction-aware (lower-is-better ranks the
  smallest first); a region without a figure is listed unranked at the bottom.
- Rank change: the rank at the previous release of the indicator (same peer group as now) minus the rank
  now — positive means the region moved up.
- Traffic light against the province average (the province's own published figure; the mean of the ranked
  regions when the province has none) and the region's target (IndicatorTarget): green = at or better than
  both, yellow = one of the two, red = neither. Without a target the light is judged on the average alone
  (green or red). Direction-aware: for a lower-is-better indicator "better" means at or below.
  Target met: growth-headline indicators compare cumulative growth with the target growth (else, with a
  level target, completion with time progress); level-headline indicators compare the level with the
  target level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_noop

from industrybrain.core.models import Region
from industrybrain.indicators import calc
from industrybrain.indicators.models import Basis, Direction, Indicator, IndicatorTarget, IndicatorValue
from industrybrain.registry.models import YearlyFact

from .models import Level, MonitoringConfig

GREEN, YELLOW, RED = "green", "yellow", "red"
STATUS_LABELS = {GREEN: gettext_noop("绿"), YELLOW: gettext_noop("黄"), RED: gettext_noop("红"), "": "—"}
CITY_GROUP = "设区市"
YI = Decimal(10000)  # 万元 per 亿元


@dataclass
class BoardRow:
    region: Region
    group: str
    value: Decimal | None
    rank: int | None = None
    group_size: int = 0
    previous_rank: int | None = None
    rank_change: int | None = None
    meets_average: bool | None = None
    meets_target: bool | None = None
    target_text: str = ""
    status: str = ""
    target: Decimal | None = None          # the figure compared: target growth %, or target level
    target_gap: Decimal | None = None      # value − target, when they are comparable (same unit)
    completion_pct: Decimal | None = None  # 累计值 / 年度目标值 × 100 (level targets)
    progress_gap: Decimal | None = None    # completion − time progress, percentage points

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def code(self) -> str:
        return self.region.code


@dataclass
class Board:
    indicator: Indicator
    year: int
    month: int
    level: str
    province: Region
    province_value: Decimal | None
    average_source: str            # "province" (published) or "mean" (of the ranked regions)
    previous: tuple[int, int] | None
    rows: list[BoardRow] = field(default_factory=list)

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def period_label(self) -> str:
        return f"{self.year}年{calc.period_label(self.month, '')}"

    @property
    def places(self) -> int:
        """Decimals to show: one for growth rates and percentages; two for small levels (e.g. 0.43 吨标煤/万元)."""
        if self.indicator.growth_is_headline or "%" in (self.indicator.unit or ""):
            return 1
        values = [abs(r.value) for r in self.rows if r.value is not None]
        return 2 if values and max(values) < 10 else 1

    def groups(self) -> list[tuple[str, list[BoardRow]]]:
        out: dict[str, list[BoardRow]] = {}
        for row in self.rows:
            out.setdefault(row.group, []).append(row)
        return list(out.items())

    def sections(self) -> list[tuple[str, list[BoardRow], list[BoardRow]]]:
        """Per peer group: the rows with a figure, and the regions without one (listed once, by name)."""
        return [(group, [r for r in rows if r.value is not None], [r for r in rows if r.value is None])
                for group, rows in self.groups()]

    def row(self, code: str) -> BoardRow | None:
        return next((r for r in self.rows if r.region.code == code), None)


# --------------------------------------------------------------------------------------------- pure parts


def better(value: Decimal, reference: Decimal, direction: str) -> bool:
    """At or better than the reference (ties count as meeting it)."""
    return value <= reference if direction == Direction.LOWER_BETTER else value >= reference


def competition_ranks(values: dict[str, Decimal | None], direction: str) -> dict[str, int]:
    """Ranks 1, 2, 2, 4 … of the regions with a value; the best first in the indicator's direction."""
    present = [(code, v) for code, v in values.items() if v is not None]
    reverse = direction != Direction.LOWER_BETTER
    present.sort(key=lambda item: (item[1], item[0]) if not reverse else (-item[1], item[0]))  # type: ignore[operator]
    ranks: dict[str, int] = {}
    previous: Decimal | None = None
    rank = 0
    for position, (code, value) in enumerate(present, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[code] = rank
    return ranks


def traffic_light(meets_average: bool | None, meets_target: bool | None) -> str:
    """green = both, yellow = one, red = neither; without a target, the average alone decides."""
    known = [m for m in (meets_average, meets_target) if m is not None]
    if not known:
        return ""
    met = sum(known)
    if met == len(known):
        return GREEN
    if met == 0:
        return RED
    return YELLOW


def _yi(value: Decimal) -> str:
    """1000.00 → "1000", 612.50 → "612.5" (a Decimal field's two places are not part of the label)."""
    return f"{Decimal(value).normalize():f}"


def size_tier(output_yi: Decimal | None, config: MonitoringConfig) -> str:
    value = output_yi or Decimal(0)
    high, low = _yi(config.tier_high_yi), _yi(config.tier_low_yi)
    if value >= config.tier_high_yi:
        return f"第一档（≥{high}亿元）"
    if value >= config.tier_low_yi:
        return f"第二档（{low}–{high}亿元）"
    return f"第三档（<{low}亿元）"


def headline(indicator: Indicator, value: IndicatorValue | None) -> Decimal | None:
    if value is None:
        return None
    if indicator.growth_is_headline:
        return value.ytd_yoy_pct
    return value.ytd_value if value.ytd_value is not None else value.month_value


def previous_release(indicator: Indicator, year: int, month: int) -> tuple[int, int] | None:
    months = indicator.release_months()
    earlier = [m for m in months if m < month]
    if earlier:
        return year, earlier[-1]
    return (year - 1, months[-1]) if months else None


def release_periods(indicator: Indicator, year: int, month: int, count: int) -> list[tuple[int, int]]:
    """This release and the `count − 1` before it, newest first."""
    out = [(year, month)]
    while len(out) < count:
        prev = previous_release(indicator, *out[-1])
        if prev is None:
            break
        out.append(prev)
    return out


# ------------------------------------------------------------------------------------------- data access


def province_of(region: Region) -> Region:
    node = region
    while node.level != Region.Level.PROVINCE and node.parent_id is not None:
        node = node.parent  # type: ignore[assignment]
    return node


def board_regions(province: Region, level: str) -> list[Region]:
    lvl = Region.Level.CITY if level == Level.CITY else Region.Level.COUNTY
    return list(Region.objects.filter(path__startswith=province.path, level=lvl).order_by("code"))


def county_outputs(province: Region, year: int) -> dict[str, Decimal]:
    """Last year's 规上工业总产值 per county (亿元), one aggregate query."""
    rows = (YearlyFact.objects.filter(year=year, enterprise__above_scale=True, industrial_output__isnull=False,
                                      enterprise__region__path__startswith=province.path)
            .values("enterprise__region").annotate(total=Sum("industrial_output")))
    return {r["enterprise__region"]: (r["total"] or Decimal(0)) / YI for r in rows}


def peer_groups(province: Region, level: str, year: int, regions: Sequence[Region] | None = None,
                config: MonitoringConfig | None = None, outputs: dict[str, Decimal] | None = None) -> dict[str, str]:
    """Peer-group label per region code (order of labels: 山区26县 last). `outputs`: county_outputs(province,
    year − 1) when the caller already has them (several boards of one year)."""
    regions = board_regions(province, level) if regions is None else regions
    if level == Level.CITY:
        return {r.code: CITY_GROUP for r in regions}
    config = config or MonitoringConfig.get()
    outputs = county_outputs(province, year - 1) if outputs is None else outputs
    return {r.code: (config.mountain_tag if config.mountain_tag in (r.tags or []) else size_tier(outputs.get(r.code),
                                                                                                config))
            for r in regions}


def values_at(indicator: Indicator, year: int, month: int, codes: Iterable[str]) -> dict[str, IndicatorValue]:
    """Current figures of one release for the regions (official first), one query."""
    out: dict[str, IndicatorValue] = {}
    rows = IndicatorValue.objects.current().filter(indicator=indicator, year=year, month=month,
                                                   region_id__in=list(codes))
    for row in rows:
        if row.region_id not in out or row.basis == Basis.OFFICIAL:
            out[row.region_id] = row
    return out


def _short(value: Decimal) -> str:
    """5.00 → 5.0, 6.25 → 6.25: at least one decimal, no trailing zeros beyond it."""
    one = value.quantize(calc.ONE_PLACE)
    return f"{one:f}" if one == value else f"{value.normalize():f}"


@dataclass
class TargetCheck:
    met: bool | None = None
    text: str = ""
    target: Decimal | None = None
    gap: Decimal | None = None
    completion: Decimal | None = None
    progress_gap: Decimal | None = None


def _target_check(indicator: Indicator, value: IndicatorValue | None, target: IndicatorTarget | None,
                  month: int) -> TargetCheck:
    if target is None or value is None:
        return TargetCheck()
    direction = indicator.direction
    completion = calc.target_completion(value.ytd_value, target.target_value)
    gap = calc.progress_gap(value.ytd_value, target.target_value, month)
    if indicator.growth_is_headline:
        if target.target_growth_pct is not None and value.ytd_yoy_pct is not None:
            return TargetCheck(better(value.ytd_yoy_pct, target.target_growth_pct, direction),
                               f"目标增速{_short(target.target_growth_pct)}%", target.target_growth_pct,
                               value.ytd_yoy_pct - target.target_growth_pct, completion, gap)
        if gap is not None:
            ok = gap >= 0 if direction != Direction.LOWER_BETTER else gap <= 0
            return TargetCheck(ok, f"完成{completion:.1f}%/时序{calc.time_progress(month):.1f}%", target.target_value,
                               None, completion, gap)
        return TargetCheck()
    level = headline(indicator, value)
    if target.target_value is not None and level is not None:
        return TargetCheck(better(level, target.target_value, direction), f"目标{target.target_value.normalize():f}",
                           target.target_value, level - target.target_value, completion, gap)
    return TargetCheck()


def build_board(indicator: Indicator, year: int, month: int, level: str = Level.COUNTY,
                province: Region | str = "330000", config: MonitoringConfig | None = None,
                outputs: dict[str, Decimal] | None = None) -> Board:
    if isinstance(province, str):
        province = Region.objects.get(pk=province)
    config = config or MonitoringConfig.get()
    regions = board_regions(province, level)
    codes = [r.code for r in regions]
    groups = peer_groups(province, level, year, regions, config, outputs)
    current = values_at(indicator, year, month, [*codes, province.code])
    values = {code: headline(indicator, current.get(code)) for code in codes}
    prev_period = previous_release(indicator, year, month)
    prev_values: dict[str, Decimal | None] = {}
    if prev_period is not None:
        prev = values_at(indicator, *prev_period, codes)
        prev_values = {code: headline(indicator, prev.get(code)) for code in codes}
    province_value = headline(indicator, current.get(province.code))
    average_source = "province"
    if province_value is None:
        present = [v for v in values.values() if v is not None]
        province_value = (sum(present, Decimal(0)) / len(present)) if present else None
        average_source = "mean"
    targets = {t.region_id: t for t in IndicatorTarget.objects.filter(indicator=indicator, year=year,
                                                                      region_id__in=codes)}
    members: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        members[groups[code]].append(code)
    board = Board(indicator, year, month, level, province, province_value, average_source, prev_period)
    order = sorted(members, key=lambda g: (g == config.mountain_tag, g))
    by_code = {r.code: r for r in regions}
    for group in order:
        group_codes = members[group]
        ranks = competition_ranks({c: values[c] for c in group_codes}, indicator.direction)
        prev_ranks = competition_ranks({c: prev_values.get(c) for c in group_codes}, indicator.direction)
        rows = []
        for code in group_codes:
            value = values[code]
            meets_avg = None if value is None or province_value is None else better(value, province_value,
                                                                                    indicator.direction)
            check = _target_check(indicator, current.get(code), targets.get(code), month)
            rank, prev_rank = ranks.get(code), prev_ranks.get(code)
            rows.append(BoardRow(
                region=by_code[code], group=group, value=value, rank=rank, group_size=len(ranks),
                previous_rank=prev_rank,
                rank_change=(prev_rank - rank) if rank is not None and prev_rank is not None else None,
                meets_average=meets_avg, meets_target=check.met, target_text=check.text,
                status=traffic_light(meets_avg, check.met) if value is not None else "",
                target=check.target, target_gap=check.gap, completion_pct=check.completion,
                progress_gap=check.progress_gap))
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.region.code))
        board.rows.extend(rows)
    return board


def board_indicators() -> list[Indicator]:
    """Indicators with region figures (the board's choice list)."""
    ids = IndicatorValue.objects.current().values_list("indicator_id", flat=True).distinct()
    return list(Indicator.objects.filter(pk__in=ids))
