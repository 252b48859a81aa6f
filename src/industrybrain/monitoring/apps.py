from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "industrybrain.monitoring"
    label = "monitoring"
    verbose_name = _("运行监测")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        for model in (models.MonitoringConfig, models.TriggerRule, models.WarningLetter, models.RegionPlan,
                      models.PublishedBoard):
            auditlog.register(model)
