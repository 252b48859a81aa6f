from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from industrybrain.core.urls import auth_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include("industrybrain.api_urls")),
    path("", include("industrybrain.web.urls")),
    path("", include(auth_urlpatterns)),
    path("", include("industrybrain.core.urls")),
    path("enterprises/", include("industrybrain.registry.urls")),
    path("projects/", include("industrybrain.projects.urls")),
    path("monitoring/", include("industrybrain.monitoring.urls")),
    path("cultivation/", include("industrybrain.cultivation.urls")),
    path("policies/", include("industrybrain.policies.urls")),
]
# Uploaded files (import files, evidence) are never served from MEDIA_URL, not even in DEBUG: they are
# downloaded only through views that check the user's scope.
