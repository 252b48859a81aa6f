"""运行简报 (bulletin): Chinese paragraphs in the report's style, generated from the indicator cube.

    1-10月份，浙江省规上工业增加值同比增长5.6%，好于全国、高于东部；制造业投资增长16.2%，连续34个月两位数增长；
    1-9月份，数字经济核心产业增加值同比增长10.2%。

Rules:
- Paragraph 1 (growth): every indicator reported by its growth (flows and growth-only indicators) with a
  cumulative release in the chosen year up to the chosen month, the official figure first, else the
  derived one. Releases are grouped by period, latest first (a quarterly indicator at October → 1-9月份);
  inside a group indicators follow the catalogue order. The first clause of the paragraph names the
  region and says 同比; the first clause of each later period group says 同比 again.
- Verbs: a published rate (one decimal) above zero → 增长X%, below → 下降X%, 0.0 → 持平.
- Comparisons (cumulative growth against each reference with the same period: 全国 and 东部 for a
  province; 全省 first for a city or county): above → 高于 (好于 for a "judgement" series such as 全国 when
  higher is better), below → 低于, equal → 与…持平; neighbouring references with the same word merge
  (低于全国和东部).
- Streaks: "连续N个月两位数增长" when the cumulative releases have stayed at ≥10.0 for at least
  `MIN_STREAK_MONTHS` (12) months (indicators.calc.streak; 1–2月 counts two months).
- Paragraph 2 (levels): stocks and ratios at the end of the month ("截至10月底，5G基站数…，数字化改造覆盖率达72.6%").
- Paragraph 3 (targets): completion against the annual target and time progress, when targets are set.

The text depends only on the data; `build_bulletin` is what the page, the .docx and the CLI call.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from industrybrain.core.models import Region
from industrybrain.indicators import calc, services
from industrybrain.indicators.models import Aggregation, Direction, Indicator, IndicatorValue, ReferenceSeries

MIN_STREAK_MONTHS = 12
DOUBLE_DIGIT = Decimal(10)
TEMPLATE = Path(__file__).resolve().parent / "docx_templates" / "bulletin.docx"


def growth_phrase(rate: Decimal | float | int, say_yoy: bool = False) -> str:
    """增长5.6% / 下降1.2% / 持平, optionally preceded by 同比."""
    value = calc.published(rate)
    prefix = "同比" if say_yoy else ""
    if value > 0:
        return f"{prefix}增长{calc.format_pct(value)}%"
    if value < 0:
        return f"{prefix}下降{calc.format_pct(value)}%"
    return f"{prefix}持平"


def _word(result: services.ComparisonResult, direction: str) -> str:
    if result.outcome == calc.Comparison.EQUAL:
        return "持平"
    better = (result.outcome == calc.Comparison.HIGHER) == (direction == Direction.HIGHER_BETTER)
    if better and result.style == ReferenceSeries.Style.JUDGEMENT:
        return "好于"
    return "高于" if result.outcome == calc.Comparison.HIGHER else "低于"


def _and(names: list[str]) -> str:
    """全国 / 全国和东部 / 全省、全国和东部."""
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + "和" + names[-1]


def comparison_phrase(results: Sequence[services.ComparisonResult], direction: str = Direction.HIGHER_BETTER) -> str:
    """好于全国、高于东部 / 低于全国和东部 / 与全国持平、高于东部 ("" without references)."""
    groups: list[tuple[str, list[str]]] = []
    for result in results:
        word = _word(result, direction)
        if groups and groups[-1][0] == word:
            groups[-1][1].append(result.name)
        else:
            groups.append((word, [result.name]))
    parts = [f"与{_and(names)}持平" if word == "持平" else f"{word}{_and(names)}" for word, names in groups]
    return "、".join(parts)


def streak_phrase(streak: calc.Streak, minimum: int = MIN_STREAK_MONTHS) -> str:
    if streak.months < minimum:
        return ""
    return f"连续{streak.months}个月两位数增长"


@dataclass
class Clause:
    indicator: Indicator
    value: IndicatorValue
    comparisons: list[services.ComparisonResult] = field(default_factory=list)
    streak: calc.Streak | None = None
    text: str = ""


@dataclass
class Bulletin:
    region: Region
    year: int
    month: int
    paragraphs: list[str]
    clauses: list[Clause]
    levels: list[IndicatorValue]
    targets: list[services.TargetProgress]

    @property
    def title(self) -> str:
        return f"{self.region.name}{self.year}年{calc.period_label(self.month)}工业经济运行简报"

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def _growth_paragraph(region: Region, year: int, month: int, indicators: Sequence[Indicator],
                      references: Sequence[ReferenceSeries | Region] | None) -> tuple[str, list[Clause]]:
    clauses: list[Clause] = []
    for indicator in indicators:
        if not indicator.growth_is_headline:
            continue
        value = services.latest_release(indicator, region, year, month)
        if value is None or value.ytd_yoy_pct is None:
            continue
        clause = Clause(indicator, value, services.comparisons(value, references))
        if calc.published(value.ytd_yoy_pct) >= DOUBLE_DIGIT:
            clause.streak = services.region_streak(indicator, region, value.year, value.month, DOUBLE_DIGIT,
                                                   basis=value.basis)
        clauses.append(clause)
    clauses.sort(key=lambda c: (-c.value.month, c.indicator.order, c.indicator.code))
    pieces: list[str] = []
    last_month: int | None = None
    for clause in clauses:
        first_of_group = clause.value.month != last_month
        head = ""
        if first_of_group:
            head = f"{calc.period_label(clause.value.month)}，" + (region.name if not pieces else "")
        assert clause.value.ytd_yoy_pct is not None
        text = head + clause.indicator.label + growth_phrase(clause.value.ytd_yoy_pct, say_yoy=first_of_group)
        compared = comparison_phrase(clause.comparisons, clause.indicator.direction)
        if compared:
            text += "，" + compared
        if clause.streak is not None and streak_phrase(clause.streak):
            text += "，" + streak_phrase(clause.streak)
        clause.text = text
        pieces.append(text)
        last_month = clause.value.month
    return ("；".join(pieces) + "。") if pieces else "", clauses


def _number(value: Decimal, unit: str) -> str:
    if unit == "%":
        return f"{calc.published(value):.1f}%"
    if value == value.to_integral_value():
        return f"{int(value):,}{unit}"
    return f"{calc.published(value, calc.TWO_PLACES):,}{unit}"


def _levels_paragraph(region: Region, year: int, month: int,
                      indicators: Sequence[Indicator]) -> tuple[str, list[IndicatorValue]]:
    pieces: list[str] = []
    shown: list[IndicatorValue] = []
    for indicator in indicators:
        if indicator.aggregation not in (Aggregation.STOCK, Aggregation.RATIO):
            continue
        value = services.value_for(indicator, region, year, month) or _latest_level(indicator, region, year, month)
        if value is None or value.ytd_value is None:
            continue
        when = f"（截至{value.month}月底）" if value.month != month else ""
        if indicator.aggregation == Aggregation.RATIO:
            text = f"{indicator.label}{when}达{_number(value.ytd_value, indicator.unit)}"
        else:
            text = f"{indicator.label}{when}{_number(value.ytd_value, indicator.unit)}"
            if value.ytd_yoy_pct is not None:
                text += "，" + growth_phrase(value.ytd_yoy_pct, say_yoy=True)
        pieces.append(text)
        shown.append(value)
    if not pieces:
        return "", shown
    return f"截至{month}月底，{region.name}" + "；".join(pieces) + "。", shown


def _latest_level(indicator: Indicator, region: Region, year: int, month: int) -> IndicatorValue | None:
    qs = services.current_values(indicator, year).filter(region=region, month__lte=month,
                                                         ytd_value__isnull=False).order_by("-month", "basis")
    return qs.first()


def _targets_paragraph(region: Region, year: int, month: int,
                       indicators: Sequence[Indicator]) -> tuple[str, list[services.TargetProgress]]:
    pieces: list[str] = []
    found: list[services.TargetProgress] = []
    for indicator in indicators:
        progress = services.target_progress(indicator, region, year, month)
        if progress is None:
            continue
        found.append(progress)
        if progress.completion_pct is not None and progress.progress_gap is not None:
            gap = calc.published(progress.progress_gap)
            if gap > 0:
                where = f"超过时间进度{calc.format_pct(gap)}个百分点"
            elif gap < 0:
                where = f"落后时间进度{calc.format_pct(gap)}个百分点"
            else:
                where = "与时间进度持平"
            pieces.append(f"{indicator.label}完成年度目标的{calc.published(progress.completion_pct):.1f}%，{where}")
        elif progress.growth_gap is not None and progress.target.target_growth_pct is not None:
            target = f"{calc.published(progress.target.target_growth_pct):.1f}%"
            gap = calc.published(progress.growth_gap)
            if gap > 0:
                pieces.append(f"{indicator.label}增速高于年度目标（{target}）{calc.format_pct(gap)}个百分点")
            elif gap < 0:
                pieces.append(f"{indicator.label}增速低于年度目标（{target}）{calc.format_pct(gap)}个百分点")
            else:
                pieces.append(f"{indicator.label}增速与年度目标（{target}）持平")
    if not pieces:
        return "", found
    return "对照年度目标，" + "；".join(pieces) + "。", found


def build_bulletin(region: Region, year: int, month: int, indicators: Sequence[Indicator] | None = None,
                   references: Sequence[ReferenceSeries | Region] | None = None) -> Bulletin:
    """The bulletin of `region` for the period ending (year, month).

    `indicators` defaults to the whole catalogue in its order; `references` to
    `services.default_references(region)` (全省 for cities and counties, then 全国, 东部).
    """
    chosen = list(indicators) if indicators is not None else list(Indicator.objects.all())
    growth, clauses = _growth_paragraph(region, year, month, chosen, references)
    levels, level_values = _levels_paragraph(region, year, month, chosen)
    targets, target_rows = _targets_paragraph(region, year, month, chosen)
    paragraphs = [p for p in (growth, levels, targets) if p]
    return Bulletin(region, year, month, paragraphs, clauses, level_values, target_rows)


def figure_rows(bulletin: Bulletin) -> list[dict[str, str]]:
    """The table under the text (page and .docx): one row per indicator mentioned."""
    rows = []
    for clause in bulletin.clauses:
        v = clause.value
        assert v.ytd_yoy_pct is not None
        refs = "；".join(f"{c.name}{calc.published(c.value):.1f}%" for c in clause.comparisons)
        rows.append({"indicator": clause.indicator.name, "period": f"{v.year}年{calc.period_label(v.month, '')}",
                     "ytd_value": "" if v.ytd_value is None else f"{calc.published(v.ytd_value, calc.TWO_PLACES)}",
                     "unit": clause.indicator.unit, "ytd_yoy_pct": f"{calc.published(v.ytd_yoy_pct):.1f}",
                     "references": refs, "basis": v.get_basis_display()})
    return rows


def render_docx(bulletin: Bulletin, issuer: str = "", date_text: str = "") -> bytes:
    """The bulletin as a Word document, from monitoring/docx_templates/bulletin.docx (docxtpl)."""
    from docxtpl import DocxTemplate

    document = DocxTemplate(str(TEMPLATE))
    document.render({"title": bulletin.title, "issuer": issuer, "date": date_text,
                     "paragraphs": bulletin.paragraphs or ["本期暂无可发布的指标数据。"],
                     "rows": figure_rows(bulletin)}, autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
