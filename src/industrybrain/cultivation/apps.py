from django.apps import AppConfig


class CultivationConfig(AppConfig):
    name = "industrybrain.cultivation"
    label = "cultivation"
    verbose_name = "梯度培育"
