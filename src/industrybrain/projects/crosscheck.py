"""Cross-check of 工业投资 (the statistics) against the major projects' monthly investment reports.

For a region and a month of a year: the statistical 工业投资 of 1–N月 (indicator `industrial_investment`
of the indicators cube, 亿元, the official release preferred over a derived one) beside the sum of the
本年累计完成投资 that the region's major projects reported up to that month (each project's latest report of
the year up to month N, 万元 → 亿元), their ratio (project-reported / statistics, in percent) and a flag when
the ratio leaves the band [low, high] (settings `PROJECTS_CROSSCHECK_BAND`, default 5%–100%; the page and
the API take `low`/`high`). Above 100% the projects alone report more than all of industry — one side is
wrong whatever the province; the lower bound depends on how much of a province's industrial investment its
scheduled projects carry, so provinces set their own (in the demo province the projects report about 8% of
工业投资 and the band flags the three cities whose few projects report under 5%).

The two figures do not measure the same thing (CAVEAT): project reports cover the scheduled 重大项目 only;
工业投资 counts every industrial project with a planned total investment of 500万元 or more. A ratio above
100% therefore means one side is wrong (a project over-reported, or a project outside industry); a very low
ratio usually means reports are missing. 工业投资 has no January release (1–2月 is the first).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

import xlsxwriter
from django.conf import settings
from django.db.models import Max, QuerySet
from django.http import FileResponse, Http404
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from industrybrain.core.access import scope, visible_regions
from industrybrain.core.models import Region
from industrybrain.indicators import services as indicators
from industrybrain.indicators.models import Basis, Indicator, IndicatorValue

from .models import YI, MonthlyInvestmentReport

INDICATOR_CODE = "industrial_investment"
DEFAULT_BAND = (Decimal(5), Decimal(100))
CENT = Decimal("0.01")

CAVEAT = gettext_lazy(
    "口径说明：项目月报只覆盖纳入调度的重大产业项目，汇总的是各项目填报的本年累计完成投资；统计部门的工业投资"
    "涵盖计划总投资500万元及以上的全部工业项目。两者口径不同，比值（项目填报/统计）通常低于100%，只用于发现漏报、"
    "错报，不能替代统计数据。比值高于上限说明项目填报或项目归类可能有误，低于下限多为项目月报缺报。"
    "工业投资无1月数据，首次发布为1-2月。")


def band() -> tuple[Decimal, Decimal]:
    """The configured band of ordinary ratios, in percent (settings PROJECTS_CROSSCHECK_BAND)."""
    low, high = getattr(settings, "PROJECTS_CROSSCHECK_BAND", DEFAULT_BAND)
    return Decimal(str(low)), Decimal(str(high))


@dataclass(frozen=True)
class Row:
    region_code: str
    region_name: str
    year: int
    month: int
    statistics: Decimal | None       # 工业投资 1–N月, 亿元
    statistics_growth: Decimal | None  # its cumulative growth, %
    statistics_basis: str            # official / derived / ""
    projects: Decimal                # projects' 本年累计完成投资, 亿元
    project_count: int               # projects with a report of the year up to the month
    low: Decimal
    high: Decimal

    @property
    def ratio(self) -> Decimal | None:
        """Project-reported / statistics, in percent (None without a statistical figure)."""
        if not self.statistics:
            return None
        return (self.projects * 100 / self.statistics).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def diverges(self) -> bool:
        ratio = self.ratio
        return ratio is not None and not (self.low <= ratio <= self.high)

    @property
    def direction(self) -> str:
        ratio = self.ratio
        if ratio is None or not self.diverges:
            return ""
        return "high" if ratio > self.high else "low"

    def as_dict(self) -> dict:
        return {"region": self.region_code, "region_name": self.region_name, "year": self.year,
                "month": self.month, "statistics": self.statistics, "statistics_growth": self.statistics_growth,
                "statistics_basis": self.statistics_basis, "projects": self.projects,
                "project_count": self.project_count, "ratio": self.ratio, "diverges": self.diverges,
                "direction": self.direction}


def regions_for(parent: Region) -> list[Region]:
    """The region itself and its children (a province's cities, a city's counties)."""
    return [parent, *Region.objects.filter(parent=parent).order_by("code")]


def _project_sums(reports: QuerySet[MonthlyInvestmentReport], regions: Sequence[Region],
                  year: int) -> dict[tuple[str, int], tuple[Decimal, int]]:
    """(region code, month) → (sum of the projects' latest 本年累计 up to the month in 万元, projects)."""
    latest: dict[int, dict[int, Decimal]] = {}
    paths: dict[int, str] = {}
    for project_id, path, month, ytd in (reports.filter(year=year).order_by()
                                         .values_list("project_id", "project__region__path", "month",
                                                      "ytd_completed")):
        latest.setdefault(project_id, {})[month] = ytd or Decimal(0)
        paths[project_id] = path
    out: dict[tuple[str, int], tuple[Decimal, int]] = {}
    for region in regions:
        members = [pid for pid, path in paths.items() if path.startswith(region.path)]
        for month in range(1, 13):
            total, count = Decimal(0), 0
            for pid in members:
                months = [m for m in latest[pid] if m <= month]
                if months:
                    total += latest[pid][max(months)]
                    count += 1
            out[(region.code, month)] = (total, count)
    return out


def _statistics(values: QuerySet[IndicatorValue], indicator: Indicator | None, regions: Sequence[Region],
                year: int) -> dict[tuple[str, int], IndicatorValue]:
    if indicator is None:
        return {}
    rows = values.filter(indicator=indicator, year=year, region__in=[r.code for r in regions],
                         ytd_value__isnull=False)
    out: dict[tuple[str, int], IndicatorValue] = {}
    for v in rows:
        key = (v.region_id, v.month)
        if key not in out or (out[key].basis != Basis.OFFICIAL and v.basis == Basis.OFFICIAL):
            out[key] = v
    return out


def rows(reports: QuerySet[MonthlyInvestmentReport], values: QuerySet[IndicatorValue], parent: Region, year: int,
         months: Sequence[int] | None = None, low: Decimal | None = None, high: Decimal | None = None) -> list[Row]:
    """One row per region (the parent and its children) and month. `reports` and `values` come scoped."""
    default_low, default_high = band()
    low = default_low if low is None else low
    high = default_high if high is None else high
    regions = regions_for(parent)
    indicator = Indicator.objects.filter(code=INDICATOR_CODE).first()
    stats = _statistics(values, indicator, regions, year)
    sums = _project_sums(reports, regions, year)
    # months after the latest report or release are not shown (a report carries forward, not into the future)
    last_report = reports.filter(year=year).aggregate(m=Max("month"))["m"] or 0
    last = max([last_report, *(m for _code, m in stats)])
    out = []
    for region in regions:
        for month in months or range(1, 13):
            if month > last:
                continue
            stat = stats.get((region.code, month))
            total, count = sums[(region.code, month)]
            if stat is None and not count:
                continue
            out.append(Row(region.code, region.full_name, year, month,
                           stat.ytd_value.quantize(CENT, rounding=ROUND_HALF_UP) if stat and stat.ytd_value is not None
                           else None,
                           stat.ytd_yoy_pct if stat else None, stat.basis if stat else "",
                           (total / YI).quantize(CENT, rounding=ROUND_HALF_UP), count, low, high))
    return out


def params(user, query) -> tuple[Region, int, Decimal | None, Decimal | None]:
    """Region (within the user's scope; default their own region, or the province for administrators),
    year and the optional band override (`low`, `high`, percent) from a query string."""
    visible = visible_regions(user)
    code = query.get("region") or user.region_id
    region = visible.filter(pk=code).first() if code else None
    if region is None and not query.get("region"):  # an administrator: the province with projects
        from .models import Project

        path = Project.objects.order_by("code").values_list("region__path", flat=True).first()
        provinces = visible.filter(level=Region.Level.PROVINCE).order_by("code")
        region = (provinces.filter(code=path[:6]).first() if path else None) or provinces.first()
    if region is None:
        raise Http404(_("未找到该记录或无权查看"))
    try:
        year = int(query.get("year") or default_year())
    except ValueError:
        year = default_year()

    def percent(name: str) -> Decimal | None:
        try:
            value = Decimal(query.get(name) or "")
        except ArithmeticError:
            return None
        return value if value.is_finite() and 0 <= value <= 1000 else None

    return region, year, percent("low"), percent("high")


def scoped_rows(user, region: Region, year: int, low: Decimal | None = None, high: Decimal | None = None,
                months: Sequence[int] | None = None) -> list[Row]:
    """`rows` over the reports and the statistics the user may see."""
    return rows(scope(user, MonthlyInvestmentReport.objects.all()), scope(user, indicators.current_values()),
                region, year, months=months, low=low, high=high)


def latest_month(rows_: Sequence[Row]) -> int | None:
    """The latest month that has a statistical figure (else the latest with project reports)."""
    with_stats = [r.month for r in rows_ if r.statistics is not None]
    if with_stats:
        return max(with_stats)
    return max((r.month for r in rows_), default=None)


# -- export -------------------------------------------------------------------------------------------

COLUMNS = ("区划代码", "区划", "年度", "月份", "工业投资1-N月（亿元）", "工业投资累计增速（%）", "统计口径",
           "重大项目填报本年累计完成投资（亿元）", "填报项目数", "比值（项目/统计，%）", "是否偏离")


@translation.override(settings.LANGUAGE_CODE)  # exports are an exchange format: Chinese
def write_workbook(path: str, rows_: Sequence[Row], title: str) -> None:
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_formulas": False,
                                      "strings_to_urls": False})
    fmt_title = book.add_format({"bold": True, "font_size": 14})
    fmt_head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    fmt_cell = book.add_format({"border": 1})
    fmt_num = book.add_format({"border": 1, "num_format": "0.00"})
    fmt_flag = book.add_format({"border": 1, "font_color": "#C00000", "bold": True})
    fmt_note = book.add_format({"text_wrap": True, "valign": "top", "font_size": 9})
    sheet = book.add_worksheet("工业投资核对")
    sheet.write(0, 0, title, fmt_title)
    sheet.merge_range(1, 0, 1, len(COLUMNS) - 1, str(CAVEAT), fmt_note)
    sheet.set_row(1, 60)
    for col, head in enumerate(COLUMNS):
        sheet.write(2, col, head, fmt_head)
        sheet.set_column(col, col, 22 if col in (1, 7) else 12)
    basis_labels = dict(Basis.choices)
    for n, r in enumerate(rows_, start=3):
        values = (r.region_code, r.region_name, r.year, r.month, r.statistics, r.statistics_growth,
                  str(basis_labels.get(r.statistics_basis, "")), r.projects, r.project_count, r.ratio,
                  ("偏高" if r.direction == "high" else "偏低") if r.diverges else "")
        for col, value in enumerate(values):
            if isinstance(value, Decimal):
                sheet.write_number(n, col, float(value), fmt_num)
            elif value is None:
                sheet.write_blank(n, col, None, fmt_cell)
            else:
                sheet.write(n, col, value, fmt_flag if col == len(COLUMNS) - 1 and value else fmt_cell)
    sheet.freeze_panes(3, 2)
    book.close()


def response(rows_: Sequence[Row], title: str, filename: str) -> FileResponse:
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    write_workbook(tmp.name, rows_, title)
    tmp.seek(0)
    resp = FileResponse(tmp, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp


def default_year(today: dt.date | None = None) -> int:
    """The latest year (not after this one) with a 工业投资 figure or a project report."""
    from django.utils import timezone

    this_year = (today or timezone.localdate()).year
    years = [MonthlyInvestmentReport.objects.filter(year__lte=this_year).aggregate(y=Max("year"))["y"],
             IndicatorValue.objects.current().filter(indicator__code=INDICATOR_CODE, year__lte=this_year)
             .aggregate(y=Max("year"))["y"]]
    return max((y for y in years if y is not None), default=this_year)


def title_for(region: Region, year: int) -> str:
    return _("%(region)s%(year)s年工业投资与重大项目填报核对") % {"region": region.full_name, "year": year}
