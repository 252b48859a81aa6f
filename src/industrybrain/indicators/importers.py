"""Official indicator figures in the statistics bureau's layout (kind "indicators").

Columns: 地区代码 and/or 地区, 指标, 期别, 本月, 累计, 同比%, 累计同比% (and 备注). Rules:

- 地区代码 (GB/T 2260, any level: province, city or county) wins; 地区 alone is accepted when the name is
  unique; when both are given they must agree. Officers import only their own region subtree.
- 指标 is the catalogue's name, short name or code.
- 期别: "2023年1-10月" (cumulative release through October), "2023年10月", "2023-10", "2023/10", "202310",
  "2023年全年" (= 1-12月). A range must start in January. An indicator without a January release
  (固定资产投资: the first release is 1–2月) refuses month 1; a quarterly indicator accepts 3, 6, 9, 12.
- Rates are percent as published (5.6 or 5.6%); "—"/"-" means not published. At least one figure per row.
- A key (地区, 指标, 期别) may appear once per file. A figure that differs from the current one becomes a new
  revision that supersedes it (history kept); an identical one writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import ClassVar

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from industrybrain.core.imports import (
    ApplyContext,
    ApplyResult,
    CellError,
    ImportColumn,
    Importer,
    Row,
    decimal_number,
    register,
    text,
)
from industrybrain.core.models import Region

from .models import Basis, Frequency, Indicator, IndicatorValue
from .services import Figure, record_values

NOT_PUBLISHED = {"-", "—", "－", "–", "…", "/", "／"}

_PERIODS = (
    (re.compile(r"^(\d{4})年(\d{1,2})\s*[-—–~～至]\s*(\d{1,2})月份?$"), "range"),
    (re.compile(r"^(\d{4})年(\d{1,2})月份?$"), "month"),
    (re.compile(r"^(\d{4})年(?:全年|1-12月)?$"), "year"),
    (re.compile(r"^(\d{4})[-/.](\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})(\d{2})$"), "month"),
)


def parse_period(value: str) -> tuple[int, int]:
    """(year, last month) of a release label; see the module docstring for the accepted forms."""
    value = value.replace(" ", "")
    for pattern, kind in _PERIODS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group(1))
        if kind == "range":
            first, month = int(match.group(2)), int(match.group(3))
            if first != 1:
                raise CellError(f"“{value}”不是累计期别：累计数应从1月起算，如{year}年1-{month}月")
        elif kind == "year":
            month = 12
        else:
            month = int(match.group(2))
        if not 1 <= month <= 12:
            raise CellError(f"“{value}”中的月份应为1至12")
        if year < 2000:
            raise CellError(f"“{value}”年份过早")
        today = timezone.localdate()
        if (year, month) > (today.year, today.month):
            raise CellError(f"期别“{value}”晚于当前月份")
        return year, month
    raise CellError(f"“{value}”不是有效期别，应如2023年1-10月、2023年10月或2023-10")


def _optional(parse: Callable[[str], Decimal]) -> Callable[[str], Decimal | None]:
    def wrapped(value: str) -> Decimal | None:
        if value in NOT_PUBLISHED:
            return None
        return parse(value)

    return wrapped


def _rate(value: str) -> Decimal | None:
    value = value.rstrip("%％").strip()
    if value in NOT_PUBLISHED:
        return None
    return decimal_number(places=2, max_digits=9, allow_negative=True)(value)


def parse_region_code(value: str) -> str:
    if not re.fullmatch(r"\d{6}", value):
        raise CellError(f"“{value}”不是6位数字的行政区划代码（GB/T 2260）")
    return value


FIGURE_KEYS = ("month_value", "ytd_value", "yoy_pct", "ytd_yoy_pct")


@register
class IndicatorImporter(Importer):
    kind = "indicators"
    label = gettext_noop("指标数据（统计局格式）")
    description = ("按统计局月报格式导入各地区指标数据：每行一个地区、一个指标、一个期别。累计增速按公布值填写；"
                   "同一地区、指标、期别再次导入不同数值时，作为新的修订版本保存，原数据保留为历史。")
    columns: ClassVar[tuple[ImportColumn, ...]] = (
        ImportColumn("region_code", "地区代码", parse_region_code,
                     help="6位行政区划代码（省、市、县均可）；与“地区”至少填写一项", example="330000", width=12),
        ImportColumn("region_name", "地区", text(50), help="地区名称；填写了地区代码时可不填", example="浙江省"),
        ImportColumn("indicator", "指标", text(60), required=True,
                     help="指标名称或代码，须为指标目录中的指标", example="规上工业增加值", width=22),
        ImportColumn("period", "期别", parse_period, required=True,
                     help="累计期别如2023年1-10月，或2023年10月、2023-10；固定资产投资类指标无1月数据，首期为1-2月",
                     example="2023年1-10月", width=16),
        ImportColumn("month_value", "本月", _optional(decimal_number(places=4, max_digits=18)),
                     help="本月数值（按指标计量单位）；未公布填“—”或留空", example="1890.5"),
        ImportColumn("ytd_value", "累计", _optional(decimal_number(places=4, max_digits=18)),
                     help="1月至本月累计数值（存量指标填期末数）", example="18230.7"),
        ImportColumn("yoy_pct", "同比%", _rate, help="本月同比增速（%），下降填负数", example="4.2"),
        ImportColumn("ytd_yoy_pct", "累计同比%", _rate, help="累计同比增速（%），按公布值填写（一位小数）",
                     example="5.6"),
        ImportColumn("note", "备注", text(200), help="选填", example=""),
    )

    def prepare(self, rows: list[Row]) -> None:
        codes = {r.values["region_code"] for r in rows if "region_code" in r.values}
        names = {r.values["region_name"] for r in rows if "region_name" in r.values}
        self.regions = {r.code: r for r in Region.objects.filter(Q(code__in=codes) | Q(name__in=names))}
        self.by_name: dict[str, list[Region]] = {}
        for region in self.regions.values():
            self.by_name.setdefault(region.name, []).append(region)
        self.indicators: dict[str, Indicator] = {}
        for indicator in Indicator.objects.all():
            for key in (indicator.code, indicator.name, indicator.short_name):
                if key:
                    self.indicators.setdefault(key, indicator)
        self.seen: dict[tuple, int] = {}
        self.existing: set[tuple] = set()
        keys = {(r.values.get("period") or (0, 0))[0] for r in rows}
        if keys:
            self.existing = set(IndicatorValue.objects.current().filter(basis=Basis.OFFICIAL, year__in=keys)
                                .values_list("indicator_id", "region_id", "year", "month"))

    def _region(self, row: Row) -> tuple[Region | None, list[tuple[str, str]]]:
        code, name = row.values.get("region_code"), row.values.get("region_name")
        if code is None and name is None:
            if {"region_code", "region_name"} & row.failed:
                return None, []
            return None, [("region_code", "地区代码和地区至少填写一项")]
        if code is not None:
            region = self.regions.get(code)
            if region is None:
                return None, [("region_code", f"行政区划代码“{code}”不存在")]
            if name is not None and name not in (region.name, region.full_name):
                return None, [("region_name", f"地区“{name}”与地区代码{code}（{region.name}）不一致")]
            return region, []
        assert name is not None
        found = self.by_name.get(name, [])
        if not found:
            return None, [("region_name", f"地区“{name}”不存在，请填写地区代码")]
        if len(found) > 1:
            return None, [("region_name", f"地区名称“{name}”不唯一，请填写地区代码")]
        return found[0], []

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        region, errors = self._region(row)
        yield from errors
        if region is not None and not self.in_scope(region.code):
            yield "region_code", f"无权导入该地区数据（{region.name}不在您的管辖范围内）"
            region = None
        indicator = None
        if "indicator" in row.values:
            indicator = self.indicators.get(row.values["indicator"])
            if indicator is None:
                yield "indicator", f"指标“{row.values['indicator']}”不在指标目录中（请先在指标目录中新增）"
        period = row.values.get("period")
        if indicator is not None and period is not None:
            yield from self._check_period(indicator, period)
        if not any(row.values.get(k) is not None for k in FIGURE_KEYS) and not (set(FIGURE_KEYS) & row.failed):
            yield "ytd_yoy_pct", "本月、累计、同比%、累计同比%至少填写一项"
        if region is None or indicator is None or period is None:
            return
        key = (indicator.pk, region.code, *period)
        if key in self.seen:
            yield "period", f"与第{self.seen[key]}行重复（同一地区、指标、期别只能出现一次）"
            return
        self.seen[key] = row.number
        row.ref = key
        row.exists = key in self.existing

    def _check_period(self, indicator: Indicator, period: tuple[int, int]) -> Iterable[tuple[str, str]]:
        year, month = period
        if month not in indicator.release_months():
            if indicator.frequency == Frequency.QUARTERLY:
                yield "period", f"“{indicator.name}”按季度发布，期别月份应为3、6、9或12月"
            elif indicator.frequency == Frequency.YEARLY:
                yield "period", f"“{indicator.name}”按年度发布，期别应为{year}年全年"
            else:
                yield "period", (f"“{indicator.name}”无1月数据，首次发布为1-2月合并数，"
                                 f"请填写{year}年1-2月")

    def apply(self, rows: list[Row], ctx: ApplyContext) -> ApplyResult:
        items = []
        for row in rows:
            indicator_id, region_code, year, month = row.ref
            v = row.values
            items.append(Figure(indicator_id=indicator_id, region_id=region_code, year=year, month=month,
                                month_value=v.get("month_value"), ytd_value=v.get("ytd_value"),
                                yoy_pct=v.get("yoy_pct"), ytd_yoy_pct=v.get("ytd_yoy_pct"), note=v.get("note", "")))
        result = record_values(items, source=ctx.source, import_job=ctx.job, received_at=ctx.now)
        for obj in result.objects or []:
            ctx.audit.created(obj, {k: getattr(obj, k) for k in (*FIGURE_KEYS, "revision", "source")},
                              {"region_id": obj.region_id, "period": obj.period})
        return ApplyResult(created=result.created, updated=result.revised, unchanged=result.unchanged)

