import pytest
from django.utils import translation

from tests import factories


@pytest.fixture(autouse=True)
def _default_language():
    """A test that switched a client to English must not leave English active for the next test's thread."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _migration_data_for_transactional_tests(request):
    """Transactional tests start on whatever the previous one left: put the migration data back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        from tests.dbdata import restore_if_flushed

        restore_if_flushed()


@pytest.fixture
def xihu_enterprise(db):
    """An enterprise in 杭州市西湖区 (330106)."""
    return factories.enterprise("330106", "3973", name="西湖芯片有限公司")


@pytest.fixture
def roles(db, xihu_enterprise):
    return factories.role_users(xihu_enterprise)


@pytest.fixture
def other_enterprises(db):
    """Enterprises the Xihu users must never see: 宁波, 温州 and 上海."""
    return [
        factories.enterprise("330203", "2761", name="宁波生物药业有限公司"),
        factories.enterprise("330383", "1711", name="龙港纺织有限公司"),
        factories.enterprise("310115", "3612", name="浦东新能源汽车有限公司"),
    ]


@pytest.fixture
def city_enterprise(db):
    """In 杭州市 (330100) but outside 西湖区: the city sees it, the county does not."""
    return factories.enterprise("330109", "3841", name="萧山电池有限公司")
