from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CultivationConfig(AppConfig):
    name = "industrybrain.cultivation"
    label = "cultivation"
    verbose_name = _("梯度培育")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.CertificationInfo)
