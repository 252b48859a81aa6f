from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "industrybrain.projects"
    label = "projects"
    verbose_name = "重大产业项目"
