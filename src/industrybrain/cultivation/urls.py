from django.urls import path, register_converter

from . import views


class USCCConverter:
    regex = "[0-9A-Z]{18}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(USCCConverter, "uscc")

app_name = "cultivation"

urlpatterns = [
    path("", views.ladder, name="ladder"),
    path("pool/", views.pool, name="pool"),
    path("pool/export/", views.pool_export, name="pool-export"),
    path("enterprises/<uscc:uscc>/", views.enterprise_tiers, name="enterprise-tiers"),
    path("self/", views.self_assessment, name="self-assessment"),
    path("certifications/", views.certification_list, name="certification-list"),
    path("certifications/export/", views.certification_export, name="certification-export"),
    path("certifications/expiring/", views.certification_expiring, name="certification-expiring"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/<uuid:uuid>/", views.run_detail, name="run-detail"),
    path("runs/<uuid:uuid>/progress/", views.run_progress, name="run-progress"),
]
