"""Admin of the enterprise registry, usable at 1,000,000 enterprises.

Big foreign keys are raw ids or autocompletes (never a <select> of every enterprise or user), lists
select their related rows in the same query, the list does one COUNT, and the search box looks a
USCC up exactly (through its unique index) instead of scanning names.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from industrybrain.core.admin import AuditedAdmin, is_admin_user
from industrybrain.core.models import Region

from . import uscc
from .models import Certification, DailyElectricity, Enterprise, MonthlyFact, Tag, YearlyFact


class AdminInlinePermissions:
    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)


class CityFilter(admin.SimpleListFilter):
    """地市: the city and every county under it (a prefix of the region path)."""

    title = _("所在地市")
    parameter_name = "city"

    def lookups(self, request, model_admin):
        return [(r.code, r.full_name) for r in Region.objects.filter(level=Region.Level.CITY).select_related("parent")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        city = Region.objects.filter(pk=self.value()).first()
        if city is None:
            return queryset.none()
        return queryset.filter(region__in=list(city.subtree().values_list("code", flat=True)))


class YearFilter(admin.SimpleListFilter):
    """The last twelve years, without a SELECT DISTINCT over millions of facts."""

    title = _("年度")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        this_year = timezone.localdate().year
        return [(str(y), str(y)) for y in range(this_year, this_year - 12, -1)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(year=int(value)) if value and value.isdigit() else queryset


class MonthFilter(admin.SimpleListFilter):
    title = _("月份")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        return [(str(m), _("%(month)s月") % {"month": m}) for m in range(1, 13)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(month=int(value)) if value and value.isdigit() else queryset


def search_by_uscc_or_name(queryset, term: str, name_field: str = "name", uscc_field: str = "uscc"):
    """An 18-character valid USCC is looked up exactly; anything else matches the name."""
    term = term.strip()
    if not term:
        return queryset
    try:
        code = uscc.validate(term)
    except uscc.USCCError:
        return queryset.filter(**{f"{name_field}__icontains": term})
    return queryset.filter(**{uscc_field: code})


class YearlyFactInline(AdminInlinePermissions, admin.TabularInline):
    model = YearlyFact
    extra = 0
    fields = ["year", "revenue", "main_business_revenue", "profit", "tax", "rd_expense", "staff", "source"]
    show_change_link = True
    ordering = ["-year"]


class CertificationInline(AdminInlinePermissions, admin.TabularInline):
    model = Certification
    extra = 0
    fields = ["kind", "name", "level", "issued_on", "valid_until", "issuer", "document_no"]


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    list_display = ["uscc", "name", "region", "industry", "size_class", "above_scale", "steward", "updated_at"]
    list_filter = ["above_scale", "size_class", "ownership", CityFilter]
    list_select_related = ["region", "industry", "steward"]
    search_fields = ["uscc", "name"]
    search_help_text = _("输入18位统一社会信用代码精确查找，或输入企业名称的一部分")
    autocomplete_fields = ["region", "industry", "tags"]
    raw_id_fields = ["steward"]
    readonly_fields = ["size_class", "above_scale", "created_at", "updated_at"]
    inlines = [YearlyFactInline, CertificationInline]
    fieldsets = (
        (None, {"fields": ("uscc", "name", "region", "industry", "founded_on", "ownership",
                           "legal_representative", "address")}),
        (_("规模（由年度数据计算）"), {"fields": ("size_class", "above_scale")}),
        (_("服务与标签"), {"fields": ("steward", "tags")}),
        (_("记录"), {"fields": ("created_at", "updated_at")}),
    )

    def get_search_results(self, request, queryset, search_term):
        return search_by_uscc_or_name(queryset, search_term), False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        enterprise = form.instance
        enterprise.refresh_classification()
        enterprise.save(update_fields=["size_class", "above_scale"])


class FactAdmin(AuditedAdmin):
    list_select_related = ["enterprise", "source_department"]
    raw_id_fields = ["enterprise", "import_job"]
    autocomplete_fields = ["source_department"]
    search_fields = ["enterprise__uscc", "enterprise__name"]
    search_help_text = _("输入企业的统一社会信用代码或名称")

    def get_search_results(self, request, queryset, search_term):
        return search_by_uscc_or_name(queryset, search_term, "enterprise__name", "enterprise__uscc"), False


@admin.register(YearlyFact)
class YearlyFactAdmin(FactAdmin):
    list_display = ["enterprise", "year", "revenue", "main_business_revenue", "profit", "staff", "source",
                    "received_at"]
    list_filter = [YearFilter]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        enterprise = obj.enterprise
        enterprise.refresh_classification()
        enterprise.save(update_fields=["size_class", "above_scale"])


@admin.register(MonthlyFact)
class MonthlyFactAdmin(FactAdmin):
    list_display = ["enterprise", "year", "month", "output", "value_added", "electricity", "source",
                    "received_at"]
    list_filter = [YearFilter, MonthFilter]


@admin.register(DailyElectricity)
class DailyElectricityAdmin(AuditedAdmin):
    """Daily readings (用电监测): looked up by enterprise; corrections go through the import (audited per month)."""

    list_display = ["enterprise", "day", "electricity"]
    list_select_related = ["enterprise"]
    raw_id_fields = ["enterprise"]
    date_hierarchy = "day"
    search_fields = ["enterprise__uscc", "enterprise__name"]
    search_help_text = _("输入企业的统一社会信用代码或名称")
    show_full_result_count = False  # the table holds ~10^8 rows in a province: no COUNT(*) per page

    def get_search_results(self, request, queryset, search_term):
        return search_by_uscc_or_name(queryset, search_term, "enterprise__name", "enterprise__uscc"), False


@admin.register(Certification)
class CertificationAdmin(AuditedAdmin):
    list_display = ["enterprise", "kind", "name", "level", "issued_on", "valid_until", "issuer"]
    list_filter = ["kind", "level"]
    list_select_related = ["enterprise"]
    raw_id_fields = ["enterprise"]
    search_fields = ["enterprise__uscc", "enterprise__name", "name", "document_no"]


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]

