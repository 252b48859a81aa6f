from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "industrybrain.registry"
    label = "registry"
    verbose_name = _("企业库（一企一档）")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.Enterprise, m2m_fields={"tags"})
        for model in (models.YearlyFact, models.MonthlyFact, models.Certification, models.Tag):
            auditlog.register(model)
