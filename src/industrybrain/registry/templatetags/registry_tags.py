"""Number formatting for registry tables: thousands separated by commas, as in statistical yearbooks.

Django's zh-hans locale has no thousands separator, which makes 万元 figures in the 亿 range hard to
read; these filters format the same way in every language.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def amount(value: Any, places: int = 2) -> str:
    """12345.6 → "12,345.60"; integers with places=0 → "12,345"; None or junk → "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number:,.{int(places)}f}"
