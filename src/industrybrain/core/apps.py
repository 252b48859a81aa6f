from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "industrybrain.core"
    label = "core"
    verbose_name = _("平台核心")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.models.signals import post_delete, post_save

        from . import calendar, models

        for calendar_model in (models.CalendarDay, models.CalendarYear):
            post_save.connect(lambda **kw: calendar.invalidate(), sender=calendar_model, weak=False)
            post_delete.connect(lambda **kw: calendar.invalidate(), sender=calendar_model, weak=False)

        for model in (models.User, models.Region, models.Industry, models.IndustrySystem,
                      models.IndustryCategory, models.Department, models.CalendarDay):
            auditlog.register(model, exclude_fields=["password", "last_login"])
