import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    """`api_as(user)` returns an APIClient signed in (session) as `user`."""

    def login(user):
        client = APIClient()
        client.force_login(user)
        return client

    return login
