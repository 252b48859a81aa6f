"""The six lists as an Excel workbook in the layout offices exchange: a summary sheet, then one sheet per
list with a title row, unit line, header, numbered rows and a 合计 row. Amounts in 亿元.

Callers pass a queryset that has already been through core.access.scope.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import xlsxwriter
from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import translation

from industrybrain.core.exports import cell_value

from . import figures
from .models import YI, Project
from .stages import Stage


def _yi(value: Decimal | None) -> float:
    return float(((value or Decimal(0)) / YI).quantize(Decimal("0.0001")))


COLUMNS: Sequence[tuple[str, Callable[[Any], Any], int]] = (
    ("项目编号", lambda p: p.code, 16),
    ("项目名称", lambda p: p.name, 36),
    ("投资主体", lambda p: p.investor_name, 28),
    ("统一社会信用代码", lambda p: p.investor_uscc, 20),
    ("所在地", lambda p: p.region.full_name, 18),
    ("产业体系", lambda p: p.industry_category.name if p.industry_category else "", 16),
    ("项目类型", lambda p: p.get_project_type_display(), 12),
    ("计划类别", lambda p: p.programme.name if p.programme else "", 22),
    ("总投资（亿元）", lambda p: _yi(p.total_investment), 12),
    ("本年计划投资（亿元）", lambda p: _yi(p.year_plan), 12),
    ("本年完成投资（亿元）", lambda p: _yi(p.ytd_completed), 12),
    ("投资完成率（%）", lambda p: float(figures.completion_rate(p.ytd_completed, p.year_plan) or 0), 10),
    ("签约日期", lambda p: p.actual_signed, 12),
    ("计划开工", lambda p: p.planned_started, 12),
    ("实际开工", lambda p: p.actual_started, 12),
    ("计划竣工", lambda p: p.planned_completed, 12),
    ("实际竣工", lambda p: p.actual_completed, 12),
    ("联系领导", lambda p: p.responsible_leader, 10),
    ("服务专员", lambda p: str(p.service_specialist) if p.service_specialist else "", 10),
)
MONEY_COLUMNS = {8, 9, 10}


@translation.override(settings.LANGUAGE_CODE)  # exports are an exchange format: Chinese
def write_workbook(path: str, projects: QuerySet[Project], year: int, title: str = "重大产业项目六张清单") -> int:
    """Write the workbook; returns the number of project rows written."""
    annotated = figures.with_year_figures(projects, year).select_related(
        "region__parent", "industry_category", "programme", "service_specialist").order_by("stage", "code")
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    fmt_title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    fmt_note = book.add_format({"font_size": 10, "align": "right"})
    fmt_head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center",
                                "valign": "vcenter", "text_wrap": True})
    fmt_cell = book.add_format({"border": 1})
    fmt_num = book.add_format({"border": 1, "num_format": "0.00"})
    fmt_total = book.add_format({"border": 1, "bold": True, "num_format": "0.00"})
    today = dt.date.today().isoformat()

    summary = book.add_worksheet("汇总")
    lists = figures.six_lists(projects)
    summary.merge_range(0, 0, 0, 2, f"{title}汇总表", fmt_title)
    summary.write(1, 2, f"单位：个、亿元  截至{today}", fmt_note)
    for col, (head, width) in enumerate((("清单", 14), ("项目数", 12), ("总投资（亿元）", 16))):
        summary.set_column(col, col, width)
        summary.write(2, col, head, fmt_head)
    for row, f in enumerate(lists, start=3):
        summary.write(row, 0, f"{f.label}清单", fmt_cell)
        summary.write(row, 1, f.count, fmt_cell)
        summary.write(row, 2, float(f.total_investment_yi), fmt_num)
    summary.write(len(lists) + 3, 0, "合计", fmt_total)
    summary.write(len(lists) + 3, 1, sum(f.count for f in lists), fmt_total)
    summary.write(len(lists) + 3, 2, float(sum(f.total_investment_yi for f in lists)), fmt_total)

    written = 0
    by_stage: dict[str, list[Project]] = {s.value: [] for s in Stage}
    for project in annotated.iterator(chunk_size=1000):
        by_stage[project.stage].append(project)
    for stage in Stage:
        sheet = book.add_worksheet(f"{stage.label}清单")
        sheet.merge_range(0, 0, 0, len(COLUMNS), f"{title}——{stage.label}清单（{year}年）", fmt_title)
        sheet.merge_range(1, 0, 1, len(COLUMNS), f"单位：亿元  截至{today}", fmt_note)
        sheet.write(2, 0, "序号", fmt_head)
        sheet.set_column(0, 0, 6)
        for col, (head, _get, width) in enumerate(COLUMNS, start=1):
            sheet.set_column(col, col, width)
            sheet.write(2, col, head, fmt_head)
        totals = [0.0, 0.0, 0.0]
        row = 3
        for n, project in enumerate(by_stage[stage.value], start=1):
            sheet.write(row, 0, n, fmt_cell)
            for col, (_head, get, _w) in enumerate(COLUMNS, start=1):
                value = cell_value(get(project))
                if col - 1 in MONEY_COLUMNS:
                    totals[col - 1 - 8] += value
                    sheet.write(row, col, value, fmt_num)
                else:
                    sheet.write(row, col, value, fmt_cell)
            row += 1
            written += 1
        sheet.write(row, 0, "", fmt_total)
        sheet.write(row, 1, "合计", fmt_total)
        sheet.write(row, 2, f"{len(by_stage[stage.value])}个", fmt_total)
        for i, total in enumerate(totals):
            sheet.write(row, 1 + 8 + i, total, fmt_total)
        sheet.freeze_panes(3, 3)
    book.close()
    return written


def response(projects: QuerySet[Project], year: int, filename: str = "重大产业项目六张清单.xlsx") -> FileResponse:
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    write_workbook(tmp.name, projects, year)
    tmp.seek(0)
    resp = FileResponse(tmp, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp
