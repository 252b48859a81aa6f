"""One router for the whole REST API; each app registers its viewsets in its own `api.py`.

`POST /api/auth/token/` (username, password) returns the caller's token for
`Authorization: Token <key>`; it authenticates through django-axes like the login page, so repeated
failures lock the account there too.
"""

from django.urls import path
from rest_framework.routers import DefaultRouter

from industrybrain.core import api as core_api
from industrybrain.cultivation import api as cultivation_api
from industrybrain.indicators import api as indicators_api
from industrybrain.monitoring import api as monitoring_api
from industrybrain.policies import api as policies_api
from industrybrain.projects import api as projects_api
from industrybrain.registry import api as registry_api

router = DefaultRouter()
core_api.register(router)
registry_api.register(router)
projects_api.register(router)
indicators_api.register(router)
cultivation_api.register(router)
policies_api.register(router)
monitoring_api.register(router)

urlpatterns = [
    path("auth/token/", core_api.ObtainTokenView.as_view(), name="api-token"),
    *router.urls,
]
