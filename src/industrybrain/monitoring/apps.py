from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "industrybrain.monitoring"
    label = "monitoring"
    verbose_name = "运行监测"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        for model in (models.MonitoringConfig, models.TriggerRule, models.WarningLetter, models.RegionPlan):
            auditlog.register(model)
