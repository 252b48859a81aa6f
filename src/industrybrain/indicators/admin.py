from django.contrib import admin

from .models import Indicator, IndicatorTarget, IndicatorValue, ReferenceSeries, ReferenceValue


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "frequency", "aggregation", "direction", "first_month",
                    "source_department", "is_official", "order"]
    list_filter = ["is_official", "frequency", "aggregation"]
    search_fields = ["code", "name", "short_name"]
    readonly_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class FigureAdmin(admin.ModelAdmin):
    """Figures are corrected by recording a new revision (import, API, services.record_values), never edited
    in place: the admin shows them read-only."""

    list_filter = ["is_current", "year", "indicator"]
    date_hierarchy = "received_at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(IndicatorValue)
class IndicatorValueAdmin(FigureAdmin):
    list_display = ["indicator", "region", "year", "month", "basis", "month_value", "ytd_value", "yoy_pct",
                    "ytd_yoy_pct", "revision", "is_current", "source", "received_at"]
    list_filter = ["is_current", "basis", "year", "indicator"]
    search_fields = ["region__code", "region__name"]
    list_select_related = ["indicator", "region"]
    raw_id_fields = ["region", "import_job"]


@admin.register(ReferenceSeries)
class ReferenceSeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "style", "order"]


@admin.register(ReferenceValue)
class ReferenceValueAdmin(FigureAdmin):
    list_display = ["series", "indicator", "year", "month", "ytd_yoy_pct", "yoy_pct", "ytd_value", "revision",
                    "is_current", "source"]
    list_filter = ["is_current", "series", "year", "indicator"]
    list_select_related = ["series", "indicator"]


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(admin.ModelAdmin):
    list_display = ["indicator", "region", "year", "target_value", "target_growth_pct", "note"]
    list_filter = ["year", "indicator"]
    search_fields = ["region__code", "region__name"]
    raw_id_fields = ["region"]
