"""Only the indicators API, for the schema test (independent of other apps' views)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from industrybrain.indicators import api

router = DefaultRouter()
api.register(router)

urlpatterns = [path("api-indicators/", include(router.urls))]
