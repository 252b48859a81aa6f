from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.import_list, name="import-list"),
    path("new/", import_views.import_new, name="import-new"),
    path("template/<slug:kind>/", import_views.import_template, name="import-template"),
    path("<int:pk>/", import_views.import_detail, name="import-detail"),
    path("<int:pk>/apply/", import_views.import_apply, name="import-apply"),
    path("<int:pk>/errors.xlsx", import_views.import_errors, name="import-errors"),
    path("<int:pk>/file/", import_views.import_file, name="import-file"),
]
