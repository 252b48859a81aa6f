"""The project's URLs plus the cultivation API on its own router (until api_urls.py registers it)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from industrybrain.cultivation import api
from industrybrain.urls import urlpatterns as project_urls

router = DefaultRouter()
api.register(router)

urlpatterns = [path("capi/", include(router.urls)), *project_urls]
