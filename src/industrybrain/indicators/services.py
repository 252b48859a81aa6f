"""Service functions of the indicator cube: the one layer pages, API, CLI, imports and later modules call.

Writing (revisions keep history):
    record_values(items, source=..., import_job=None, received_at=None) -> RecordResult
    record_reference_values(items, ...) -> RecordResult

Reading (the caller scopes querysets with core.access.scope; helpers that take a `user` do it themselves):
    current_values(indicator=None, year=None, month=None, basis=None) -> QuerySet[IndicatorValue]
    value_for(indicator, region, year, month, basis=None) -> IndicatorValue | None   (official first)
    latest_release(indicator, region, year, month, basis=None) -> IndicatorValue | None  (≤ month, same year)
    releases(indicator, region, basis=None) -> list[calc.Release]
    reference_value(series, indicator, year, month) -> ReferenceValue | None
    history(indicator, region, year, month, basis) -> QuerySet (every revision, newest first)
    region_streak(indicator, region, year, month, threshold=10) -> calc.Streak
    target_progress(indicator, region, year, month) -> TargetProgress | None
    comparisons(value, region, references=None) -> list[ComparisonResult]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from industrybrain.core.models import ImportJob, Region

from . import calc
from .models import (
    Basis,
    FigureFields,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    ReferenceSeries,
    ReferenceValue,
)

FIGURES = FigureFields.FIGURES


@dataclass(frozen=True)
class Figure:
    """One incoming figure for a key: (indicator, region or series, year, month, basis)."""

    indicator_id: int
    year: int
    month: int
    month_value: Decimal | None = None
    ytd_value: Decimal | None = None
    yoy_pct: Decimal | None = None
    ytd_yoy_pct: Decimal | None = None
    region_id: str | None = None          # for IndicatorValue
    series_id: int | None = None          # for ReferenceValue
    basis: str = Basis.OFFICIAL
    base_enterprises: int | None = None
    note: str = ""

    def figures(self) -> tuple:
        return tuple(getattr(self, name) for name in FIGURES)


@dataclass
class RecordResult:
    created: int = 0       # first figure for its key
    revised: int = 0       # a new revision superseding a different current figure
    unchanged: int = 0     # identical to the current figure: nothing written
    objects: list[Any] | None = None


def _norm(values: tuple) -> tuple:
    return tuple(None if v is None else Decimal(str(v)).normalize() for v in values)


def _key(f: Figure) -> tuple:
    return (f.indicator_id, f.region_id, f.year, f.month, f.basis) if f.series_id is None else (
        f.series_id, f.indicator_id, f.year, f.month)


def record_values(items: Sequence[Figure], *, source: str, import_job: ImportJob | None = None,
                  received_at: dt.datetime | None = None, batch: int = 500) -> RecordResult:
    """Store region figures; a figure that differs from the current one supersedes it as a new revision.

    Set-based: the current rows of the affected keys are read in chunks, the superseded rows flipped with
    one UPDATE per chunk, the new rows inserted with bulk_create. Runs in one transaction.
    """
    return _record(IndicatorValue, items, source, import_job, received_at, batch)


def record_reference_values(items: Sequence[Figure], *, source: str, import_job: ImportJob | None = None,
                            received_at: dt.datetime | None = None, batch: int = 500) -> RecordResult:
    """Like `record_values` for reference series (全国, 东部…); `Figure.series_id` must be set."""
    return _record(ReferenceValue, items, source, import_job, received_at, batch)


def _record(model: Any, items: Sequence[Figure], source: str, import_job: ImportJob | None,
            received_at: dt.datetime | None, batch: int) -> RecordResult:
    result = RecordResult(objects=[])
    received_at = received_at or timezone.now()
    is_ref = model is ReferenceValue
    latest: dict[tuple, Figure] = {}
    for item in items:  # the last figure for a key in one call wins
        latest[_key(item)] = item
    todo = list(latest.values())
    with transaction.atomic():
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            current = _current_rows(model, chunk, is_ref)
            superseded: list[int] = []
            new_rows = []
            for item in chunk:
                row = current.get(_key(item))
                if row is not None and _norm(row.figures()) == _norm(item.figures()):
                    result.unchanged += 1
                    continue
                fields: dict[str, Any] = {name: getattr(item, name) for name in FIGURES}
                fields.update(indicator_id=item.indicator_id, year=item.year, month=item.month, source=source,
                              import_job=import_job, received_at=received_at, note=item.note,
                              revision=(row.revision + 1) if row is not None else 1, is_current=True)
                if is_ref:
                    fields["series_id"] = item.series_id
                else:
                    fields.update(region_id=item.region_id, basis=item.basis, base_enterprises=item.base_enterprises)
                new_rows.append(model(**fields))
                if row is None:
                    result.created += 1
                else:
                    result.revised += 1
                    superseded.append(row.pk)
            if superseded:
                model.objects.filter(pk__in=superseded).update(is_current=False)
            model.objects.bulk_create(new_rows)
            assert result.objects is not None
            result.objects.extend(new_rows)
    return result


def _current_rows(model: Any, chunk: Sequence[Figure], is_ref: bool) -> dict[tuple, Any]:
    qs = model.objects.filter(is_current=True, indicator_id__in={f.indicator_id for f in chunk},
                              year__in={f.year for f in chunk}, month__in={f.month for f in chunk})
    if is_ref:
        qs = qs.filter(series_id__in={f.series_id for f in chunk})
        return {(r.series_id, r.indicator_id, r.year, r.month): r for r in qs}
    qs = qs.filter(region_id__in={f.region_id for f in chunk}, basis__in={f.basis for f in chunk})
    return {(r.indicator_id, r.region_id, r.year, r.month, r.basis): r for r in qs}


# ------------------------------------------------------------------------------------------------ reading


def current_values(indicator: Indicator | None = None, year: int | None = None, month: int | None = None,
                   basis: str | None = None) -> QuerySet[IndicatorValue]:
    """The current cube (latest revision of every key), unscoped: callers scope it with core.access.scope."""
    qs = IndicatorValue.objects.current().select_related("indicator", "region")
    if indicator is not None:
        qs = qs.filter(indicator=indicator)
    if year is not None:
        qs = qs.filter(year=year)
    if month is not None:
        qs = qs.filter(month=month)
    if basis is not None:
        qs = qs.filter(basis=basis)
    return qs


def _prefer_official(rows: Iterable[IndicatorValue]) -> IndicatorValue | None:
    rows = list(rows)
    for basis in (Basis.OFFICIAL, Basis.DERIVED):
        for row in rows:
            if row.basis == basis:
                return row
    return None


def value_for(indicator: Indicator, region: Region | str, year: int, month: int,
              basis: str | None = None) -> IndicatorValue | None:
    """The current figure of one key; without `basis` the official figure wins over the derived one."""
    qs = current_values(indicator, year, month, basis).filter(region=region)
    return _prefer_official(qs)


def latest_release(indicator: Indicator, region: Region | str, year: int, month: int,
                   basis: str | None = None) -> IndicatorValue | None:
    """The latest current release of the year up to `month` (a quarterly indicator at October → 1–9月)."""
    qs = current_values(indicator, year, None, basis).filter(region=region, month__lte=month,
                                                            ytd_yoy_pct__isnull=False).order_by("-month")
    rows = list(qs[:2])
    if not rows:
        return None
    top = [r for r in rows if r.month == rows[0].month]
    return _prefer_official(top)


def releases(indicator: Indicator, region: Region | str, basis: str = Basis.OFFICIAL) -> list[calc.Release]:
    """All current cumulative releases of a region's indicator, oldest first."""
    rows = current_values(indicator, basis=basis).filter(region=region).order_by("year", "month").values_list(
        "year", "month", "ytd_yoy_pct")
    return [calc.Release(y, m, v) for y, m, v in rows]


def region_streak(indicator: Indicator, region: Region | str, year: int, month: int, threshold: int | Decimal = 10,
                  basis: str = Basis.OFFICIAL) -> calc.Streak:
    """Months of consecutive cumulative releases ≥ threshold (10 → 两位数增长), mechanisms.md §9."""
    return calc.streak(releases(indicator, region, basis), year, month, threshold,
                       release_months=indicator.release_months())


def history(indicator: Indicator, region: Region | str, year: int, month: int,
            basis: str = Basis.OFFICIAL) -> QuerySet[IndicatorValue]:
    """Every revision of one key, newest first."""
    return IndicatorValue.objects.filter(indicator=indicator, region=region, year=year, month=month,
                                         basis=basis).order_by("-revision")


def reference_value(series: ReferenceSeries | str, indicator: Indicator, year: int,
                    month: int) -> ReferenceValue | None:
    qs = ReferenceValue.objects.current().filter(indicator=indicator, year=year, month=month)
    qs = qs.filter(series__code=series) if isinstance(series, str) else qs.filter(series=series)
    return qs.select_related("series").first()


@dataclass(frozen=True)
class ComparisonResult:
    name: str            # 全国, 东部, 全省, 杭州市…
    style: str           # ReferenceSeries.Style
    value: Decimal       # the reference's cumulative growth
    outcome: str         # calc.Comparison.*
    gap: Decimal         # region − reference, percentage points (one decimal)


def default_references(region: Region) -> list[ReferenceSeries | Region]:
    """A province is compared with every reference series (全国, 东部…); a city or county with its province
    first, then the series."""
    series: list[ReferenceSeries | Region] = list(ReferenceSeries.objects.all())
    if region.level == Region.Level.PROVINCE:
        return series
    province = region
    while province.parent_id is not None and province.level != Region.Level.PROVINCE:
        province = province.parent  # type: ignore[assignment]
    return [province, *series]


def comparisons(value: IndicatorValue, references: Sequence[ReferenceSeries | Region] | None = None,
                ) -> list[ComparisonResult]:
    """Compare a figure's cumulative growth with each reference that has the same period and indicator."""
    if value.ytd_yoy_pct is None:
        return []
    results = []
    for ref in references if references is not None else default_references(value.region):
        other: IndicatorValue | ReferenceValue | None
        name: str
        style: str
        if isinstance(ref, Region):
            other = value_for(value.indicator, ref, value.year, value.month)
            name, style = ("全省" if ref.level == Region.Level.PROVINCE else ref.name), ReferenceSeries.Style.MAGNITUDE
        else:
            other = reference_value(ref, value.indicator, value.year, value.month)
            name, style = ref.short_name, ref.style
        if other is None or other.ytd_yoy_pct is None:
            continue
        outcome = calc.compare(value.ytd_yoy_pct, other.ytd_yoy_pct)
        assert outcome is not None
        results.append(ComparisonResult(name, style, other.ytd_yoy_pct, outcome,
                                        calc.gap_points(value.ytd_yoy_pct, other.ytd_yoy_pct)))
    return results


@dataclass(frozen=True)
class TargetProgress:
    target: IndicatorTarget
    ytd_value: Decimal | None
    ytd_yoy_pct: Decimal | None
    completion_pct: Decimal | None    # ytd / annual target × 100
    time_progress_pct: Decimal        # month / 12 × 100
    progress_gap: Decimal | None      # completion − time progress (pp)
    growth_gap: Decimal | None        # cumulative growth − target growth (pp)

    @property
    def behind(self) -> bool:
        """Behind target: completion behind time progress, or growth below the target growth."""
        return any(g is not None and g < 0 for g in (self.progress_gap, self.growth_gap))


def target_progress(indicator: Indicator, region: Region | str, year: int, month: int) -> TargetProgress | None:
    target = IndicatorTarget.objects.filter(indicator=indicator, region=region, year=year).first()
    if target is None:
        return None
    value = value_for(indicator, region, year, month)
    ytd = value.ytd_value if value else None
    growth = value.ytd_yoy_pct if value else None
    return TargetProgress(
        target=target, ytd_value=ytd, ytd_yoy_pct=growth,
        completion_pct=calc.target_completion(ytd, target.target_value),
        time_progress_pct=calc.time_progress(month),
        progress_gap=calc.progress_gap(ytd, target.target_value, month),
        growth_gap=calc.growth_target_gap(growth, target.target_growth_pct))


def latest_period(region: Region | None = None) -> tuple[int, int] | None:
    """The latest (year, month) with any current official figure (for one region when given)."""
    qs = IndicatorValue.objects.current()
    if region is not None:
        qs = qs.filter(region=region)
    row = qs.order_by("-year", "-month").values_list("year", "month").first()
    return (row[0], row[1]) if row else None
