from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "industrybrain.rules"
    label = "rules"
    verbose_name = "规则引擎"

    def ready(self) -> None:
        from . import signals

        signals.connect()
