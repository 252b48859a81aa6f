from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "industrybrain.policies"
    label = "policies"
    verbose_name = "惠企政策直达"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models, signals

        for model in (models.Policy, models.Case, models.CaseReview, models.Disbursement, models.PaymentBatch):
            auditlog.register(model)
        signals.connect()
