from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "industrybrain.projects"
    label = "projects"
    verbose_name = _("重大产业项目")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        for model in (models.Project, models.AnnualPlan, models.MonthlyInvestmentReport, models.Blocker,
                      models.AlertRule, models.Programme):
            auditlog.register(model)
