"""Size class (大/中/小/微) and 规上 status, from the official standards.

工信部联企业〔2011〕300号《中小企业划型标准规定》第四条 (工业): large needs staff ≥ 1000 and revenue
≥ 40000万元; medium staff ≥ 300 and revenue ≥ 2000万元; small staff ≥ 20 and revenue ≥ 300万元; the rest
are micro. 规模以上工业企业: main-business revenue ≥ 2000万元 (国家统计局, since 2011).
Amounts here are in 万元 (10,000 yuan), the unit the registry stores.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ABOVE_SCALE_MAIN_REVENUE = Decimal("2000")  # 万元

# (size, minimum staff, minimum revenue in 万元), checked in order (工信部联企业〔2011〕300号 第四条 工业).
INDUSTRIAL_SIZE_THRESHOLDS: tuple[tuple[str, int, Decimal], ...] = (
    ("large", 1000, Decimal("40000")),
    ("medium", 300, Decimal("2000")),
    ("small", 20, Decimal("300")),
)


class SizeClass(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


def size_class(staff: int | None, revenue: Decimal | float | None) -> str:
    """Size class of an industrial enterprise; empty string when a figure is missing."""
    if staff is None or revenue is None:
        return ""
    revenue = Decimal(str(revenue))
    for size, min_staff, min_revenue in INDUSTRIAL_SIZE_THRESHOLDS:
        if staff >= min_staff and revenue >= min_revenue:
            return size
    return SizeClass.MICRO


def is_above_scale(main_business_revenue: Decimal | float | None) -> bool:
    if main_business_revenue is None:
        return False
    return Decimal(str(main_business_revenue)) >= ABOVE_SCALE_MAIN_REVENUE
