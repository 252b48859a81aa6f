"""Import of official certification lists (认定名单) from Excel or CSV, through the shared imports engine.

Columns: 统一社会信用代码, 企业名称, 资质类型, 级别, 批次, 认定日期, 有效期至, 文号. A row is matched to an existing
certificate by enterprise, type and issue date (updated), otherwise created. The enterprise must already be
in the registry and inside the importer's region; the name must match the registry's (a different name is
usually a different enterprise or a typo in the list). 有效期至 defaults to three years from 认定日期.
Dry run lists every error in Chinese; the apply is all or nothing (core.imports).
"""

from __future__ import annotations

import datetime as dt
import re
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
    date_value,
    register,
    text,
)
from industrybrain.registry.importers import EnterpriseRowsMixin, parse_uscc
from industrybrain.registry.models import Certification

from . import tiers
from .certificates import default_valid_until
from .models import CertificationInfo

_QUOTES = re.compile(r"[“”\"'‘’「」]")


def _key(value: str) -> str:
    return _QUOTES.sub("", value).replace(" ", "")


KIND_NAMES: dict[str, str] = {}
for _tier in tiers.TIERS:
    for _name in (_tier.code, _tier.label, _tier.short):
        KIND_NAMES[_key(_name)] = _tier.code
KIND_NAMES[_key("专精特新小巨人企业")] = "little_giant"
KIND_NAMES[_key("专精特新小巨人")] = "little_giant"
KIND_NAMES[_key("单项冠军")] = "single_champion"
KIND_NAMES[_key("制造业单项冠军")] = "single_champion"
KIND_NAMES[_key("制造业单项冠军示范企业")] = "single_champion"


def parse_kind(value: str) -> str:
    try:
        return KIND_NAMES[_key(value)]
    except KeyError:
        allowed = "、".join(t.label for t in tiers.TIERS)
        raise CellError(f"“{value}”不是梯度培育的资质类型，应为：{allowed}") from None


def parse_level(value: str) -> str:
    aliases = {"国家": "国家级", "国家级": "国家级", "部级": "国家级", "省": "省级", "省级": "省级",
               "市": "市级", "市级": "市级"}
    try:
        return aliases[value.replace(" ", "")]
    except KeyError:
        raise CellError(f"“{value}”不是有效的级别，应为：国家级、省级、市级") from None


def parse_valid_until(value: str) -> dt.date:
    """Like date_value, but an expiry date may lie in the future."""
    try:
        return date_value(value)
    except CellError as exc:
        if "晚于今天" not in str(exc):
            raise
    for pattern in (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})", r"(\d{4})\.(\d{1,2})\.(\d{1,2})",
                    r"(\d{4})年(\d{1,2})月(\d{1,2})日", r"(\d{4})(\d{2})(\d{2})"):
        match = re.fullmatch(pattern + r"(?:[ T]00:00(?::00(?:\.0+)?)?)?", value)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    if re.fullmatch(r"\d{5}(\.0+)?", value):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(value)))
    raise CellError(f"“{value}”不是有效日期，应为YYYY-MM-DD格式，如2026-08-09")


@register
class CertificationImporter(EnterpriseRowsMixin, Importer):
    kind = "certifications"
    label = gettext_noop("梯度培育认定名单")
    description = ("导入主管部门公布的创新型中小企业、专精特新中小企业、专精特新“小巨人”、制造业单项冠军、"
                   "领航企业认定名单：按企业、资质类型和认定日期匹配，已有的更新，没有的新增。")
    columns = (
        ImportColumn("uscc", "统一社会信用代码", parse_uscc, required=True, example="91330106MA27XY018L",
                     help="18位统一社会信用代码；企业须已在企业库中（先导入企业名录）。"),
        ImportColumn("name", "企业名称", text(200), required=True, example="杭州某某科技有限公司",
                     help="须与企业库中的企业名称一致。"),
        ImportColumn("kind", "资质类型", parse_kind, required=True, example="专精特新中小企业",
                     help="可选：" + "、".join(t.label for t in tiers.TIERS) + "（也可填简称，如“小巨人”）。"),
        ImportColumn("level", "级别", parse_level, example="省级",
                     help="国家级、省级或市级；留空时小巨人、单项冠军、领航企业为国家级，其余为省级。"),
        ImportColumn("batch", "批次", text(60), example="2023年第二批", help="名单的批次，如“第五批”“2023年度”。"),
        ImportColumn("issued_on", "认定日期", date_value, required=True, example="2023-07-20",
                     help="格式YYYY-MM-DD，不能晚于今天。"),
        ImportColumn("valid_until", "有效期至", parse_valid_until, example="2026-07-19",
                     help="留空时按认定日期起3年计算（认定日期加3年的前一天）。"),
        ImportColumn("document_no", "文号", text(100), example="工信部企业函〔2023〕158号", help="认定文件的文号。"),
    )

    def prepare(self, rows: list[Row]) -> None:
        ids = self.load_enterprises(rows)
        self.existing: dict[tuple[int, str, dt.date], int] = {}
        for chunk in chunks(ids):
            for pk, eid, kind, issued in Certification.objects.filter(
                    enterprise_id__in=chunk, kind__in=tiers.TIER_CODES).values_list(
                    "pk", "enterprise_id", "kind", "issued_on"):
                self.existing[(eid, kind, issued)] = pk
        self.seen: dict[tuple[str, str, dt.date], int] = {}

    def check(self, row: Row) -> Iterable[tuple[str, str]]:
        values = row.values
        code = values.get("uscc")
        problems = self.enterprise_problems(row)
        yield from problems
        if problems and row.ref is None:
            return
        issued, valid = values.get("issued_on"), values.get("valid_until")
        if issued and valid and valid <= issued:
            yield "valid_until", "有效期至应晚于认定日期"
        if code and values.get("kind") and issued:
            key = (code, values["kind"], issued)
            if key in self.seen:
                yield "uscc", f"与第{self.seen[key]}行重复（同一企业、资质类型和认定日期）"
            else:
                self.seen[key] = row.number
            if row.ref is not None:
                row.exists = (row.ref, values["kind"], issued) in self.existing

    def apply(self, rows: list[Row], ctx: ApplyContext) -> ApplyResult:
        result = ApplyResult()
        fields = ("name", "level", "valid_until", "document_no")
        new: list[tuple[Certification, str]] = []
        for row in rows:
            v = row.values
            tier = tiers.get(v["kind"])
            level = v.get("level") or tier.default_level
            valid = v.get("valid_until") or default_valid_until(v["issued_on"])
            pk = self.existing.get((row.ref, v["kind"], v["issued_on"]))
            if pk is None:
                cert = Certification(enterprise_id=row.ref, kind=v["kind"], name=tier.label, level=level,
                                     issued_on=v["issued_on"], valid_until=valid,
                                     document_no=v.get("document_no", ""),
                                     issuer="工业和信息化部" if level == "国家级" else "")
                new.append((cert, v.get("batch", "")))
                continue
            cert = Certification.objects.get(pk=pk)
            wanted = {"name": tier.label, "level": level, "valid_until": valid,
                      "document_no": v.get("document_no", cert.document_no)}
            changes = {f: (getattr(cert, f), wanted[f]) for f in fields if getattr(cert, f) != wanted[f]}
            info, _created = CertificationInfo.objects.get_or_create(certification=cert)
            batch_changed = "batch" in v and info.batch != v["batch"]
            if changes:
                for f, (_old, value) in changes.items():
                    setattr(cert, f, value)
                cert.save(update_fields=list(changes))
                ctx.audit.updated(cert, changes, {"enterprise_id": cert.enterprise_id})
            if batch_changed:
                ctx.audit.updated(info, {"batch": (info.batch, v["batch"])}, {"enterprise_id": cert.enterprise_id})
                info.batch = v["batch"]
                info.save(update_fields=["batch"])
            if changes or batch_changed:
                result.updated += 1
            else:
                result.unchanged += 1
        created = Certification.objects.bulk_create([c for c, _b in new], batch_size=1000)
        CertificationInfo.objects.bulk_create(
            [CertificationInfo(certification=c, batch=b) for c, (_c, b) in zip(created, new, strict=True)],
            batch_size=1000)
        for cert in created:
            ctx.audit.created(cert, {f: getattr(cert, f) for f in ("kind", "name", "level", "issued_on",
                                                                   "valid_until", "document_no")},
                              {"enterprise_id": cert.enterprise_id})
        result.created = len(created)
        return result
