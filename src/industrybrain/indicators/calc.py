"""Statistical computations of the monitoring module — pure functions, no database.

Every rule here follows ../shared/reference/mechanisms.md §9 (statistical conventions); the golden tests in
tests/indicators/test_calc.py cite it.

- Growth (同比, %): (current / base − 1) × 100.
- Cumulative growth (累计增速, 1–N月) is the growth of the cumulative sum over the same-scope base:
  Σ current months / Σ base months − 1 — never the mean of the monthly rates.
- 贡献率 (contribution_share, %) = part's increment / total increment × 100;
  拉动 (pull_points, percentage points) = part's increment / total base × 100 = total growth × 贡献率 / 100.
  Worked example: 制造业 23.58 (+27%) inside 投资 40.98 (+19.6%) → 贡献率 74.55%, 拉动 14.62 pp. The published
  example derives each base from the published level and rate and rounds it to the level's precision
  (0.01) before taking increments; `contribution_from_rates` does the same.
- Streaks: consecutive published cumulative releases at or above a threshold (10.0 for 两位数增长), compared
  as published (one decimal, half up); a combined 1–2月 release counts as two months.
- Target completion = ytd value / annual target × 100; time progress = elapsed months / 12 × 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

Number = Decimal | int | float | str

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)
TWELVE = Decimal(12)


def D(value: Number) -> Decimal:  # noqa: N802 - short constructor used throughout
    return value if isinstance(value, Decimal) else Decimal(str(value))


def published(value: Number, places: Decimal = ONE_PLACE) -> Decimal:
    """A rate as the statistics bureau publishes it: rounded half up to one decimal."""
    return D(value).quantize(places, rounding=ROUND_HALF_UP)


def growth_pct(current: Number | None, base: Number | None) -> Decimal | None:
    """同比增速 (%) of a level over its base; None when the base is missing or not positive."""
    if current is None or base is None:
        return None
    base_d = D(base)
    if base_d <= 0:
        return None
    return (D(current) / base_d - 1) * HUNDRED


def cumulative_growth(current_months: Iterable[Number], base_months: Iterable[Number]) -> Decimal | None:
    """累计增速 (%): growth of the cumulative sum over the same-scope base (not a mean of monthly rates)."""
    return growth_pct(sum((D(v) for v in current_months), Decimal(0)), sum((D(v) for v in base_months), Decimal(0)))


def base_from_rate(current: Number, growth: Number, places: Decimal | None = TWO_PLACES) -> Decimal:
    """The same-period base implied by a level and its growth rate, rounded to the level's precision."""
    base = D(current) / (1 + D(growth) / HUNDRED)
    return base.quantize(places, rounding=ROUND_HALF_UP) if places is not None else base


@dataclass(frozen=True)
class Contribution:
    """贡献率 and 拉动 of a part inside a total (unrounded; round with `published(..., TWO_PLACES)`)."""

    part_increment: Decimal
    total_increment: Decimal
    total_base: Decimal
    share_pct: Decimal | None   # 贡献率, % (None when the total did not change)
    pull_points: Decimal | None  # 拉动, percentage points (None when the total base is not positive)


def contribution(part_current: Number, part_base: Number, total_current: Number, total_base: Number) -> Contribution:
    """贡献率 = part increment / total increment × 100; 拉动 = part increment / total base × 100."""
    part_inc = D(part_current) - D(part_base)
    total_inc = D(total_current) - D(total_base)
    base = D(total_base)
    return Contribution(
        part_increment=part_inc, total_increment=total_inc, total_base=base,
        share_pct=part_inc / total_inc * HUNDRED if total_inc != 0 else None,
        pull_points=part_inc / base * HUNDRED if base > 0 else None)


def contribution_from_rates(part_current: Number, part_growth: Number, total_current: Number,
                            total_growth: Number, places: Decimal | None = TWO_PLACES) -> Contribution:
    """贡献率 and 拉动 from published levels and rates: bases implied by the rates at the levels' precision.

    mechanisms.md §9: 制造业 23.58 (+27%) inside 投资 40.98 (+19.6%) → bases 18.57 and 34.26, increments 5.01
    and 6.72 → 贡献率 74.55%, 拉动 14.62 pp.
    """
    part_base = base_from_rate(part_current, part_growth, places)
    total_base = base_from_rate(total_current, total_growth, places)
    part_current_d, total_current_d = D(part_current), D(total_current)
    if places is not None:
        part_current_d, total_current_d = part_current_d.quantize(places), total_current_d.quantize(places)
    return contribution(part_current_d, part_base, total_current_d, total_base)


def shares_of_parts(parts: Sequence[tuple[Number, Number]], total_base: Number | None = None) -> list[Contribution]:
    """Contributions of parts (current, base) that make up a total; their 贡献率 sum to 100%."""
    total_current = sum((D(c) for c, _ in parts), Decimal(0))
    base = sum((D(b) for _, b in parts), Decimal(0)) if total_base is None else D(total_base)
    return [contribution(c, b, total_current, base) for c, b in parts]


# ------------------------------------------------------------------------------------------ comparisons


class Comparison:
    HIGHER = "higher"
    LOWER = "lower"
    EQUAL = "equal"


def compare(value: Number | None, reference: Number | None) -> str | None:
    """Compare two published rates at one decimal: "higher", "lower" or "equal" (None if one is missing)."""
    if value is None or reference is None:
        return None
    a, b = published(value), published(reference)
    if a == b:
        return Comparison.EQUAL
    return Comparison.HIGHER if a > b else Comparison.LOWER


def gap_points(value: Number, reference: Number) -> Decimal:
    """The gap in percentage points between two published rates (one decimal)."""
    return published(value) - published(reference)


# ------------------------------------------------------------------------------------------- targets


def target_completion(ytd_value: Number | None, annual_target: Number | None) -> Decimal | None:
    """目标完成率 (%) = cumulative value / annual target × 100."""
    if ytd_value is None or annual_target is None or D(annual_target) <= 0:
        return None
    return D(ytd_value) / D(annual_target) * HUNDRED


def time_progress(month: int) -> Decimal:
    """时间进度 (%) after `month` months of the year (month 10 → 83.33…)."""
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    return D(month) / TWELVE * HUNDRED


def progress_gap(ytd_value: Number | None, annual_target: Number | None, month: int) -> Decimal | None:
    """完成率 − 时间进度 in percentage points (positive: ahead of time progress)."""
    rate = target_completion(ytd_value, annual_target)
    return None if rate is None else rate - time_progress(month)


def growth_target_gap(ytd_growth: Number | None, target_growth: Number | None) -> Decimal | None:
    """For a growth target: published cumulative growth − target growth (percentage points)."""
    if ytd_growth is None or target_growth is None:
        return None
    return published(ytd_growth) - D(target_growth)


# -------------------------------------------------------------------------------------------- streaks


@dataclass(frozen=True)
class Release:
    """One published cumulative release: year, last month (1–2月 → 2) and its cumulative rate."""

    year: int
    month: int
    ytd_yoy_pct: Number | None


@dataclass(frozen=True)
class Streak:
    months: int                  # months covered by the consecutive qualifying releases
    releases: int                # how many releases
    start: tuple[int, int] | None  # (year, first month) where the streak begins
    from_start_of_data: bool     # the streak reaches back to the first release we hold (it may be longer)


def _months_covered(release: Release, previous_month_in_year: int | None) -> int:
    return release.month - (previous_month_in_year or 0)


def streak(releases: Iterable[Release], year: int, month: int, threshold: Number = 10,
           release_months: Sequence[int] | None = None) -> Streak:
    """Months of consecutive cumulative releases at or above `threshold` up to (year, month), inclusive.

    Releases are compared as published (one decimal, half up). A release covers the months since the
    previous release of the same year, so a combined 1–2月 release counts as two months and a first
    quarterly release 1–3月 as three. `release_months` lists the months of a year that carry a release
    (default: those present in the data); a missing expected release ends the streak, as does a value
    below the threshold. Mechanisms.md §9: Zhejiang 制造业投资 → 34 months at 1–10月 2023 and 36 at 1–12月
    2023, counting from January 2021.
    """
    bar = published(threshold)
    by_period = {(r.year, r.month): r for r in releases if r.ytd_yoy_pct is not None}
    if not by_period:
        return Streak(0, 0, None, False)
    present_months: dict[int, list[int]] = {}
    for y, m in by_period:
        present_months.setdefault(y, []).append(m)

    def months_of(y: int) -> list[int]:
        return sorted(release_months) if release_months is not None else sorted(present_months.get(y, []))

    first_period = min(by_period)
    total_months = count = 0
    start: tuple[int, int] | None = None
    y, m = year, month
    while True:
        release = by_period.get((y, m))
        if release is None or published(release.ytd_yoy_pct) < bar:  # type: ignore[arg-type]
            return Streak(total_months, count, start, False)
        in_year = [k for k in months_of(y) if k < m]
        previous = max(in_year) if in_year else None
        total_months += _months_covered(release, previous)
        count += 1
        start = (y, (previous or 0) + 1)
        if (y, m) == first_period:
            return Streak(total_months, count, start, True)
        if previous is not None:
            m = previous
        else:
            y -= 1
            earlier = months_of(y)
            if not earlier:
                return Streak(total_months, count, start, True)
            m = max(earlier)


# --------------------------------------------------------------------------------------------- periods


def period_label(month: int, suffix: str = "份") -> str:
    """The Chinese label of a cumulative release: 1月份, 1-2月份, 1-10月份."""
    return f"1月{suffix}" if month == 1 else f"1-{month}月{suffix}"


def format_pct(value: Number) -> str:
    """A published rate without sign, one decimal (5.6, 10.0)."""
    return f"{abs(published(value)):.1f}"
