from django.contrib import admin

from . import models


@admin.register(models.Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "order"]
    list_filter = ["kind"]


@admin.register(models.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "stage", "project_type", "programme", "total_investment"]
    list_filter = ["stage", "project_type", "programme"]
    search_fields = ["code", "name", "investor_name", "investor_uscc"]
    raw_id_fields = ["enterprise", "service_specialist"]
    readonly_fields = ["stage", "stage_entered_on"]  # lists change only through the stage move (audited)


@admin.register(models.AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "subject", "severity", "enabled", "updated_at"]
    list_filter = ["kind", "subject", "enabled"]
    readonly_fields = ["updated_by", "updated_at"]


@admin.register(models.ProjectAlert)
class ProjectAlertAdmin(admin.ModelAdmin):
    list_display = ["kind", "message", "region", "severity", "status", "last_detected_on"]
    list_filter = ["kind", "severity", "status"]
    readonly_fields = ["rule", "condition", "values"]
