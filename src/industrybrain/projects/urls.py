from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("new/", views.project_create, name="project-create"),
    path("export/", views.project_export, name="project-export"),
    path("rollup/", views.rollup, name="rollup"),
    path("crosscheck/", views.crosscheck_page, name="crosscheck"),
    path("crosscheck/export/", views.crosscheck_export, name="crosscheck-export"),
    path("alerts/", views.alert_list, name="alert-list"),
    path("alerts/<int:pk>/raise/", views.alert_raise, name="alert-raise"),
    path("alert-rules/", views.alert_rule_list, name="alert-rule-list"),
    path("alert-rules/new/", views.alert_rule_edit, name="alert-rule-create"),
    path("alert-rules/<slug:code>/", views.alert_rule_edit, name="alert-rule-edit"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    path("<int:pk>/", views.project_detail, name="project-detail"),
    path("<int:pk>/move/", views.project_move, name="project-move"),
    path("<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("<int:pk>/reports/new/", views.project_report, name="project-report"),
    path("<int:pk>/blockers/new/", views.blocker_add, name="blocker-add"),
]
