"""Admin of 运行监测, on the project's role-based admin classes (core.admin): administrators edit the
settings, trigger rules (validated like the page), letters and plans (audited); computed rows — trigger hits,
electricity alerts, published boards — are read-only records."""

from django.contrib import admin

from industrybrain.core.admin import AdministratorAdmin, AuditedAdmin

from . import models


class ReadOnlyAdmin(AdministratorAdmin):
    read_only = True


@admin.register(models.MonitoringConfig)
class MonitoringConfigAdmin(AuditedAdmin):
    list_display = ["pk", "mountain_tag", "tier_high_yi", "tier_low_yi", "plan_deadline_days", "baseline_ratio_pct"]


@admin.register(models.TriggerRule)
class TriggerRuleAdmin(AuditedAdmin):
    list_display = ["name", "condition", "indicator", "level", "province", "consecutive", "active"]
    list_filter = ["active", "level"]
    search_fields = ["name", "condition"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        from .trigger_views import TriggerRuleForm  # noqa: PLC0415 (trigger_views imports views, after apps load)

        kwargs["form"] = TriggerRuleForm
        return super().get_form(request, obj, change, **kwargs)


class PublishedBoardRowInline(admin.TabularInline):
    model = models.PublishedBoardRow
    extra = 0
    can_delete = False
    readonly_fields = ["position", "region", "region_name", "group", "value", "rank", "group_size", "previous_rank",
                       "rank_change", "meets_average", "meets_target", "target_text", "status"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.PublishedBoard)
class PublishedBoardAdmin(ReadOnlyAdmin):
    """Read-only: a published board is a record of what was published."""

    list_display = ["indicator", "year", "month", "level", "province", "version", "published_by", "published_at"]
    list_filter = ["year", "level"]
    inlines = [PublishedBoardRowInline]


@admin.register(models.WarningLetter)
class WarningLetterAdmin(AuditedAdmin):
    list_display = ["number", "region", "year", "month", "state", "plan_due_on"]
    list_filter = ["state", "year"]
    readonly_fields = ["state", "state_entered_on", "issued_on", "plan_due_on"]
    raw_id_fields = ["region"]


@admin.register(models.RegionPlan)
class RegionPlanAdmin(AuditedAdmin):
    list_display = ["region", "year", "responsible_leader"]
    raw_id_fields = ["region"]


@admin.register(models.TriggerHit)
class TriggerHitAdmin(ReadOnlyAdmin):
    list_display = ["year", "month", "region", "indicator", "rule", "reason"]
    list_filter = ["year", "month", "rule"]


@admin.register(models.ElectricityAlert)
class ElectricityAlertAdmin(ReadOnlyAdmin):
    list_display = ["year", "month", "enterprise", "region", "level", "baseline_pct", "yoy_pct"]
    list_filter = ["year", "month", "level"]
    raw_id_fields = ["enterprise"]


@admin.register(models.ElectricityDataGap)
class ElectricityDataGapAdmin(ReadOnlyAdmin):
    list_display = ["year", "month", "enterprise", "region", "reason"]
    list_filter = ["year", "month", "reason"]
    raw_id_fields = ["enterprise"]
