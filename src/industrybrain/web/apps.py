from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "industrybrain.web"
    label = "web"
    verbose_name = "界面"
