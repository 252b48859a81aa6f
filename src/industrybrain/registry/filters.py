"""The enterprise list's filters: one FilterSet serves the page and its Excel export.

The FilterSet only narrows a queryset that has already been through `core.access.scope`; its region
choices are the user's visible regions, so a filter can never widen what the user sees.
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from industrybrain.core.access import region_subtree_q, visible_regions
from industrybrain.core.models import Industry, IndustryCategory, Region, User

from .forms import IndustryCodeField, RegionChoiceField, region_line_q
from .models import Enterprise, Tag
from .sizing import SizeClass


class IndustryCodeFilter(django_filters.ModelChoiceFilter):
    field_class = IndustryCodeField


class RegionFilter(django_filters.ModelChoiceFilter):
    field_class = RegionChoiceField


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.system.name} · {obj.get_kind_display()} · {obj.name}"


USCC_PREFIX = re.compile(r"[0-9][0-9A-HJ-NPQRTUWXY]{5,17}")


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = CategoryChoiceField


class EnterpriseOrdering(django_filters.OrderingFilter):
    """Sorting by an indexed column where one exists; USCC (unique) breaks ties so pages are stable."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "uscc")
        return qs


ABOVE_SCALE_CHOICES = [("", _("全部")), ("true", _("规上企业")), ("false", _("规下企业"))]


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("企业名称或信用代码"),
        widget=forms.TextInput(attrs={"placeholder": _("名称关键字或信用代码前几位"), "type": "search"}),
    )
    region = RegionFilter(queryset=Region.objects.none(), method="in_region", label=_("所在区划"),
                          empty_label=_("全部区划"),
                          error_messages={"invalid_choice": _("所选区划不存在或不在您的管辖范围内")})
    industry = IndustryCodeFilter(
        queryset=Industry.objects.all(), to_field_name="code", method="in_industry", label=_("行业代码"),
        widget=forms.TextInput(attrs={"placeholder": _("如 C、3973")}),
        error_messages={"invalid_choice": _("未知的行业代码：%(value)s（门类字母或2–4位代码）")},
    )
    category = CategoryFilter(queryset=IndustryCategory.objects.none(), method="in_category", to_field_name="code",
                              label=_("产业体系"), empty_label=_("全部产业"))
    size_class = django_filters.ChoiceFilter(choices=SizeClass.choices, label=_("企业规模"),
                                             empty_label=_("全部规模"))
    above_scale = django_filters.BooleanFilter(
        label=_("规上"), widget=forms.Select(choices=ABOVE_SCALE_CHOICES))
    tag = django_filters.ModelChoiceFilter(field_name="tags", queryset=Tag.objects.all(), label=_("标签"),
                                           empty_label=_("全部标签"), to_field_name="code")
    sort = EnterpriseOrdering(
        fields=(("uscc", "uscc"), ("name", "name"), ("region_id", "region"), ("founded_on", "founded_on")),
        field_labels={"uscc": _("信用代码"), "name": _("企业名称"), "region_id": _("所在区划"),
                      "founded_on": _("成立日期")},
        label=_("排序"), empty_label=_("默认（信用代码）"),
    )

    class Meta:
        model = Enterprise
        fields: list[str] = []

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["region"].queryset = visible_regions(user).order_by("path")  # type: ignore[attr-defined]
        categories = IndustryCategory.objects.select_related("system").prefetch_related("industries")
        if not user.is_administrator and user.region_id is not None:
            # Only the industry systems of the user's own jurisdictions (上海 3+6 is noise in 浙江).
            categories = categories.filter(system__jurisdiction__in=Region.objects.filter(region_line_q(user)))
        self.filters["category"].queryset = categories  # type: ignore[attr-defined]

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        code = value.replace(" ", "").upper()
        if USCC_PREFIX.fullmatch(code):
            # Six or more code characters starting with a digit: a USCC prefix, searched as a range on
            # the unique index (LIKE cannot use it on SQLite, and an OR with the name would scan).
            return qs.filter(uscc__gte=code, uscc__lt=code + "~")
        if code.isascii() and code.isalnum():
            return qs.filter(Q(uscc__startswith=code) | Q(name__icontains=value))
        return qs.filter(name__icontains=value)

    def in_region(self, qs: QuerySet, name: str, value: Region | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(region_subtree_q("region", value))

    def in_industry(self, qs: QuerySet, name: str, value: Industry | None) -> QuerySet:
        if value is None:
            return qs
        # Resolve the (at most ~1,400) industry codes first so the (industry, uscc) index is used.
        return qs.filter(industry_id__in=list(Industry.objects.filter(value.subtree_q()).values_list("code", flat=True)))

    def in_category(self, qs: QuerySet, name: str, value: IndustryCategory | None) -> QuerySet:
        if value is None:
            return qs
        codes = Industry.objects.filter(value.industry_q(field="")).values_list("code", flat=True)
        return qs.filter(industry_id__in=list(codes))

    @property
    def active_count(self) -> int:
        """How many filters (not sorting) are in use, for the collapsed filter panel's badge."""
        if not self.is_bound or not self.is_valid():
            return 0
        return sum(1 for key, value in self.form.cleaned_data.items()
                   if key != "sort" and value not in (None, "", []))

    def filtered(self) -> QuerySet:
        """The filtered queryset; an invalid form shows nothing rather than silently everything."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return self.qs
