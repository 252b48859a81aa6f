from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "industrybrain.monitoring"
    label = "monitoring"
    verbose_name = "运行监测"
