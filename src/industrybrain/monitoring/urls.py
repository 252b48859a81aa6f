from django.urls import path

from . import bulletin_views

app_name = "monitoring"

urlpatterns: list = [
    path("bulletin/", bulletin_views.bulletin, name="bulletin"),
    path("bulletin/docx/", bulletin_views.bulletin_docx, name="bulletin-docx"),
]
