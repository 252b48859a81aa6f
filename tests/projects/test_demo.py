"""Demo generator: deterministic, and consistent with the report's figures at any scale."""

import datetime as dt
from decimal import Decimal

import pytest

from industrybrain.projects import demo, figures
from industrybrain.projects.models import MonthlyInvestmentReport, Project
from industrybrain.registry.models import Enterprise
from tests import factories

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 20)


@pytest.fixture
def enterprises(db):
    return [factories.enterprise(code, "3973") for code in ("330106", "330109", "330203", "330383", "310115")]


def fingerprint():
    return list(Project.objects.order_by("code").values_list("code", "stage", "total_investment", "actual_started"))


def test_deterministic_for_a_seed(enterprises):
    demo.generate(enterprises, seed=3, scale=0.05, as_of=AS_OF)
    first = fingerprint()
    demo.clear()
    demo.generate(enterprises, seed=3, scale=0.05, as_of=AS_OF)
    assert fingerprint() == first
    demo.clear()
    demo.generate(enterprises, seed=4, scale=0.05, as_of=AS_OF)
    assert fingerprint() != first


def test_report_scale_figures(enterprises):
    summary = demo.generate(enterprises, seed=1, scale=1.0, as_of=AS_OF)
    year = figures.year_figures(Project.objects.all(), 2026, as_of=AS_OF)
    assert 1450 <= summary.projects <= 1600
    assert year.signed_big_count > 1300
    assert year.signed_big_total > Decimal("120000000")  # 1.2万亿元 in 万元
    assert (year.started_count, year.completed_count) == (187, 98)
    lists = figures.six_lists(Project.objects.all())
    assert all(f.count > 0 for f in lists)
    assert sum(f.count for f in lists) == summary.projects
    assert MonthlyInvestmentReport.objects.exists()
    # reports are internally consistent: cumulative never above the total investment
    assert not MonthlyInvestmentReport.objects.filter(cumulative_completed__gt=Decimal("1e12")).exists()
    new_investors = Project.objects.filter(enterprise__isnull=True)
    assert new_investors.exists() and all(len(u) == 18 for u in new_investors.values_list("investor_uscc", flat=True))


def test_scaled_figures(enterprises):
    demo.generate(Enterprise.objects.all(), seed=2, scale=0.1, as_of=AS_OF)
    year = figures.year_figures(Project.objects.all(), 2026, as_of=AS_OF)
    assert (year.signed_big_count, year.started_count, year.completed_count) == (131, 19, 10)
    assert year.signed_big_total >= Decimal("12000000")
    assert set(Project.objects.values_list("region_id", flat=True)) <= {e.region_id for e in enterprises}


def test_demo_alerts_are_a_believable_few(enterprises):
    """At the demo's snapshot (end of the report's year) 5–15% of projects are alerted, over every kind."""
    from industrybrain.projects import alerts

    as_of = dt.date(2023, 12, 31)
    summary = demo.generate(enterprises, seed=11, scale=1.0, as_of=as_of)
    year = figures.year_figures(Project.objects.all(), 2023, as_of=as_of)
    assert (year.signed_big_count, year.started_count, year.completed_count) == (1310, 187, 98)
    found = alerts.find_all(as_of)
    alerted = {f.project_id for f in found if f.project_id}
    assert 0.05 * summary.projects <= len(alerted) <= 0.15 * summary.projects
    assert {f.kind for f in found} == {"stage_overdue", "behind_time_progress", "start_rate_below_curve",
                                       "stage_too_long"}
    assert len({f.region_id for f in found}) >= 5
