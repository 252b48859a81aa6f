from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.enterprise_list, name="enterprise-list"),
    path("export/", views.enterprise_export, name="enterprise-export"),
    path("new/", views.enterprise_create, name="enterprise-create"),
    path("<int:pk>/", views.enterprise_detail, name="enterprise-detail"),
    path("<int:pk>/edit/", views.enterprise_edit, name="enterprise-edit"),
    path("<int:pk>/facts/<int:year>/", views.yearly_fact_edit, name="yearly-fact-edit"),
]
