"""Test URLconf: the platform's URLs plus the indicators API mounted at /api/ (until api_urls.py registers it)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from industrybrain.indicators import api
from industrybrain.urls import urlpatterns as platform

router = DefaultRouter()
api.register(router)

urlpatterns = [path("api-indicators/", include(router.urls)), *platform]
