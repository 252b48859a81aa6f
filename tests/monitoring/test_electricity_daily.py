"""用电监测 on daily readings: working-day averages (Chinese calendar), the December baseline with its New Year
holiday and make-up day, missing days ("数据不足", never a silent alert), and the monthly proxy per calendar day.
Every expected figure below is computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from industrybrain.monitoring import electricity
from industrybrain.monitoring.models import ElectricityAlert
from industrybrain.registry.models import DailyElectricity, MonthlyFact
from tests import factories

pytestmark = pytest.mark.django_db

DEC_2018 = (dt.date(2018, 12, 1), dt.date(2018, 12, 31))
MAR_2019 = (dt.date(2019, 3, 1), dt.date(2019, 3, 31))
MAR_2018 = (dt.date(2018, 3, 1), dt.date(2018, 3, 31))


def readings(ent, span: tuple[dt.date, dt.date], value: Callable[[dt.date], str | None]) -> None:
    first, last = span
    rows = []
    for i in range((last - first).days + 1):
        day = first + dt.timedelta(days=i)
        v = value(day)
        if v is not None:
            rows.append(DailyElectricity(enterprise=ent, day=day, electricity=Decimal(v)))
    DailyElectricity.objects.bulk_create(rows)


def december(day: dt.date) -> str:
    """10 on each of December 2018's 21 working days (the 29th, a Saturday, was a make-up working day),
    2 on the New Year holiday Monday the 31st, 3 on the other 9 days: total 210 + 2 + 27 = 239."""
    if day == dt.date(2018, 12, 31):
        return "2"
    return "10" if day.weekday() < 5 or day == dt.date(2018, 12, 29) else "3"


def march(working: str, weekend: str = "3") -> Callable[[dt.date], str]:
    return lambda day: working if day.weekday() < 5 else weekend  # March 2018/2019: no holidays


def test_working_days_of_december_2018_follow_the_holiday_calendar():
    days = electricity.working_days(*DEC_2018)
    assert len(days) == 21 and dt.date(2018, 12, 29) in days and dt.date(2018, 12, 31) not in days
    assert len(electricity.working_days(*MAR_2019)) == 21 and len(electricity.working_days(*MAR_2018)) == 22
    assert electricity.required_days(21) == 17 and electricity.required_days(20) == 16  # 80% rounded up


@pytest.fixture
def plants(db):
    e = {name: factories.enterprise("330106" if name in "ACE" else "330203") for name in "ABCDEFG"}
    # A: baseline 10/working day (the holiday's 2 is not in it); March 8.95 → 89.5% (below); March 2018 10 →
    #    −10.5% (drop) → red. Had the 31st counted as a working day the baseline would be 212/22 = 9.636 and
    #    March 92.9% — no alert.
    readings(e["A"], DEC_2018, december)
    readings(e["A"], MAR_2019, march("8.95"))
    readings(e["A"], MAR_2018, march("10"))
    # B: 9.5/day = 95%, +0% y/y → no alert
    readings(e["B"], DEC_2018, december)
    readings(e["B"], MAR_2019, march("9.5"))
    readings(e["B"], MAR_2018, march("9.5"))
    # C: only 15 of March's 21 working days read (17 needed), all very low → 数据不足, not an alert
    readings(e["C"], DEC_2018, december)
    readings(e["C"], MAR_2019, lambda d: "5" if d.weekday() < 5 and d.day <= 21 else None)  # 15 working days
    # D: December has 10 working-day readings only (baseline unusable); March 9 vs March 2018 10.5:
    #    −14.3% → yellow on the year-on-year test alone
    readings(e["D"], DEC_2018, lambda d: "10" if d.weekday() < 5 and d.day <= 14 else None)
    readings(e["D"], MAR_2019, march("9"))
    readings(e["D"], MAR_2018, march("10.5"))
    # E: read in December, nothing in March → 数据不足
    readings(e["E"], DEC_2018, december)
    # F: exactly 17 of 21 working days (enough), 9.0 on them → 90.0% (not below); March 2018 10 → −10.0% (a drop)
    readings(e["F"], DEC_2018, december)
    readings(e["F"], MAR_2019, lambda d: "9" if d.weekday() < 5 and d.day >= 8 else None)  # 8th–29th: 16 + 1st
    DailyElectricity.objects.create(enterprise=e["F"], day=dt.date(2019, 3, 1), electricity=Decimal("9"))
    readings(e["F"], MAR_2018, march("10"))
    # G: monthly figures only (no readings in March): proxy on calendar-day averages, 279/31 vs 310/31 = 90.0%
    for (y, m), v in (((2018, 12), "310"), ((2019, 3), "279"), ((2018, 3), "279")):
        MonthlyFact.objects.create(enterprise=e["G"], year=y, month=m, electricity=Decimal(v))
    return e


def test_daily_alerts_golden(plants):
    frame = electricity.assess(2019, 3)
    status = {r["enterprise_id"]: r for r in frame.iter_rows(named=True)}
    e = plants
    assert {k: status[e[k].pk]["status"] for k in "ABCDEFG"} == {
        "A": "alert", "B": "ok", "C": "insufficient", "D": "alert", "E": "insufficient", "F": "alert", "G": "ok"}
    assert status[e["G"].pk]["basis"] == "monthly" and status[e["A"].pk]["basis"] == "daily"
    assert electricity.run_alerts(2019, 3) == 3
    alerts = {a.enterprise_id: a for a in ElectricityAlert.objects.all()}
    a = alerts[e["A"].pk]
    # March 2019 total: 21 × 8.95 + 10 × 3 = 217.95; December total 239; March 2018: 22 × 10 + 9 × 3 = 247
    assert (a.level, a.electricity, a.baseline, a.last_year, a.baseline_pct, a.yoy_pct) == (
        "red", Decimal("217.95"), Decimal("239.00"), Decimal("247.00"), Decimal("89.5"), Decimal("-10.5"))
    d = alerts[e["D"].pk]
    assert (d.level, d.baseline_pct, d.yoy_pct, d.below_baseline, d.yoy_drop) == (
        "yellow", None, Decimal("-14.3"), False, True)
    f = alerts[e["F"].pk]
    assert (f.level, f.baseline_pct, f.yoy_pct, f.below_baseline, f.yoy_drop) == (
        "yellow", Decimal("90.0"), Decimal("-10.0"), False, True)
    assert e["C"].pk not in alerts and e["E"].pk not in alerts


def test_alerts_record_their_basis_and_coverage_is_configurable(plants):
    from industrybrain.monitoring.models import MonitoringConfig

    electricity.run_alerts(2019, 3)
    assert set(ElectricityAlert.objects.values_list("basis", flat=True)) == {ElectricityAlert.Basis.DAILY}
    # C read 15 of 21 working days at 5/day = 50% of its baseline: 数据不足 at 80%, an alert at 70% (15 ≥ 14.7)
    config = MonitoringConfig.get()
    config.min_coverage_pct = Decimal("70")
    status = {r["enterprise_id"]: r["status"] for r in electricity.assess(2019, 3, config).iter_rows(named=True)}
    assert status[plants["C"].pk] == "alert"


def test_the_run_stores_insufficient_rows_and_the_page_reads_them(client, plants, officers):
    from industrybrain.monitoring.models import ElectricityDataGap

    client.force_login(officers["xihu"])
    live = client.get("/monitoring/electricity/?period=2019-03").context  # not run yet: computed from readings
    assert {r["enterprise"].pk for r in live["insufficient"]} == {plants["C"].pk, plants["E"].pk}
    electricity.run_alerts(2019, 3)
    assert dict(ElectricityDataGap.objects.values_list("enterprise_id", "reason")) == {
        plants["C"].pk: "month_short", plants["E"].pk: "no_readings"}
    DailyElectricity.objects.filter(enterprise=plants["E"]).delete()  # the page shows the run, not a recount
    stored = client.get("/monitoring/electricity/?period=2019-03").context
    assert stored["insufficient_total"] == 2 and stored["insufficient_regions"] == [{"name": "西湖区", "n": 2}]
    client.force_login(officers["haishu"])
    assert client.get("/monitoring/electricity/?period=2019-03").context["insufficient_total"] == 0
    electricity.run_alerts(2019, 3)  # a rerun replaces the month's rows
    assert ElectricityDataGap.objects.count() == 1


def test_insufficient_is_listed_and_scoped(plants):
    assert set(electricity.insufficient(2019, 3)["enterprise_id"]) == {plants["C"].pk, plants["E"].pk}
    assert electricity.insufficient(2019, 3, {"330203"}).height == 0


def test_a_month_in_progress_is_measured_to_its_last_reading(db):
    ent = factories.enterprise("330106")
    readings(ent, DEC_2018, december)
    # readings up to Friday 8 March 2019: 6 working days at 8 → 80% of the baseline; the month so far counts
    readings(ent, (dt.date(2019, 3, 1), dt.date(2019, 3, 8)), march("8"))
    assert electricity.daily_period(2019, 3) == (dt.date(2019, 3, 1), dt.date(2019, 3, 8))
    [row] = electricity.assess(2019, 3).iter_rows(named=True)
    assert (row["status"], row["baseline_pct"], row["yoy_pct"]) == ("alert", 80.0, None)


def test_monthly_proxy_uses_calendar_day_averages(db):
    """February 2023 has 28 days: 252 = 9/day against December 2022's 310 = 10/day is 90.0% — not below
    (the monthly totals alone, 252/310 = 81.3%, would have raised a false alert); 249.2 = 8.9/day is 89.0%."""
    short, low = factories.enterprise("330106"), factories.enterprise("330106")
    for ent, feb in ((short, "252"), (low, "249.2")):
        MonthlyFact.objects.create(enterprise=ent, year=2022, month=12, electricity=Decimal("310"))
        MonthlyFact.objects.create(enterprise=ent, year=2023, month=2, electricity=Decimal(feb))
    assert electricity.run_alerts(2023, 2) == 1
    alert = ElectricityAlert.objects.get()
    assert (alert.enterprise_id, alert.baseline_pct, alert.yoy_pct, alert.level) == (low.pk, Decimal("89.0"), None,
                                                                                     "yellow")


@pytest.fixture
def officers(db):
    from industrybrain.core.models import Role

    return {"xihu": factories.user("xihu", Role.COUNTY_OFFICER, "330106"),
            "haishu": factories.user("haishu", Role.COUNTY_OFFICER, "330203"),
            "province": factories.user("prov", Role.PROVINCE_OFFICER, "330000"),
            "enterprise": factories.user("ent", Role.ENTERPRISE_USER)}


def test_page_lists_alerts_and_insufficient_in_scope(client, plants, officers):
    electricity.run_alerts(2019, 3)
    e = plants
    client.force_login(officers["xihu"])  # A, C, E are in 西湖区
    response = client.get("/monitoring/electricity/?period=2019-03")
    html = response.content.decode()
    assert e["A"].name in html and e["D"].name not in html
    assert response.context["insufficient_total"] == 2
    assert {r["enterprise"].pk for r in response.context["insufficient"]} == {e["C"].pk, e["E"].pk}
    assert "本月无读数（上年12月有读数）" in html and "本月读数不足80%的工作日" in html
    assert "基线）的90%，或日均同比下降10%及以上" in html  # the configured thresholds, as configured
    client.force_login(officers["haishu"])
    response = client.get("/monitoring/electricity/?period=2019-03")
    assert response.context["insufficient_total"] == 0
    assert {a.enterprise_id for a in response.context["page"]} == {e["D"].pk, e["F"].pk}
    client.force_login(officers["province"])
    response = client.get(f"/monitoring/electricity/?period=2019-03&q={e['D'].uscc}")
    assert [a.enterprise_id for a in response.context["page"]] == [e["D"].pk]
    response = client.get("/monitoring/electricity/?period=2019-03&level=red")
    assert [a.enterprise_id for a in response.context["page"]] == [e["A"].pk]
    response = client.get("/monitoring/electricity/?period=2019-03&region=330100")  # 杭州市 holds 西湖区
    assert [a.enterprise_id for a in response.context["page"]] == [e["A"].pk]
    client.force_login(officers["enterprise"])
    assert client.get("/monitoring/electricity/?period=2019-03").status_code == 404
    assert client.get("/monitoring/electricity/xlsx/?period=2019-03").status_code == 404


def test_excel_export_is_filtered_and_scoped(client, plants, officers):
    import io

    import polars as pl

    electricity.run_alerts(2019, 3)
    client.force_login(officers["haishu"])
    response = client.get("/monitoring/electricity/xlsx/?period=2019-03")
    assert response.status_code == 200
    frame = pl.read_excel(io.BytesIO(b"".join(response.streaming_content)), engine="calamine")
    assert sorted(frame["统一社会信用代码"].to_list()) == sorted([plants["D"].uscc, plants["F"].uscc])
    assert frame.filter(pl.col("统一社会信用代码") == plants["F"].uscc)["日均占基线%"].to_list() == [90.0]
