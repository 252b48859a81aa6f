from django.contrib import admin

from . import models


@admin.register(models.MonitoringConfig)
class MonitoringConfigAdmin(admin.ModelAdmin):
    list_display = ["pk", "mountain_tag", "tier_high_yi", "tier_low_yi", "plan_deadline_days", "baseline_ratio_pct"]


@admin.register(models.TriggerRule)
class TriggerRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "indicator", "level", "bottom_n", "consecutive", "active"]
    list_filter = ["kind", "active"]


@admin.register(models.WarningLetter)
class WarningLetterAdmin(admin.ModelAdmin):
    list_display = ["number", "region", "year", "month", "state", "plan_due_on"]
    list_filter = ["state", "year"]
    readonly_fields = ["state", "state_entered_on", "issued_on", "plan_due_on"]


@admin.register(models.RegionPlan)
class RegionPlanAdmin(admin.ModelAdmin):
    list_display = ["region", "year", "responsible_leader"]


@admin.register(models.TriggerHit)
class TriggerHitAdmin(admin.ModelAdmin):
    list_display = ["year", "month", "region", "indicator", "rule", "reason"]
    list_filter = ["year", "month", "rule"]


@admin.register(models.ElectricityAlert)
class ElectricityAlertAdmin(admin.ModelAdmin):
    list_display = ["year", "month", "enterprise", "region", "level", "baseline_pct", "yoy_pct"]
    list_filter = ["year", "month", "level"]
    raw_id_fields = ["enterprise"]
