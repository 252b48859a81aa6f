"""Test URLconf: the platform's URLs plus the monitoring API at /api-monitoring/ (until api_urls.py registers it)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from industrybrain.monitoring import api
from industrybrain.urls import urlpatterns as platform

router = DefaultRouter()
api.register(router)

urlpatterns = [path("api-monitoring/", include(router.urls)), *platform]
