"""One scoping mechanism: each role sees exactly its region subtree, assignment or own enterprise."""

import pytest
from django.http import Http404

from industrybrain.core.access import get_scoped_or_404, scope
from industrybrain.registry.models import Enterprise, YearlyFact
from tests import factories

pytestmark = pytest.mark.django_db


def visible_names(user):
    return set(scope(user, Enterprise.objects.all()).values_list("name", flat=True))


def test_each_role_sees_its_own_scope(roles, xihu_enterprise, other_enterprises, city_enterprise):
    everyone = {"西湖芯片有限公司", "萧山电池有限公司", "宁波生物药业有限公司", "龙港纺织有限公司",
                "浦东新能源汽车有限公司"}
    zhejiang = everyone - {"浦东新能源汽车有限公司"}
    assert visible_names(roles["admin"]) == everyone
    assert visible_names(roles["province"]) == zhejiang
    assert visible_names(roles["reviewer"]) == zhejiang
    assert visible_names(roles["city"]) == {"西湖芯片有限公司", "萧山电池有限公司"}
    assert visible_names(roles["county"]) == {"西湖芯片有限公司"}
    assert visible_names(roles["steward"]) == {"西湖芯片有限公司"}
    assert visible_names(roles["enterprise"]) == {"西湖芯片有限公司"}


def test_facts_follow_their_enterprise(roles, xihu_enterprise, other_enterprises):
    factories.yearly_fact(xihu_enterprise)
    for other in other_enterprises:
        factories.yearly_fact(other)
    assert scope(roles["county"], YearlyFact.objects.all()).count() == 1
    assert scope(roles["enterprise"], YearlyFact.objects.all()).get().enterprise == xihu_enterprise
    assert scope(roles["province"], YearlyFact.objects.all()).count() == 3


def test_out_of_scope_object_is_404(roles, other_enterprises):
    ningbo = other_enterprises[0]
    for role in ("city", "county", "steward", "enterprise"):
        with pytest.raises(Http404):
            get_scoped_or_404(roles[role], Enterprise.objects.all(), pk=ningbo.pk)
    assert get_scoped_or_404(roles["province"], Enterprise.objects.all(), pk=ningbo.pk) == ningbo


def test_inactive_and_unbound_users_see_nothing(roles, xihu_enterprise):
    roles["county"].is_active = False
    assert visible_names(roles["county"]) == set()
    orphan = factories.user("orphan", "enterprise_user")
    assert visible_names(orphan) == set()
    regionless = factories.user("regionless", "city_officer")
    assert visible_names(regionless) == set()
