"""The Django admin is the system administrator's console: users, reference data, calendar, imports, audit.

Only staff users whose role is 系统管理员 (or superusers) get anything here: every ModelAdmin of the
project derives from `AdministratorAdmin`, which answers permissions from the role rather than from
Django's per-model permissions, so an administrator needs no permission grants and nobody else —
even a user wrongly marked as staff — sees a thing. Third-party admins the administrator needs
(audit log, login lockouts, API tokens) are re-registered on the same terms.
"""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from auditlog.mixins import AuditlogHistoryAdminMixin
from auditlog.models import LogEntry
from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from .models import (
    CalendarDay,
    CalendarYear,
    Department,
    ImportJob,
    Industry,
    IndustryCategory,
    IndustrySystem,
    Notification,
    Region,
    User,
)

admin.site.site_header = _("产业大脑 · 系统管理")
admin.site.site_title = _("产业大脑系统管理")
admin.site.index_title = _("系统管理")


def is_admin_user(request) -> bool:
    """The admin is for the system administrator role: active staff whose role is administrator."""
    user = request.user
    return bool(user.is_active and user.is_staff and getattr(user, "is_administrator", False))


class AdministratorPermissions:
    """Permissions from the role: administrators may do what the admin class allows (`read_only` off)."""

    read_only = False

    def has_module_permission(self, request) -> bool:
        return is_admin_user(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)

    def has_add_permission(self, request, *args) -> bool:
        return is_admin_user(request) and not self.read_only

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin_user(request) and not self.read_only

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin_user(request) and not self.read_only


class AdministratorAdmin(AdministratorPermissions, admin.ModelAdmin):
    """Base of every project ModelAdmin."""

    show_full_result_count = False  # one COUNT(*) per changelist page, not two, on big tables


class AuditedAdmin(AuditlogHistoryAdminMixin, AdministratorAdmin):
    """Adds the 审计日志 (before → after) history page of each object, linked from the list."""

    show_auditlog_history_link = True


# ---------------------------------------------------------------------------------------------- users


class IBUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class IBUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(AuditlogHistoryAdminMixin, AdministratorPermissions, DjangoUserAdmin):
    """Users and their role, region, department and enterprise. Passwords are hashed with Argon2
    (the first of PASSWORD_HASHERS) through Django's standard password forms."""

    form = IBUserChangeForm
    add_form = IBUserCreationForm
    show_auditlog_history_link = True
    list_display = ["username", "display_name", "role", "region", "department", "enterprise", "is_active",
                    "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["region", "department", "enterprise"]
    search_fields = ["username", "display_name", "email", "enterprise__name", "enterprise__uscc"]
    autocomplete_fields = ["region", "department"]
    raw_id_fields = ["enterprise"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "first_name", "last_name", "email")}),
        (_("角色与数据范围"), {
            "fields": ("role", "region", "department", "enterprise"),
            "description": _("省/市/县经信干部与部门审核人按所属区划及下辖地区查看数据；服务管家看分管企业；"
                           "企业用户只看本企业；系统管理员看全部。"),
        }),
        (_("后台权限"), {
            "fields": ("is_active", "is_staff", "is_superuser"),
            "description": _("只有角色为“系统管理员”且勾选“工作人员状态”的用户可以进入管理后台。"),
        }),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("角色与数据范围"), {"classes": ("wide",),
                            "fields": ("display_name", "role", "region", "department", "enterprise", "is_staff")}),
    )
    filter_horizontal = ()

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)


# ----------------------------------------------------------------------------------- reference data


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "parent", "longitude", "latitude"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path"]


@admin.register(Industry)
class IndustryAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "section", "parent"]
    list_filter = ["level", "section"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]


class IndustryCategoryInline(admin.TabularInline):
    model = IndustryCategory
    extra = 0
    fields = ["code", "name", "kind", "order"]
    show_change_link = True

    # Inline permissions follow the parent's administrator check.
    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin_user(request)


@admin.register(IndustrySystem)
class IndustrySystemAdmin(AuditedAdmin):
    list_display = ["code", "name", "jurisdiction", "source"]
    search_fields = ["code", "name"]
    list_select_related = ["jurisdiction"]
    autocomplete_fields = ["jurisdiction"]
    inlines = [IndustryCategoryInline]


@admin.register(IndustryCategory)
class IndustryCategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "system", "order"]
    list_filter = ["system", "kind"]
    search_fields = ["code", "name"]
    list_select_related = ["system"]
    autocomplete_fields = ["industries"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "region"]
    search_fields = ["code", "name"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]


# ------------------------------------------------------------------------------------------ calendar


@admin.register(CalendarYear)
class CalendarYearAdmin(AdministratorAdmin):
    """A year is "known" once its holiday arrangement (国务院办公厅通知) is entered in 节假日与调休."""

    list_display = ["year", "source"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    """Statutory holidays on weekdays and make-up workdays (调休上班); extend each year from the State
    Council's notice, then add the year to 工作日历年度."""

    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"


# ------------------------------------------------------------------------------ notifications, imports


@admin.register(Notification)
class NotificationAdmin(AdministratorAdmin):
    list_display = ["title", "user", "created_at", "read_at"]
    search_fields = ["title", "user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"


@admin.register(ImportJob)
class ImportJobAdmin(AdministratorAdmin):
    """Import batches are written by the import framework only: read-only here."""

    read_only = True
    list_display = ["id", "kind", "original_name", "status", "created_by", "created_at", "finished_at",
                    "total_rows", "created_count", "updated_count", "error_count"]
    list_filter = ["status", "kind"]
    search_fields = ["original_name", "created_by__username"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"


# ----------------------------------------------------------------- third-party admins, same terms


class AuditLogEntryAdmin(AdministratorPermissions, LogEntryAdmin):
    """审计日志: who, when, what changed (before → after). Never edited, never deleted here."""

    read_only = True

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": _("审计日志"), **(extra_context or {})})


class LoginAttemptAdmin(AdministratorPermissions, AccessAttemptAdmin):
    """Locked-out logins: deleting an attempt unlocks the account (登录锁定解除)."""

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LoginLogAdmin(AdministratorPermissions, AccessLogAdmin):
    read_only = True


class LoginFailureLogAdmin(AdministratorPermissions, AccessFailureLogAdmin):
    read_only = True


class ApiTokenAdmin(AdministratorPermissions, TokenAdmin):
    """API tokens: an administrator issues or revokes a user's token."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False


for _model, _model_admin in ((LogEntry, AuditLogEntryAdmin), (AccessAttempt, LoginAttemptAdmin),
                             (AccessLog, LoginLogAdmin), (AccessFailureLog, LoginFailureLogAdmin),
                             (TokenProxy, ApiTokenAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)

# The audit log app's own name is English ("Audit log") and ships no Chinese translation.
apps.get_app_config("auditlog").verbose_name = _("审计日志")
