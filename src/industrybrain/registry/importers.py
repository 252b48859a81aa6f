"""Registry imports: enterprises (企业名录), yearly facts (年度数据) and monthly facts (月度数据).

Rules decided here (see also `core.imports`):

- Enterprises are upserted by USCC. A USCC seen twice in one file is an error on the second row.
- An empty optional cell means "no change" for an existing record (and the default for a new one).
- Tags (标签) are a curated list (`Tag` has a code and a kind), so **unknown tag names are refused** as
  an error naming the tag, never created from free text. A non-empty 标签 cell *replaces* the
  enterprise's tags with the listed ones.
- 区划代码 must be a city- or county-level region (county preferred); 行业代码 must be a GB/T 4754 大类,
  中类 or 小类 (小类 preferred), not a bare 门类 letter.
- Officers may only import enterprises in their region subtree: a new enterprise outside it, or an existing
  enterprise registered outside it, is an error row "无权导入该地区企业".
- Facts: the enterprise must already exist (import the enterprises first). A created fact row gets the
  import as its source (`source` = "导入：<file>", `import_job`, `received_at`); an existing row keeps its
  row source, and each changed field gets a per-field source (`record_field_source`); `import_job` then
  names the last import that touched the row. After yearly facts, size class and 规上 flag are recomputed
  for every affected enterprise from its latest year (set-based, in chunks).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, ClassVar

from django.db import models
from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone
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
    integer,
    register,
    split_list,
    text,
)
from industrybrain.core.models import Industry, Region

from . import sizing, uscc
from .models import (
    MONTHLY_FACT_FIELDS,
    YEARLY_FACT_FIELDS,
    DailyElectricity,
    Enterprise,
    MonthlyFact,
    Ownership,
    Tag,
    YearlyFact,
)

OUT_OF_SCOPE = "无权导入该地区企业"
FIRST_YEAR = 1990


def parse_uscc(value: str) -> str:
    try:
        return uscc.validate(value)
    except uscc.USCCError as exc:
        raise CellError(str(exc)) from None


def parse_region_code(value: str) -> str:
    if not re.fullmatch(r"\d{6}", value):
        raise CellError(f"“{value}”不是6位数字的行政区划代码（GB/T 2260）")
    return value


def parse_industry_code(value: str) -> str:
    value = value.upper()
    if re.fullmatch(r"[A-T]", value):
        raise CellError(f"“{value}”是门类，请填写4位小类代码（GB/T 4754-2017），至少到大类")
    if not re.fullmatch(r"\d{2,4}", value):
        raise CellError(f"“{value}”不是有效的行业代码，应为4位小类代码（GB/T 4754-2017），如3973")
    return value


def parse_year(value: str) -> int:
    year = integer(min_value=None, max_value=None)(value)
    this_year = timezone.localdate().year
    if year < FIRST_YEAR or year > this_year:
        raise CellError(f"年度应在{FIRST_YEAR}至{this_year}之间")
    return year


def parse_month(value: str) -> int:
    month = integer(min_value=None, max_value=None)(value)
    if not 1 <= month <= 12:
        raise CellError("月份应为1至12")
    return month


def _existing_enterprises(usccs: Iterable[str]) -> dict[str, tuple[int, str]]:
    """USCC → (id, region code) for the codes that exist, in chunks."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in chunks(sorted(set(usccs))):
        for pk, code, region in Enterprise.objects.filter(uscc__in=chunk).values_list("pk", "uscc", "region_id"):
            found[code] = (pk, region)
    return found


class EnterpriseRowsMixin:
    """For importers of another module whose rows name an existing enterprise by 统一社会信用代码 (and
    optionally its name): one lookup in chunks, then per row the same three checks and messages."""

    enterprises: dict[str, tuple[int, str, str]]
    in_scope: Callable[[str | None], bool]

    def load_enterprises(self, rows: list[Row]) -> list[int]:
        """USCC → (id, name, region code) for the rows' codes; returns the ids found."""
        self.enterprises = {}
        for chunk in chunks(sorted({r.values["uscc"] for r in rows if "uscc" in r.values})):
            for pk, code, name, region in Enterprise.objects.filter(uscc__in=chunk).values_list(
                    "pk", "uscc", "name", "region_id"):
                self.enterprises[code] = (pk, name, region)
        return [v[0] for v in self.enterprises.values()]

    def enterprise_problems(self, row: Row) -> list[tuple[str, str]]:
        """Errors of the row's enterprise; sets `row.ref` to its id when it exists and is in scope."""
        values = row.values
        found = self.enterprises.get(values["uscc"]) if values.get("uscc") else None
        if values.get("uscc") and found is None:
            return [("uscc", "企业库中没有该统一社会信用代码的企业，请先导入企业名录")]
        if found is None:
            return []
        pk, name, region = found
        if not self.in_scope(region):
            return [("uscc", OUT_OF_SCOPE)]
        row.ref = pk
        if values.get("name") and values["name"] != name:
            return [("name", f"企业名称与企业库不一致（企业库为“{name}”）")]
        return []


@register
class EnterpriseImporter(Importer):
    kind = "enterprises"
    label = gettext_noop("企业名录")
    description = "按统一社会信用代码新增或更新企业：代码已存在的更新，不存在的新增。"
    columns = (
        ImportColumn("uscc", "统一社会信用代码", parse_uscc, required=True, example="91330106MA27XY018L",
                     help="18位统一社会信用代码（GB 32100），校验位须正确；已存在则更新该企业，否则新增。"),
        ImportColumn("name", "企业名称", text(200), required=True, example="杭州某某科技有限公司",
                     help="营业执照上的企业全称，最长200字。"),
        ImportColumn("region", "区划代码", parse_region_code, required=True, example="330106",
                     help="企业所在地6位行政区划代码（GB/T 2260），应为县级（区、县、县级市）代码；"
                          "县级干部只能导入本辖区的企业。"),
        ImportColumn("industry", "行业代码", parse_industry_code, required=True, example="3973",
                     help="国民经济行业分类（GB/T 4754-2017）代码，应填写4位小类代码，至少到2位大类。"),
        ImportColumn("founded_on", "成立日期", date_value, example="2018-06-01",
                     help="格式YYYY-MM-DD，也可以是Excel日期单元格。"),
        ImportColumn("ownership", "登记注册类型", choice(Ownership.choices), example="民营",
                     help=f"可选：{'、'.join(str(label) for _, label in Ownership.choices)}；新增企业留空时为“民营”。"),
        ImportColumn("tags", "标签", split_list, example="高新技术企业、科技型中小企业",
                     help="多个标签用顿号或逗号分隔，须为系统中已有的标签名称；填写后替换该企业原有标签。"),
        ImportColumn("address", "地址", text(200), example="杭州市西湖区某某路1号", help="最长200字。"),
        ImportColumn("legal_representative", "法定代表人", text(50), example="张三", help="最长50字。"),
    )
    fields = ("name", "region", "industry", "founded_on", "ownership", "address", "legal_representative")

    def prepare(self, rows: list[Row]) -> None:
        self.existing = _existing_enterprises(r.values["uscc"] for r in rows if "uscc" in r.values)
        self.regions = dict(Region.objects.values_list("code", "level"))
        self.industries = set(Industry.objects.values_list("code", flat=True))
        self.tags: dict[str, int] = {}
        for pk, code, name in Tag.objects.values_list("pk", "code", "name"):
            self.tags[code] = pk
            self.tags[name] = pk
        self.seen: dict[str, int] = {}

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        values = row.values
        code = values.get("uscc")
        if code:
            if code in self.seen:
                yield "uscc", f"与第{self.seen[code]}行的统一社会信用代码重复"
            else:
                self.seen[code] = row.number
                if code in self.existing:
                    row.exists = True
                    row.ref = self.existing[code][0]
                    if not self.in_scope(self.existing[code][1]):
                        yield "uscc", OUT_OF_SCOPE + "（该企业登记在您的辖区之外）"
        region = values.get("region")
        if region:
            level = self.regions.get(region)
            if level is None:
                yield "region", f"区划代码“{region}”不存在"
            elif level == Region.Level.PROVINCE:
                yield "region", "区划代码应为县级（或地市级）代码，不能是省级代码"
            elif not self.in_scope(region):
                yield "region", OUT_OF_SCOPE
        industry = values.get("industry")
        if industry and industry not in self.industries:
            yield "industry", f"行业代码“{industry}”不在GB/T 4754-2017中"
        unknown = [name for name in values.get("tags", []) if name not in self.tags]
        if unknown:
            yield "tags", f"标签不存在：{'、'.join(unknown)}（请先由管理员建立标签）"

    def _values(self, row: Row) -> dict[str, Any]:
        """Model attribute values of the row's non-empty cells (FKs as *_id)."""
        values = {}
        for name in self.fields:
            if name in row.values:
                attr = f"{name}_id" if name in ("region", "industry") else name
                values[attr] = row.values[name]
        return values

    def apply(self, rows: list[Row], ctx: ApplyContext) -> ApplyResult:
        result = ApplyResult()
        through = Enterprise.tags.through
        extra = {"source": ctx.source}

        new_rows = [r for r in rows if not r.exists]
        created: list[tuple[Enterprise, Row]] = []
        for chunk in chunks(new_rows, 2000):
            objs = [Enterprise(uscc=r.values["uscc"], created_at=ctx.now, updated_at=ctx.now, **self._values(r))
                    for r in chunk]
            Enterprise.objects.bulk_create(objs, batch_size=500)
            created.extend(zip(objs, chunk, strict=True))
        if any(obj.pk is None for obj, _ in created):  # databases that return no ids from bulk inserts
            ids = _existing_enterprises(obj.uscc for obj, _ in created)
            for obj, _ in created:
                obj.pk = ids[obj.uscc][0]
        links: list[Any] = []
        for obj, row in created:
            tag_ids = sorted({self.tags[name] for name in row.values.get("tags", [])})
            links.extend(through(enterprise_id=obj.pk, tag_id=tag_id) for tag_id in tag_ids)
            values = {"uscc": obj.uscc} | {name: getattr(obj, f"{name}_id" if name in ("region", "industry")
                                                         else name) for name in self.fields}
            ctx.audit.created(obj, values, extra)
            if tag_ids:
                ctx.audit.log(obj, ctx.audit.model.Action.UPDATE, {"tags": {
                    "type": "m2m", "operation": "add", "objects": row.values["tags"]}}, extra)
        through.objects.bulk_create(links, batch_size=2000)
        result.created = len(created)

        for chunk in chunks([r for r in rows if r.exists], 2000):
            objs_by_id = Enterprise.objects.in_bulk([r.ref for r in chunk])
            current_tags: dict[int, set[int]] = {}
            tag_rows = [r.ref for r in chunk if "tags" in r.values]
            for sub in chunks(tag_rows):
                for ent_id, tag_id in through.objects.filter(enterprise_id__in=sub).values_list(
                        "enterprise_id", "tag_id"):
                    current_tags.setdefault(ent_id, set()).add(tag_id)
            changed_objs: list[Enterprise] = []
            changed_fields: set[str] = set()
            removals: list[tuple[int, set[int]]] = []
            for row in chunk:
                obj = objs_by_id[row.ref]
                changes = {}
                for attr, value in self._values(row).items():
                    old = getattr(obj, attr)
                    if old != value:
                        changes[attr.removesuffix("_id")] = (old, value)
                        setattr(obj, attr, value)
                        changed_fields.add(attr)
                tags_changed = False
                if "tags" in row.values:
                    wanted = {self.tags[name] for name in row.values["tags"]}
                    have = current_tags.get(obj.pk, set())
                    if wanted != have:
                        tags_changed = True
                        if have - wanted:
                            removals.append((obj.pk, have - wanted))
                        through.objects.bulk_create(
                            [through(enterprise_id=obj.pk, tag_id=t) for t in sorted(wanted - have)])
                        ctx.audit.log(obj, ctx.audit.model.Action.UPDATE, {"tags": {
                            "type": "m2m", "operation": "replace", "objects": row.values["tags"]}}, extra)
                if changes:
                    obj.updated_at = ctx.now
                    changed_objs.append(obj)
                    ctx.audit.updated(obj, changes, extra)
                if changes or tags_changed:
                    result.updated += 1
                else:
                    result.unchanged += 1
            for ent_id, stale in removals:
                through.objects.filter(enterprise_id=ent_id, tag_id__in=stale).delete()
            if changed_objs:
                Enterprise.objects.bulk_update(changed_objs, sorted(changed_fields | {"updated_at"}), batch_size=500)
        return result


def _fact_columns(fields: tuple[tuple[str, str, str], ...], model: type[models.Model]) -> tuple[ImportColumn, ...]:
    columns = []
    for name, label, unit in fields:
        model_field = model._meta.get_field(name)
        if isinstance(model_field, models.DecimalField):
            negative = name in ("profit", "net_profit")
            parse = decimal_number(model_field.decimal_places, model_field.max_digits, allow_negative=negative)
            help_text = f"单位：{unit}，最多{model_field.decimal_places}位小数" + ("，亏损填负数" if negative else "，不能为负")
        else:
            parse = integer(min_value=0)  # type: ignore[assignment]
            help_text = f"单位：{unit}，非负整数"
        columns.append(ImportColumn(name, f"{label}（{unit}）", parse, help=help_text + "；留空表示不修改。",
                                    width=18))
    return tuple(columns)


class FactImporter(Importer):
    """Shared by yearly and monthly facts: rows keyed by enterprise and period, values set field by field."""

    model: ClassVar[type[YearlyFact] | type[MonthlyFact]]
    value_fields: ClassVar[tuple[str, ...]]
    period_keys: ClassVar[tuple[str, ...]]

    def prepare(self, rows: list[Row]) -> None:
        self.existing = _existing_enterprises(r.values["uscc"] for r in rows if "uscc" in r.values)
        self.seen: dict[tuple, int] = {}
        # keys of the fact rows that already exist, so the dry run can say how many rows are updates
        self.existing_facts: set[tuple] = set()
        years = sorted({r.values["year"] for r in rows if "year" in r.values})
        ids = sorted({pk for pk, _ in self.existing.values()})
        for chunk in chunks(ids):
            self.existing_facts.update(self.model.objects.filter(enterprise_id__in=chunk, year__in=years)
                                       .values_list("enterprise_id", *self.period_keys))

    def period(self, row: Row) -> tuple | None:
        if any(key not in row.values for key in self.period_keys):
            return None
        return tuple(row.values[key] for key in self.period_keys)

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        code = row.values.get("uscc")
        if not code:
            return
        if code not in self.existing:
            yield "uscc", "企业不存在，请先导入企业名录"
            return
        ent_id, region = self.existing[code]
        if not self.in_scope(region):
            yield "uscc", OUT_OF_SCOPE
            return
        row.ref = ent_id
        period = self.period(row)
        if period is None:
            return
        key = (ent_id, *period)
        row.exists = key in self.existing_facts
        if key in self.seen:
            yield self.period_keys[-1], f"与第{self.seen[key]}行是同一企业同一期间，重复"
        else:
            self.seen[key] = row.number
        yield from self.check_period(row, period)

    def check_period(self, row: Row, period: tuple) -> Iterable[tuple[str, str]]:
        return ()

    def _load_existing(self, rows: list[Row]) -> dict[tuple, Any]:
        found: dict[tuple, Any] = {}
        periods = {self.period(r) for r in rows}
        years = sorted({p[0] for p in periods if p})
        for chunk in chunks(sorted({r.ref for r in rows})):
            for fact in self.model.objects.filter(enterprise_id__in=chunk, year__in=years):
                found[(fact.enterprise_id, *(getattr(fact, k) for k in self.period_keys))] = fact
        return found

    def apply(self, rows: list[Row], ctx: ApplyContext) -> ApplyResult:
        result = ApplyResult()
        at = ctx.now.isoformat()
        touched: set[int] = set()
        for chunk in chunks(rows, 2000):
            existing = self._load_existing(list(chunk))
            new_objs: list[Any] = []
            changed_objs: list[Any] = []
            changed_fields: set[str] = set()
            for row in chunk:
                period = self.period(row)
                assert period is not None
                values = {name: row.values[name] for name in self.value_fields if name in row.values}
                fact = existing.get((row.ref, *period))
                if fact is None:
                    fact = self.model(enterprise_id=row.ref, **dict(zip(self.period_keys, period, strict=True)),
                                      source=ctx.source, import_job=ctx.job, received_at=ctx.now, **values)
                    new_objs.append(fact)
                    touched.add(row.ref)
                    continue
                changes = {}
                for name, value in values.items():
                    old = getattr(fact, name)
                    if old is None or Decimal(old) != Decimal(value):
                        changes[name] = (old, value)
                        setattr(fact, name, value)
                if not changes:
                    result.unchanged += 1
                    continue
                fact.record_field_source(list(changes), ctx.source, at)
                fact.import_job = ctx.job
                changed_objs.append(fact)
                changed_fields.update(changes)
                touched.add(row.ref)
                ctx.audit.updated(fact, changes, {"enterprise_id": row.ref})
            self.model.objects.bulk_create(new_objs, batch_size=500)
            if any(obj.pk is None for obj in new_objs):
                existing = self._load_existing(list(chunk))
                for obj in new_objs:
                    obj.pk = existing[(obj.enterprise_id, *(getattr(obj, k) for k in self.period_keys))].pk
            for obj in new_objs:
                ctx.audit.created(obj, {k: getattr(obj, k) for k in (*self.period_keys, *self.value_fields)}
                                  | {"enterprise": obj.enterprise_id, "source": obj.source},
                                  {"enterprise_id": obj.enterprise_id})
            if changed_objs:
                self.model.objects.bulk_update(
                    changed_objs, sorted(changed_fields | {"field_sources", "import_job"}), batch_size=500)
            result.created += len(new_objs)
            result.updated += len(changed_objs)
        self.after_apply(touched, ctx)
        return result

    def after_apply(self, enterprise_ids: set[int], ctx: ApplyContext) -> None:
        pass


@register
class YearlyFactImporter(FactImporter):
    kind = "yearly"
    label = gettext_noop("年度数据")
    description = "企业年度经营数据，按“统一社会信用代码+年度”新增或更新；企业须已在企业库中。"
    model = YearlyFact
    value_fields = tuple(name for name, _, _ in YEARLY_FACT_FIELDS)
    period_keys = ("year",)
    columns = (
        ImportColumn("uscc", "统一社会信用代码", parse_uscc, required=True, example="91330106MA27XY018L",
                     help="企业的18位统一社会信用代码，企业须已在企业库中（先导入企业名录）。"),
        ImportColumn("year", "年度", parse_year, required=True, example="2023", help="四位年份，如2023。"),
        *_fact_columns(YEARLY_FACT_FIELDS, YearlyFact),
    )

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        yield from super().check(row)
        values = row.values
        if "rd_staff" in values and "staff" in values and values["rd_staff"] > values["staff"]:
            yield "rd_staff", "研发人员不能多于从业人员"

    def after_apply(self, enterprise_ids: set[int], ctx: ApplyContext) -> None:
        recompute_size_classes(sorted(enterprise_ids), ctx)


def recompute_size_classes(enterprise_ids: list[int], ctx: ApplyContext | None = None) -> int:
    """Size class and 规上 flag from each enterprise's latest year, for many enterprises at once."""
    changed_total = 0
    for chunk in chunks(enterprise_ids):
        latest: dict[int, tuple] = {}
        for ent_id, staff, revenue, main in (YearlyFact.objects.filter(enterprise_id__in=chunk)
                                             .order_by("enterprise_id", "-year")
                                             .values_list("enterprise_id", "staff", "revenue",
                                                          "main_business_revenue")):
            latest.setdefault(ent_id, (staff, revenue, main))
        changed = []
        for ent in Enterprise.objects.filter(pk__in=chunk).only("pk", "uscc", "name", "size_class", "above_scale"):
            staff, revenue, main = latest.get(ent.pk, (None, None, None))
            size, above = sizing.size_class(staff, revenue), sizing.is_above_scale(main)
            if (size, above) != (ent.size_class, ent.above_scale):
                if ctx is not None:
                    ctx.audit.updated(ent, {k: v for k, v in {"size_class": (ent.size_class, size),
                                                              "above_scale": (ent.above_scale, above)}.items()
                                            if v[0] != v[1]})
                ent.size_class, ent.above_scale = size, above
                changed.append(ent)
        Enterprise.objects.bulk_update(changed, ["size_class", "above_scale"], batch_size=500)
        changed_total += len(changed)
    return changed_total


@register
class MonthlyFactImporter(FactImporter):
    kind = "monthly"
    label = gettext_noop("月度数据")
    description = "规上企业月度数据，按“统一社会信用代码+年度+月份”新增或更新；企业须已在企业库中。"
    model = MonthlyFact
    value_fields = tuple(name for name, _, _ in MONTHLY_FACT_FIELDS)
    period_keys = ("year", "month")
    columns = (
        ImportColumn("uscc", "统一社会信用代码", parse_uscc, required=True, example="91330106MA27XY018L",
                     help="企业的18位统一社会信用代码，企业须已在企业库中（先导入企业名录）。"),
        ImportColumn("year", "年度", parse_year, required=True, example="2024", help="四位年份，如2024。"),
        ImportColumn("month", "月份", parse_month, required=True, example="6", help="1至12。"),
        *_fact_columns(MONTHLY_FACT_FIELDS, MonthlyFact),
    )

    def check_period(self, row: Row, period: tuple) -> Iterable[tuple[str, str]]:
        today = timezone.localdate()
        if period > (today.year, today.month):
            yield "month", "月份不能晚于本月"


# ------------------------------------------------------------------------------- daily electricity

DAILY_SOURCE = "日用电量汇总"
DAY_KEYS = tuple(f"d{d}" for d in range(1, 32))
ELECTRICITY_PLACES, ELECTRICITY_DIGITS = 4, 12


@register
class DailyElectricityImporter(Importer):
    """日用电量: one row per enterprise and month, one column per day (1日…31日) — the layout of the grid
    company's monthly sheet, and 31 times fewer rows than one row per day (a month of 100,000 规上
    enterprises is 100,000 rows).

    - An empty day cell means "no reading / no change" (a missing day stays missing; a reading of zero is 0).
    - Days the month does not have (2月30日) and days after today are errors; a row with no reading is an error.
    - Key: enterprise + day. Days already stored are updated when the value differs (audited old → new).
    - Audit: one entry per row (enterprise and month) on the enterprise — days created, and each changed day
      with its old and new value — not one entry per day (a month of a province is 3 million days).
    - The month's total fills `MonthlyFact.electricity` when the month is complete (every day present) and the
      monthly figure is missing or was itself filled from daily readings (source 日用电量汇总). A reported
      monthly figure always wins: it is never overwritten by a daily sum.
    """

    kind = "daily_electricity"
    label = gettext_noop("日用电量")
    description = ("规上企业每日用电量（万千瓦时），每行一家企业一个月，按“统一社会信用代码+日期”新增或更新；"
                   "企业须已在企业库中。某月每日齐全且该月月度用电量为空时，自动以日合计填入月度数据。")
    columns = (
        ImportColumn("uscc", "统一社会信用代码", parse_uscc, required=True, example="91330106MA27XY018L",
                     help="企业的18位统一社会信用代码，企业须已在企业库中（先导入企业名录）。"),
        ImportColumn("year", "年度", parse_year, required=True, example="2023", help="四位年份，如2023。"),
        ImportColumn("month", "月份", parse_month, required=True, example="10", help="1至12。"),
        *(ImportColumn(key, f"{day}日", decimal_number(ELECTRICITY_PLACES, ELECTRICITY_DIGITS), width=10,
                       example="1.2345" if day == 1 else "",
                       help=f"该月{day}日用电量，单位：万千瓦时，最多4位小数（即精确到1千瓦时），不能为负；"
                            "留空表示无读数（已有读数不修改）；停产无用电请填0。")
          for day, key in enumerate(DAY_KEYS, start=1)),
    )

    def prepare(self, rows: list[Row]) -> None:
        self.existing: dict[str, tuple[int, str, str]] = {}
        usccs = sorted({r.values["uscc"] for r in rows if "uscc" in r.values})
        for chunk in chunks(usccs):
            for pk, code, region, name in Enterprise.objects.filter(uscc__in=chunk).values_list(
                    "pk", "uscc", "region_id", "name"):
                self.existing[code] = (pk, region, name)
        self.seen: dict[tuple[int, int, int], int] = {}
        self.stored: set[tuple[int, int, int]] = set()  # (enterprise, year, month) with days already stored
        periods = [(r.values["year"], r.values["month"]) for r in rows if "year" in r.values and "month" in r.values]
        if periods:
            first, last = min(periods), max(periods)
            span = (dt.date(first[0], first[1], 1), _month_end(*last))
            ids = sorted({pk for pk, _, _ in self.existing.values()})
            for chunk in chunks(ids):
                self.stored.update(
                    DailyElectricity.objects.filter(enterprise_id__in=chunk, day__range=span)
                    .values_list("enterprise_id", ExtractYear("day"), ExtractMonth("day")).distinct())
        self.today = timezone.localdate()

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        values = row.values
        code = values.get("uscc")
        if code:
            if code not in self.existing:
                yield "uscc", "企业不存在，请先导入企业名录"
            elif not self.in_scope(self.existing[code][1]):
                yield "uscc", OUT_OF_SCOPE
            else:
                row.ref = self.existing[code][0]
        year, month = values.get("year"), values.get("month")
        if year is None or month is None:
            return
        days_in_month = calendar.monthrange(year, month)[1]
        for day, key in enumerate(DAY_KEYS, start=1):
            if key not in values:
                continue
            if day > days_in_month:
                yield key, f"{year}年{month}月只有{days_in_month}天，没有{day}日"
            elif dt.date(year, month, day) > self.today:
                yield key, "日期晚于今天，不能填写用电量"
        if not any(key in values or key in row.failed for key in DAY_KEYS):
            yield "d1", "该行没有任何一天的用电量"
        if row.ref is not None:
            key3 = (row.ref, year, month)
            row.exists = key3 in self.stored
            if key3 in self.seen:
                yield "month", f"与第{self.seen[key3]}行是同一企业同一月份，重复"
            else:
                self.seen[key3] = row.number

    def apply(self, rows: list[Row], ctx: ApplyContext) -> ApplyResult:
        result = ApplyResult()
        names = {pk: name for pk, _, name in self.existing.values()}
        touched: set[tuple[int, int, int]] = set()
        for chunk in chunks(rows, 2000):
            periods = [(r.values["year"], r.values["month"]) for r in chunk]
            span = (dt.date(*min(periods), 1), _month_end(*max(periods)))
            ids = sorted({r.ref for r in chunk})
            stored: dict[tuple[int, dt.date], DailyElectricity] = {}
            for sub in chunks(ids):
                for obj in DailyElectricity.objects.filter(enterprise_id__in=sub, day__range=span):
                    stored[(obj.enterprise_id, obj.day)] = obj
            new: list[DailyElectricity] = []
            changed: list[DailyElectricity] = []
            for row in chunk:
                year, month = row.values["year"], row.values["month"]
                created_days, updates = 0, {}
                for day, key in enumerate(DAY_KEYS, start=1):
                    if key not in row.values:
                        continue
                    date, value = dt.date(year, month, day), row.values[key]
                    known = stored.get((row.ref, date))
                    if known is None:
                        new.append(DailyElectricity(enterprise_id=row.ref, day=date, electricity=value))
                        created_days += 1
                    elif Decimal(known.electricity) != value:
                        updates[date.isoformat()] = (known.electricity, value)
                        known.electricity = value
                        changed.append(known)
                if not created_days and not updates:
                    result.unchanged += 1
                    continue
                touched.add((row.ref, year, month))
                if row.exists:
                    result.updated += 1
                else:
                    result.created += 1
                ent = Enterprise(pk=row.ref, name=names.get(row.ref, ""))
                changes = {"daily_electricity": ["None", f"{year}-{month:02d}：新增{created_days}天，更新{len(updates)}天"]}
                changes |= {day: [str(old), str(new_value)] for day, (old, new_value) in updates.items()}
                ctx.audit.log(ent, ctx.audit.model.Action.UPDATE, changes, {"enterprise_id": row.ref})
            DailyElectricity.objects.bulk_create(new, batch_size=2000)
            DailyElectricity.objects.bulk_update(changed, ["electricity"], batch_size=500)
        fill_monthly_electricity(touched, ctx)
        return result


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def fill_monthly_electricity(keys: Iterable[tuple[int, int, int]], ctx: ApplyContext | None = None) -> int:
    """Fill `MonthlyFact.electricity` from complete months of daily readings; returns the facts written.

    keys: (enterprise id, year, month). A month is complete when every calendar day has a reading. The daily
    sum is written when the monthly figure is missing (no fact row, or an empty electricity) or was itself
    filled from daily readings earlier (its source is 日用电量汇总); a reported monthly figure wins and is kept.
    """
    by_month: dict[tuple[int, int], list[int]] = {}
    for ent, year, month in keys:
        by_month.setdefault((year, month), []).append(ent)
    now = ctx.now if ctx else timezone.now()
    at = now.isoformat()
    written = 0
    for (year, month), ents in sorted(by_month.items()):
        days = calendar.monthrange(year, month)[1]
        for chunk in chunks(sorted(set(ents))):
            sums = {e: s for e, n, s in DailyElectricity.objects
                    .filter(enterprise_id__in=chunk, day__range=(dt.date(year, month, 1), _month_end(year, month)))
                    .values("enterprise_id").annotate(n=Count("pk"), s=Sum("electricity"))
                    .values_list("enterprise_id", "n", "s") if n == days}
            if not sums:
                continue
            facts = {f.enterprise_id: f for f in MonthlyFact.objects.filter(enterprise_id__in=list(sums), year=year,
                                                                             month=month)}
            new, changed = [], []
            for ent, total in sums.items():
                total = Decimal(total).quantize(Decimal("0.01"))
                fact = facts.get(ent)
                if fact is None:
                    fact = MonthlyFact(enterprise_id=ent, year=year, month=month, electricity=total,
                                       source=DAILY_SOURCE, import_job=ctx.job if ctx else None, received_at=now)
                    new.append(fact)
                    continue
                filled_from_daily = fact.source_of("electricity")["source"] == DAILY_SOURCE
                if fact.electricity is not None and not filled_from_daily:
                    continue  # a reported monthly figure wins
                if fact.electricity is not None and Decimal(fact.electricity) == total:
                    continue
                if ctx is not None:
                    ctx.audit.updated(fact, {"electricity": (fact.electricity, total)}, {"enterprise_id": ent})
                fact.electricity = total
                fact.record_field_source(["electricity"], DAILY_SOURCE, at)
                changed.append(fact)
            MonthlyFact.objects.bulk_create(new, batch_size=500)
            if ctx is not None and new:
                if any(f.pk is None for f in new):
                    ids = dict(MonthlyFact.objects.filter(enterprise_id__in=[f.enterprise_id for f in new], year=year,
                                                          month=month).values_list("enterprise_id", "pk"))
                    for f in new:
                        f.pk = ids[f.enterprise_id]
                for f in new:
                    ctx.audit.created(f, {"year": year, "month": month, "electricity": f.electricity,
                                          "enterprise": f.enterprise_id, "source": f.source},
                                      {"enterprise_id": f.enterprise_id})
            MonthlyFact.objects.bulk_update(changed, ["electricity", "field_sources"], batch_size=500)
            written += len(new) + len(changed)
    return written
