"""Import of monthly investment reports (项目月度投资完成情况) through the shared imports engine.

One row per project and month: 项目编号, 年度, 月份, 本月完成投资（万元）, optional 本年累计 / 自开工累计 (filled
from the previous report when empty, as on the form), 本年累计设备投资, 更正说明, 累计超总投资（已确认）, 形象进度.
Every row goes through the same checks as the form (`services.check_report`: cumulative never decreases
without a correction note, completed above total needs the flag, no future months, a filed month is changed
only with a note). A file carries one month per project: rows of the same project depend on each other's
cumulative figures, so a backfill of several months is imported one month per file, in order.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_noop

from industrybrain.core.imports import (
    ApplyContext,
    ApplyResult,
    CellError,
    ImportColumn,
    Importer,
    Row,
    chunks,
    decimal_number,
    register,
    text,
)
from industrybrain.registry.importers import OUT_OF_SCOPE, parse_month, parse_year

from .models import MonthlyInvestmentReport, Project
from .services import ReportInput, check_report

_YES = {"是", "Y", "YES", "TRUE", "1", "√"}
_NO = {"否", "N", "NO", "FALSE", "0", ""}


def parse_flag(value: str) -> bool:
    key = value.strip().upper()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError(f"“{value}”应填“是”或“否”")


def _report_input(values: dict) -> ReportInput:
    return ReportInput(
        year=values["year"], month=values["month"], month_completed=values["month_completed"],
        ytd_completed=values.get("ytd_completed"), cumulative_completed=values.get("cumulative_completed"),
        equipment_completed=values.get("equipment_completed"), correction_note=values.get("correction_note", ""),
        over_total_flag=values.get("over_total_flag", False), progress_note=values.get("progress_note", ""),
    )


@register
class MonthlyInvestmentImporter(Importer):
    kind = "project_reports"
    label = gettext_noop("项目月度投资")
    description = "重大项目月度投资完成情况：按“项目编号+年度+月份”新增或更正；每个项目每个文件只填一个月。"
    columns = (
        ImportColumn("code", "项目编号", text(40), required=True, example="ZJ-2024-0001",
                     help="项目库中的项目编号。"),
        ImportColumn("year", "年度", parse_year, required=True, example="2024", help="四位年份。"),
        ImportColumn("month", "月份", parse_month, required=True, example="6", help="1至12，不能晚于本月。"),
        ImportColumn("month_completed", "本月完成投资（万元）", decimal_number(allow_negative=True), required=True,
                     example="1200.50", help="核减时可填负数，并须填写更正说明。"),
        ImportColumn("ytd_completed", "本年累计完成投资（万元）", decimal_number(), example="6800",
                     help="留空时按上月本年累计加本月自动计算。"),
        ImportColumn("cumulative_completed", "自开工累计完成投资（万元）", decimal_number(), example="15800",
                     help="留空时按上期自开工累计加本月自动计算；不能减少（核减须填更正说明）。"),
        ImportColumn("equipment_completed", "本年累计设备投资（万元）", decimal_number(), example="2100",
                     help="不能大于本年累计完成投资。"),
        ImportColumn("correction_note", "更正说明", text(300), example="",
                     help="核减、累计数减少或修改已填报月份时必填。"),
        ImportColumn("over_total_flag", "累计超总投资（已确认）", parse_flag, example="否",
                     help="自开工累计超过项目总投资且属实时填“是”，并在更正说明或形象进度中说明。"),
        ImportColumn("progress_note", "形象进度", text(300), example="主体结构封顶", help="本月工程形象进度。"),
    )

    def prepare(self, rows: list[Row]) -> None:
        codes = sorted({r.values["code"] for r in rows if "code" in r.values})
        self.projects: dict[str, Project] = {}
        for chunk in chunks(codes):
            for project in Project.objects.filter(code__in=chunk).select_related("region"):
                self.projects[project.code] = project
        self.seen: dict[str, int] = {}

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        values = row.values
        code = values.get("code")
        if not code:
            return
        project = self.projects.get(code)
        if project is None:
            yield "code", "项目库中没有该项目编号"
            return
        if not self.in_scope(project.region_id):
            yield "code", OUT_OF_SCOPE
            return
        if code in self.seen:
            yield "code", f"同一项目在第{self.seen[code]}行已出现；每个文件每个项目只填一个月，请按月分别导入"
            return
        self.seen[code] = row.number
        if {"year", "month", "month_completed"} - set(values):
            return
        errors, data = check_report(project, _report_input(dict(values)))
        for message in errors:
            yield "month_completed", str(message)
        row.ref = project.pk
        row.exists = MonthlyInvestmentReport.objects.filter(project=project, year=data.year,
                                                            month=data.month).exists()

    def apply(self, rows: list[Row], ctx: ApplyContext) -> ApplyResult:
        result = ApplyResult()
        for row in rows:
            project = self.projects[row.values["code"]]
            _errors, data = check_report(project, _report_input(dict(row.values)))
            assert data.ytd_completed is not None and data.cumulative_completed is not None
            values = {
                "month_completed": data.month_completed, "ytd_completed": data.ytd_completed,
                "cumulative_completed": data.cumulative_completed, "equipment_completed": data.equipment_completed,
                "correction_note": data.correction_note.strip(),
                "over_total_flag": bool(data.over_total_flag and data.cumulative_completed > project.total_investment),
                "progress_note": data.progress_note.strip(), "submitted_by": ctx.user,
                "source": ctx.source[:50],
            }
            existing = MonthlyInvestmentReport.objects.filter(project=project, year=data.year,
                                                              month=data.month).first()
            if existing is None:
                report = MonthlyInvestmentReport.objects.create(project=project, year=data.year, month=data.month,
                                                                **values)
                ctx.audit.created(report, {k: v for k, v in values.items() if k != "submitted_by"})
                result.created += 1
                continue
            changes = {k: (getattr(existing, k), v) for k, v in values.items()
                       if k != "submitted_by" and getattr(existing, k) != v}
            if not changes:
                result.unchanged += 1
                continue
            for field_name, (_old, new) in changes.items():
                setattr(existing, field_name, new)
            existing.submitted_by = ctx.user
            existing.save()
            ctx.audit.updated(existing, changes)
            result.updated += 1
        return result

