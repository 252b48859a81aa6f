from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "industrybrain.workflow"
    label = "workflow"
    verbose_name = "流程引擎"
