"""Excel exports of the pool and the certification registry (querysets already scoped by the caller)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone

from industrybrain.core.exports import Column, field, xlsx_response

from . import certificates, tiers


def _gap_lines(entry) -> str:
    return "\n".join(f"{g['name']}：{g['text']}" for g in entry.gaps if g.get("result") == "fail")


def _unknown_lines(entry) -> str:
    return "、".join(g["name"] for g in entry.gaps if g.get("result") == "unknown")


POOL_COLUMNS = [
    Column("统一社会信用代码", field("enterprise.uscc"), 22),
    Column("企业名称", field("enterprise.name"), 32),
    Column("所在区划", lambda e: e.enterprise.region.full_name, 20),
    Column("所属行业", lambda e: str(e.enterprise.industry), 28),
    Column("目标层级", lambda e: tiers.get(e.tier).label, 18),
    Column("未满足条件数", field("failed_count"), 10),
    Column("差距", _gap_lines, 60),
    Column("相对差距合计", lambda e: round(e.relative_gap, 4), 12),
    Column("数据不足的条件", _unknown_lines, 30),
    Column("得分", field("score"), 8),
]


def pool_response(entries: QuerySet, tier_code: str, as_of: dt.date | None) -> FileResponse:
    rows = entries.select_related("enterprise__region__parent__parent", "enterprise__industry")
    day = as_of.isoformat() if as_of else ""
    return xlsx_response(f"后备库-{tiers.get(tier_code).label}-{day}.xlsx", "后备库", POOL_COLUMNS,
                         rows.iterator(chunk_size=2000))


def certification_columns(day: dt.date) -> list[Column]:
    return [
        Column("统一社会信用代码", field("enterprise.uscc"), 22),
        Column("企业名称", field("enterprise.name"), 32),
        Column("所在区划", lambda c: c.enterprise.region.full_name, 20),
        Column("层级", lambda c: certificates.tier_label(c.kind), 22),
        Column("级别", field("level"), 8),
        Column("批次", certificates.batch_of, 16),
        Column("认定日期", field("issued_on"), 12),
        Column("有效期至", field("valid_until"), 12),
        Column("状态", lambda c: certificates.status_of(c, day), 12),
        Column("复核状态", certificates.review_of, 12),
        Column("认定机关", field("issuer"), 24),
        Column("文号", field("document_no"), 24),
    ]


def certification_response(certs: QuerySet) -> FileResponse:
    day = timezone.localdate()
    rows = certs.select_related("enterprise__region__parent__parent", "cultivation")
    return xlsx_response(f"梯度培育资质名录-{day.isoformat()}.xlsx", "资质名录", certification_columns(day),
                         rows.iterator(chunk_size=2000))
