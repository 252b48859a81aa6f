"""What the enterprise list shows: its sortable columns on the page and its columns in the Excel export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from industrybrain.core.exports import Column, field
from industrybrain.core.models import Region


@dataclass(frozen=True)
class ListColumn:
    label: str
    sort: str = ""  # the `sort` parameter of EnterpriseFilter, "" when the column is not sortable
    css: str = ""


def list_columns() -> list[ListColumn]:
    return [
        ListColumn(_("统一社会信用代码"), "uscc", "text-nowrap"),
        ListColumn(_("企业名称"), "name"),
        ListColumn(_("所在区划"), "region", "text-nowrap"),
        ListColumn(_("所属行业")),
        ListColumn(_("成立日期"), "founded_on", "text-nowrap"),
        ListColumn(_("企业规模"), "", "text-nowrap"),
        ListColumn(_("规上"), "", "text-nowrap"),
        ListColumn(_("标签")),
    ]


def region_full_names() -> dict[str, str]:
    """Every region's full name (浙江省杭州市西湖区) from one query of the small region table."""
    regions = {r.code: r for r in Region.objects.only("code", "name", "parent_id")}
    names: dict[str, str] = {}
    for code, region in regions.items():
        parts: list[str] = []
        node: Region | None = region
        while node is not None:
            if node.name != "市辖区":
                parts.append(node.name)
            node = regions.get(node.parent_id) if node.parent_id else None
        names[code] = "".join(reversed(parts))
    return names


def _tags(enterprise: Any) -> str:
    return "、".join(tag.name for tag in enterprise.tags.all())


def export_columns() -> list[Column]:
    full_names = region_full_names()

    def region_name(enterprise: Any) -> str:
        return full_names.get(enterprise.region_id, enterprise.region_id)

    steward: Callable[[Any], Any] = field("steward")
    # Export headers stay Chinese whatever the UI language: the file is an exchange format.
    return [
        Column("统一社会信用代码", field("uscc"), 22),
        Column("企业名称", field("name"), 36),
        Column("区划代码", field("region_id"), 10),
        Column("所在区划", region_name, 24),
        Column("行业代码", field("industry_id"), 10),
        Column("所属行业", field("industry.name"), 30),
        Column("成立日期", field("founded_on"), 12),
        Column("登记注册类型", field("get_ownership_display"), 12),
        Column("企业规模", field("get_size_class_display"), 10),
        Column("规上企业", field("above_scale"), 10),
        Column("标签", _tags, 30),
        Column("服务管家", lambda e: str(steward(e)) if e.steward_id else "", 14),
    ]
