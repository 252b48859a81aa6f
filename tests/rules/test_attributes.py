"""The current-attribute table: same feature values as the history pivot for every date, kept in step on write."""

import datetime

import pytest

from industrybrain.rules import attributes, snapshot
from industrybrain.rules import evaluate as ev
from industrybrain.rules.loader import LIBRARY, load_library
from industrybrain.rules.models import EnterpriseAttribute
from tests.rules.cases import build_enterprise, load_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def ents():
    load_library()
    _spec, suite, _ = load_cases(LIBRARY / "tiers" / "srdi_sme_2022.cases.yaml")
    one = build_enterprise(suite["base"], datetime.date(2023, 7, 1))
    two = build_enterprise(suite["base"], datetime.date(2023, 7, 1))
    EnterpriseAttribute.objects.filter(enterprise=two, code="rd_institute_level").delete()
    # two values of one attribute: city from 2022, provincial recorded 2024-01-01
    EnterpriseAttribute.objects.create(enterprise=two, code="rd_institute_level", value_text="city",
                                       as_of=datetime.date(2022, 1, 1))
    EnterpriseAttribute.objects.create(enterprise=two, code="rd_institute_level", value_text="provincial",
                                       as_of=datetime.date(2024, 1, 1))
    return one, two


def level(snap, eid):
    return snapshot.rows_as_of(snap, snap.refresh_seq, [eid])[eid]["f_rd_institute_level"]


@pytest.mark.parametrize(("day", "want"), [(datetime.date(2023, 7, 1), "city"), (datetime.date(2024, 7, 1), "provincial"),
                                           (datetime.date(2021, 7, 1), "none")])
def test_snapshot_from_the_current_table_equals_the_history_for_every_date(ents, day, want):
    _one, two = ents
    attributes.rebuild()
    snap = snapshot.build(day)
    assert level(snap, two.pk) == want
    spec = ev.version_for("srdi_sme", datetime.date(2023, 7, 1)).spec()
    registry = {r["enterprise_id"]: r for r in ev.run(spec, day, [e.pk for e in ents])}  # history pivot
    from_snapshot = {r["enterprise_id"]: r for r in ev.run(spec, day, snapshot=snap)}
    assert from_snapshot == registry


def test_table_is_kept_in_step_on_write_and_rebuilt_after_bulk_writes(ents):
    one, two = ents
    attributes.rebuild()
    assert attributes.in_step()
    attr = EnterpriseAttribute.objects.create(enterprise=one, code="rd_institute_level", value_text="national",
                                              as_of=datetime.date(2023, 7, 1))
    assert attributes.in_step()  # a model write: the row and the bookkeeping follow
    assert level(snapshot.build(datetime.date(2023, 7, 1)), one.pk) == "national"
    attr.delete()
    assert attributes.in_step()
    assert level(snapshot.build(datetime.date(2023, 7, 1)), one.pk) != "national"
    EnterpriseAttribute.objects.bulk_create([EnterpriseAttribute(
        enterprise=two, code="rd_institute_level", value_text="national", as_of=datetime.date(2023, 7, 1))])
    assert not attributes.in_step()  # a bulk write is noticed …
    snap = snapshot.build(datetime.date(2023, 7, 1))  # … and the snapshot rebuilds the table first
    assert attributes.in_step() and level(snap, two.pk) == "national"
