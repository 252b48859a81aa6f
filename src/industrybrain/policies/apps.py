from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "industrybrain.policies"
    label = "policies"
    verbose_name = "惠企政策直达"
