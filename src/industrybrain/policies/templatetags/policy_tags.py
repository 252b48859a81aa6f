"""Display helpers of the policies pages: a reason's value as people read it, a case state's Chinese name."""

from __future__ import annotations

from typing import Any

from django import template

from industrybrain.policies import eligibility as E
from industrybrain.policies.models import CaseState
from industrybrain.registry.sizing import SizeClass

register = template.Library()


@register.filter
def shown_value(item: dict) -> str:
    """A value read by a condition ({"code", "value", "unit"}) with its unit: 5000万元, 6%, 是, 小型, 无数据."""
    return E.show_value(item.get("code", ""), item.get("value"), item.get("unit", ""))


@register.filter
def state_label(state: Any) -> str:
    """A case state's Chinese name (the workflow history stores the codes)."""
    try:
        return str(CaseState(state).label)
    except ValueError:
        return str(state or "")


@register.filter
def size_name(code: Any) -> str:
    """An enterprise size code's name in the page's language ('small' → 小型 / Small); empty stays empty."""
    if not code:
        return ""
    try:
        return str(SizeClass(code).label)
    except ValueError:
        return E.choice_name("size_class", code)
