"""One router for the whole REST API; each app registers its viewsets in its own `api.py`."""

from rest_framework.routers import DefaultRouter

from industrybrain.core import api as core_api
from industrybrain.registry import api as registry_api

router = DefaultRouter()
core_api.register(router)
registry_api.register(router)

urlpatterns = router.urls
