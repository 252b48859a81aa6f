"""Golden figures from ../shared/reference/mechanisms.md §2 (progress arithmetic and the start curve)."""

import datetime as dt
from decimal import Decimal

import pytest

from industrybrain.projects import figures
from industrybrain.projects.models import MonthlyInvestmentReport

from .conftest import make_project


def test_completion_rate_and_time_progress_golden():
    # "30.90% in Jan–Mar = 5.90 points ahead" (mechanisms.md §2)
    rate = figures.completion_rate(Decimal("3090"), Decimal("10000"))
    assert rate == Decimal("30.90")
    assert figures.time_progress(3) == Decimal("25.00")
    assert figures.progress_gap(rate, 3) == Decimal("5.90")
    assert figures.progress_phrase(Decimal("5.90")) == "超过时间进度5.90个百分点"
    assert figures.progress_phrase(Decimal("-2.5")) == "落后时间进度2.50个百分点"
    assert figures.progress_phrase(Decimal("0")) == "与时间进度持平"
    assert figures.completion_rate(100, 0) is None


def test_qxwy_completion_rate_golden():
    # 2024 Q1–Q3: 1299 projects completed 10757亿, 投资完成率 98.9% → plan ≈ 10877亿
    assert figures.completion_rate(Decimal("10757"), Decimal("10877")).quantize(Decimal("0.1")) == Decimal("98.9")


def test_start_rate_golden():
    # 开工率 = started / planned to start (206/255 = 80.8%)
    assert figures.start_rate(206, 255).quantize(Decimal("0.1")) == Decimal("80.8")
    assert figures.start_rate(1, 0) is None


@pytest.mark.parametrize(("as_of", "percent", "strict"), [
    (dt.date(2026, 3, 30), None, None),
    (dt.date(2026, 3, 31), Decimal(30), False),
    (dt.date(2026, 6, 30), Decimal(60), True),
    (dt.date(2026, 9, 30), Decimal(85), True),
    (dt.date(2026, 10, 31), Decimal(100), False),
    (dt.date(2026, 12, 31), Decimal(100), False),
])
def test_start_curve_30_60_85_100(as_of, percent, strict):
    point = figures.curve_point(as_of)
    if percent is None:
        assert point is None
    else:
        assert (point.percent, point.strict) == (percent, strict)


def test_curve_comparison_is_at_least_30_but_above_60():
    q1, q2 = figures.START_CURVE[0], figures.START_CURVE[1]
    assert q1.met_by(Decimal(30)) and not q1.met_by(Decimal("29.99"))
    assert not q2.met_by(Decimal(60)) and q2.met_by(Decimal("60.01"))


@pytest.mark.django_db
def test_six_lists_and_year_figures(xihu_enterprise, plan):
    a = make_project(total=Decimal("20000"), stage="signed", actual_signed=dt.date(2026, 2, 1))
    b = make_project(total=Decimal("5000"), stage="started", actual_signed=dt.date(2026, 2, 1),
                     planned_started=dt.date(2026, 5, 1), actual_started=dt.date(2026, 5, 3))
    make_project(total=Decimal("30000"), stage="completed", actual_signed=dt.date(2024, 1, 1),
                 actual_completed=dt.date(2026, 7, 1), planned_started=dt.date(2026, 3, 1))
    plan(a, "1000")
    plan(b, "3000")
    MonthlyInvestmentReport.objects.create(project=b, year=2026, month=2, month_completed=500, ytd_completed=500,
                                           cumulative_completed=500)
    MonthlyInvestmentReport.objects.create(project=b, year=2026, month=3, month_completed=427,
                                           ytd_completed=927, cumulative_completed=927)
    from industrybrain.projects.models import Project

    lists = {f.stage: f for f in figures.six_lists(Project.objects.all())}
    assert [lists[s].count for s in ("signed", "land_acquired", "started", "completed")] == [1, 0, 1, 1]
    assert lists["completed"].total_investment_yi == Decimal("3.00")
    year = figures.year_figures(Project.objects.all(), 2026)
    assert (year.plan, year.completed, year.elapsed_months) == (Decimal(4000), Decimal(927), 3)
    assert year.completion_rate == Decimal("23.18")
    assert year.gap_phrase == "落后时间进度1.82个百分点"
    assert (year.signed_count, year.signed_big_count, year.signed_big_total) == (2, 1, Decimal(20000))
    assert (year.started_count, year.completed_count) == (1, 1)
    assert (year.planned_to_start, year.started_of_planned, year.start_rate) == (2, 1, Decimal("50.00"))


def test_pages_open_on_the_latest_year_with_plans_not_an_empty_current_year(db, project_factory, plan):
    import datetime as dt

    from industrybrain.projects import figures

    assert figures.default_year(dt.date(2026, 5, 1)) == 2026  # nothing filed: this year
    plan(project_factory(), "1000", year=2023)
    assert figures.default_year(dt.date(2026, 5, 1)) == 2023
    plan(project_factory(), "1000", year=2027)  # a plan for a future year does not move the default
    assert figures.default_year(dt.date(2026, 5, 1)) == 2023
