from django.urls import path

from . import bulletin_views, electricity_views, trigger_views, views

app_name = "monitoring"

urlpatterns: list = [
    path("bulletin/", bulletin_views.bulletin, name="bulletin"),
    path("bulletin/docx/", bulletin_views.bulletin_docx, name="bulletin-docx"),
    path("", views.cockpit, name="cockpit"),
    path("board/", views.board, name="board"),
    path("board/xlsx/", views.board_xlsx, name="board-xlsx"),
    path("board/docx/", views.board_docx, name="board-docx"),
    path("board/publish/", views.board_publish, name="board-publish"),
    path("triggers/", views.hits, name="hits"),
    path("triggers/draft/", views.draft, name="letter-draft"),
    path("triggers/run/", trigger_views.run, name="trigger-run"),
    path("triggers/rules/", trigger_views.rule_list, name="trigger-rules"),
    path("triggers/rules/xlsx/", trigger_views.rule_xlsx, name="trigger-rules-xlsx"),
    path("triggers/rules/new/", trigger_views.rule_edit, name="trigger-rule-new"),
    path("triggers/rules/<int:pk>/", trigger_views.rule_edit, name="trigger-rule"),
    path("letters/", views.letter_list, name="letters"),
    path("letters/<int:pk>/", views.letter_detail, name="letter-detail"),
    path("letters/<int:pk>/move/", views.letter_move, name="letter-move"),
    path("letters/<int:pk>/progress/", views.letter_progress, name="letter-progress"),
    path("letters/<int:pk>/docx/", views.letter_docx, name="letter-docx"),
    path("plans/", views.plans, name="plans"),
    path("plans/<str:code>/", views.plan_edit, name="plan-edit"),
    path("electricity/", electricity_views.electricity_page, name="electricity"),
    path("electricity/xlsx/", electricity_views.electricity_xlsx, name="electricity-xlsx"),
]
