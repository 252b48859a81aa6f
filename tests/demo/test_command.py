"""`industrybrain demo`: one login per role with its scope, reuse on a second run, explicit rebuild."""

from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError

from industrybrain.core.access import scope
from industrybrain.core.models import Role, User
from industrybrain.demo import users
from industrybrain.demo.models import DemoBuild
from industrybrain.registry.models import Enterprise, YearlyFact
from tests import factories

pytestmark = pytest.mark.django_db


def demo(*args: str) -> str:
    out = StringIO()
    call_command("ib_demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def test_demo_logins_show_their_scope():
    output = demo("--enterprises", "300", "--seed", "5")
    assert "http://127.0.0.1:8000/" in output
    validate_password(users.DEMO_PASSWORD)
    by_name = {u.username: u for u in User.objects.all()}
    for login in users.DEMO_LOGINS:
        user = by_name[login.username]
        assert user.role == login.role
        assert user.check_password(users.DEMO_PASSWORD)
        assert login.username in output
    everything = Enterprise.objects.all()

    county = scope(by_name["county"], everything)
    assert county.exists() and set(county.values_list("region_id", flat=True)) == {"330106"}
    city = scope(by_name["city"], everything)
    assert {r[:4] for r in city.values_list("region_id", flat=True)} == {"3301"}
    assert city.count() > county.count()
    province = scope(by_name["province"], everything)
    assert {r[:2] for r in province.values_list("region_id", flat=True)} == {"33"}
    assert province.count() < everything.count()  # Shanghai is outside
    assert by_name["reviewer"].department.code == "zj-kjt"

    own = scope(by_name["enterprise"], everything)
    assert own.count() == 1 and own.get().region_id == "330106"
    assert scope(by_name["enterprise"], YearlyFact.objects.all()).count() == 5
    stewarded = scope(by_name["steward"], everything)
    assert stewarded.exists() and own.get() in stewarded
    assert set(stewarded.values_list("steward__username", flat=True)) == {"steward"}

    admin = by_name["admin"]
    assert admin.is_superuser and admin.is_staff and admin.role == Role.ADMINISTRATOR
    assert scope(admin, everything).count() == 300
    assert [row[1] for row in users.login_table_rows()] == [login.username for login in users.DEMO_LOGINS]


def test_second_run_reuses_and_other_size_needs_rebuild():
    demo("--enterprises", "200")
    counts = (Enterprise.objects.count(), YearlyFact.objects.count(), User.objects.count())
    assert "沿用" in demo("--enterprises", "200")
    assert (Enterprise.objects.count(), YearlyFact.objects.count(), User.objects.count()) == counts
    assert "--rebuild" in demo("--enterprises", "150")
    assert Enterprise.objects.count() == 200
    demo("--enterprises", "150", "--rebuild")
    assert Enterprise.objects.count() == 150
    assert User.objects.count() == counts[2]
    assert DemoBuild.objects.get().enterprises == 150
    assert User.objects.get(username="enterprise").enterprise is not None


def test_interrupted_build_is_rebuilt():
    demo("--enterprises", "100")
    DemoBuild.objects.update(finished_at=None)
    demo("--enterprises", "100")
    assert Enterprise.objects.count() == 100
    assert DemoBuild.objects.get().complete


def test_registry_with_other_data_is_not_touched():
    factories.enterprise("330106")
    with pytest.raises(CommandError):
        demo("--enterprises", "50")
    assert Enterprise.objects.count() == 1
