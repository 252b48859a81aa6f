"""Import of tax and fee reductions (税费减免明细, from the tax authority) through the shared imports engine.

Columns: 统一社会信用代码, 企业名称, 所属年度, 税费种类, 减免项目, 减免金额（万元）, 减免日期, 政策依据, 数据提供部门.
A row is matched to an existing record by enterprise, year, kind and item (updated), otherwise created. The
enterprise must be in the registry and inside the importer's region; a name, when given, must match the
registry's. Dry run lists every error in Chinese; the apply is all or nothing (core.imports). The records
show in the enterprise's 一指减负 list and in the province totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext_noop

from industrybrain.core.imports import (
    ApplyContext,
    ApplyResult,
    CellError,
    ImportColumn,
    Importer,
    Row,
    choice,
    chunks,
    date_value,
    decimal_number,
    register,
    text,
)
from industrybrain.registry.importers import EnterpriseRowsMixin, parse_uscc, parse_year

from .models import TaxKind, TaxReduction

_money = decimal_number(2, 16)


def parse_amount(value: str) -> Decimal:
    amount = _money(value)
    if amount <= 0:
        raise CellError("减免金额应大于0")
    return amount


FIELDS = ("amount", "reduced_on", "basis", "authority")


@register
class TaxReductionImporter(EnterpriseRowsMixin, Importer):
    kind = "tax_reductions"
    label = gettext_noop("税费减免明细")
    description = ("导入税务等部门提供的企业税费减免明细（一指减负）：按企业、所属年度、税费种类和减免项目匹配，"
                   "已有的更新，没有的新增。")
    columns = (
        ImportColumn("uscc", "统一社会信用代码", parse_uscc, required=True, example="91330106MA27XY018L",
                     help="18位统一社会信用代码；企业须已在企业库中。"),
        ImportColumn("name", "企业名称", text(200), example="杭州某某科技有限公司",
                     help="可留空；填写时须与企业库中的企业名称一致。"),
        ImportColumn("year", "所属年度", parse_year, required=True, example="2023", help="减免所属的年度，四位年份。"),
        ImportColumn("tax_kind", "税费种类", choice(TaxKind.choices), required=True, example="增值税",
                     help="可选：" + "、".join(str(label) for _v, label in TaxKind.choices) + "。"),
        ImportColumn("item", "减免项目", text(100), required=True, example="小规模纳税人减免增值税",
                     help="减免事项的名称；同一企业、年度、税费种类下不能重复。"),
        ImportColumn("amount", "减免金额（万元）", parse_amount, required=True, example="12.5",
                     help="单位：万元，最多2位小数，须大于0。"),
        ImportColumn("reduced_on", "减免日期", date_value, example="2023-12-31",
                     help="格式YYYY-MM-DD，不能晚于今天；可留空。"),
        ImportColumn("basis", "政策依据", text(200), example="财政部 税务总局公告2023年第19号",
                     help="减免依据的文件名称或文号。"),
        ImportColumn("authority", "数据提供部门", text(100), example="国家税务总局杭州市西湖区税务局"),
    )

    def prepare(self, rows: list[Row]) -> None:
        ids = self.load_enterprises(rows)
        self.existing: dict[tuple[int, int, str, str], TaxReduction] = {}
        for chunk in chunks(ids):
            for obj in TaxReduction.objects.filter(enterprise_id__in=chunk):
                self.existing[(obj.enterprise_id, obj.year, obj.tax_kind, obj.item)] = obj
        self.seen: dict[tuple[str, int, str, str], int] = {}

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        values = row.values
        code = values.get("uscc")
        problems = self.enterprise_problems(row)
        yield from problems
        if problems and row.ref is None:
            return
        reduced_on, year = values.get("reduced_on"), values.get("year")
        if reduced_on and year and reduced_on.year < year:
            yield "reduced_on", "减免日期早于所属年度"
        if code and year and values.get("tax_kind") and values.get("item"):
            key = (code, year, values["tax_kind"], values["item"])
            if key in self.seen:
                yield "item", f"与第{self.seen[key]}行重复（同一企业、年度、税费种类和减免项目）"
            else:
                self.seen[key] = row.number
            if row.ref is not None:
                row.exists = (row.ref, year, values["tax_kind"], values["item"]) in self.existing

    def apply(self, rows: list[Row], ctx: ApplyContext) -> ApplyResult:
        result = ApplyResult()
        new: list[TaxReduction] = []
        changed: list[TaxReduction] = []
        for row in rows:
            v = row.values
            obj = self.existing.get((row.ref, v["year"], v["tax_kind"], v["item"]))
            if obj is None:
                new.append(TaxReduction(enterprise_id=row.ref, year=v["year"], tax_kind=v["tax_kind"],
                                        item=v["item"], amount=v["amount"], reduced_on=v.get("reduced_on"),
                                        basis=v.get("basis", ""), authority=v.get("authority", ""),
                                        import_job=ctx.job))
                continue
            changes = {f: (getattr(obj, f), v[f]) for f in FIELDS if f in v and getattr(obj, f) != v[f]}
            if not changes:
                result.unchanged += 1
                continue
            for f, (_old, value) in changes.items():
                setattr(obj, f, value)
            obj.import_job = ctx.job
            changed.append(obj)
            ctx.audit.updated(obj, changes, {"enterprise_id": obj.enterprise_id})
        TaxReduction.objects.bulk_create(new, batch_size=1000)
        if changed:
            TaxReduction.objects.bulk_update(changed, [*FIELDS, "import_job"], batch_size=1000)
        if any(obj.pk is None for obj in new):  # backends that do not return ids from bulk inserts
            ids = {(o.enterprise_id, o.year, o.tax_kind, o.item): o.pk for o in TaxReduction.objects.filter(
                import_job=ctx.job)}
            for obj in new:
                obj.pk = ids[(obj.enterprise_id, obj.year, obj.tax_kind, obj.item)]
        for obj in new:
            ctx.audit.created(obj, {f: getattr(obj, f) for f in ("year", "tax_kind", "item", *FIELDS)},
                              {"enterprise_id": obj.enterprise_id})
        result.created, result.updated = len(new), len(changed)
        return result
