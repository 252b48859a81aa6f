"""Demo data for 用电监测 (monitoring.electricity_demo) and the demo generator's value-added calibration:
the platform's own like-for-like derivation reproduces Zhejiang's 规上工业增加值 1–10月 2023 +5.6% and 1–12月
+6.0% at any demo size."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from industrybrain.demo import generator, users
from industrybrain.indicators import derive
from industrybrain.indicators.models import Basis, Indicator
from industrybrain.indicators.services import value_for
from industrybrain.monitoring import electricity, electricity_demo
from industrybrain.registry.models import DailyElectricity, MonthlyFact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("size", "seed"), [(300, 11), (1500, 2023)])
def test_derived_value_added_growth_matches_the_report(size, seed):
    generator.generate(size, seed, stewards=users.ensure_stewards())
    va = Indicator.objects.get(code="above_scale_value_added")
    derive.derive([va], [2023])
    ten = value_for(va, "330000", 2023, 10, Basis.DERIVED)
    twelve = value_for(va, "330000", 2023, 12, Basis.DERIVED)
    assert ten.base_enterprises > 0
    assert abs(ten.ytd_yoy_pct - Decimal("5.6")) <= Decimal("0.1")
    assert abs(twelve.ytd_yoy_pct - Decimal("6.0")) <= Decimal("0.1")


def test_demo_daily_readings_add_up_to_the_monthly_figures_with_a_few_gaps(monkeypatch):
    monkeypatch.setattr(electricity_demo, "DEMO_GAPS", 0.2)  # more gaps than the demo's 1.5%, so some occur
    generator.generate(400, 5, stewards=users.ensure_stewards())
    rows = electricity_demo.build(2023, 12, 5)
    assert rows == DailyElectricity.objects.count() > 0
    assert electricity_demo.months_for(2023, 12) == [(2022, 11), (2022, 12), (2023, 11), (2023, 12)]
    # complete months: each enterprise's days add up to its monthly figure (万千瓦时, to the 4th decimal)
    november = {e: s for e, s in DailyElectricity.objects.filter(day__year=2023, day__month=11)
                .values("enterprise_id").annotate(s=Sum("electricity"), n=Count("pk")).values_list("enterprise_id", "s")}
    monthly = dict(MonthlyFact.objects.filter(year=2023, month=11, electricity__isnull=False)
                   .values_list("enterprise_id", "electricity"))
    assert set(november) == set(monthly)
    assert all(abs(Decimal(str(november[e])) - monthly[e]) < Decimal("0.001") for e in monthly)
    # working days weigh more than the New Year holiday days at the end of December 2022
    one = next(iter(monthly))
    dec = dict(DailyElectricity.objects.filter(enterprise_id=one, day__year=2022, day__month=12)
               .values_list("day", "electricity"))
    assert len(dec) == 31 and dec[dt.date(2022, 12, 30)] > dec[dt.date(2022, 12, 31)]
    # gaps in the demo month only: those enterprises are "数据不足", never alerts
    counts = dict(DailyElectricity.objects.filter(day__year=2023, day__month=12).values("enterprise_id")
                  .annotate(n=Count("pk")).values_list("enterprise_id", "n"))
    gapped = {e for e, n in counts.items() if n == 31 - electricity_demo.GAP_DAYS}
    assert gapped and set(counts.values()) <= {31, 31 - electricity_demo.GAP_DAYS}
    frame = electricity.assess(2023, 12)
    status = dict(zip(frame["enterprise_id"].to_list(), frame["status"].to_list(), strict=True))
    assert all(status[e] == "insufficient" for e in gapped)
    again = electricity_demo.build(2023, 12, 5)
    assert again == rows  # rebuilt from scratch, same rows
