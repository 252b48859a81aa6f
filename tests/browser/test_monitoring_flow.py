"""运行监测 in a browser: the ranking board (pick indicator and month, ranks, publish, export), a warning
letter's whole life (run the triggers → draft from a hit → approve → issue → the region submits its 整改 plan
→ progress → closure, with the working-day deadline shown) and the cockpit (every block renders, links lead
to the details, the map draws). Screenshots go to var/screenshots/monitoring-*.png."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from industrybrain.core import calendar
from industrybrain.core.models import Role
from industrybrain.indicators.models import Aggregation, Direction, Indicator, IndicatorTarget
from industrybrain.indicators.services import Figure, record_values
from industrybrain.monitoring.models import MonitoringConfig, PublishedBoard, TriggerHit, WarningLetter
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

# 规上工业增加值 累计同比% of the eleven cities at 1–9月 and 1–10月 2023 (province 5.0 both times)
CITIES = {"330100": ("4.0", "6.0"), "330200": ("6.0", "5.0"), "330300": ("5.5", "5.0"), "330400": ("3.0", "4.0"),
          "330500": ("7.1", "7.3"), "330600": ("6.2", "6.0"), "330700": ("5.8", "6.4"), "330800": ("8.0", "7.9"),
          "330900": ("5.1", "5.6"), "331000": ("5.2", "5.4"), "331100": ("6.6", "6.8")}
COUNTIES = {"330127": "3.5", "330324": "6.2", "330328": "4.1", "330106": "2.0", "330302": "8.0", "330110": "6.6"}
INVESTMENT = {"330000": ("8.8", "9.1"), "330100": ("10.2", "11.0"), "330400": ("4.1", "3.2"), "330200": ("9.5", "9.9")}


@pytest.fixture
def monitoring_data(reference_data):
    va = Indicator.objects.get(code="above_scale_value_added")
    inv = Indicator.objects.get(code="industrial_investment")
    figures = [Figure(indicator_id=va.pk, region_id="330000", year=2023, month=m, ytd_yoy_pct=Decimal("5.0"))
               for m in (7, 8, 9, 10)]
    for code, (sep, oct_) in CITIES.items():
        for month, value in ((9, sep), (10, oct_)):
            figures.append(Figure(indicator_id=va.pk, region_id=code, year=2023, month=month,
                                  ytd_yoy_pct=Decimal(value)))
    figures += [Figure(indicator_id=va.pk, region_id=code, year=2023, month=10, ytd_yoy_pct=Decimal(v))
                for code, v in COUNTIES.items()]
    for code, (sep, oct_) in INVESTMENT.items():
        for month, value in ((9, sep), (10, oct_)):
            figures.append(Figure(indicator_id=inv.pk, region_id=code, year=2023, month=month,
                                  ytd_yoy_pct=Decimal(value)))
    record_values(figures, source="浏览器测试")
    for code, target in (("330100", "7.0"), ("330200", "4.5"), ("330400", "5.0")):
        IndicatorTarget.objects.create(indicator=va, region_id=code, year=2023, target_growth_pct=Decimal(target))
    return {"province": factories.user("prov", Role.PROVINCE_OFFICER, "330000"),
            "jiaxing": factories.user("jx", Role.CITY_OFFICER, "330400")}


def test_ranking_board_pick_rank_publish_export(monitoring_data, page, live_server, login, shot):
    login(page, "prov")
    page.goto(f"{live_server.url}/monitoring/board/")
    form = page.locator("[data-testid=board-form]")
    form.locator("select[name=indicator]").select_option("above_scale_value_added")
    form.locator("input[name=period]").fill("2023-10")
    form.locator("select[name=level]").select_option("city")
    form.locator("button.btn-primary").click()
    page.wait_for_selector("[data-testid=board-table]")
    assert page.locator("[data-testid=board-unpublished]").count() == 1
    first = page.locator("[data-testid=board-table] tbody tr").first
    assert first.get_attribute("data-region") == "330800" and first.locator("td").first.inner_text() == "1"
    jiaxing = page.locator("tr[data-region='330400']")
    assert jiaxing.locator("td").first.inner_text() == "11" and jiaxing.locator("[data-status=red]").count() == 1
    shot(page, "monitoring-board")
    with page.expect_download() as download:
        page.click("[data-testid=board-xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=board-published]")
    assert PublishedBoard.objects.get().rows.get(region_id="330400").rank == 11
    # the bureau revises 嘉兴: the board keeps what was published and says that the figures changed
    va = Indicator.objects.get(code="above_scale_value_added")
    record_values([Figure(indicator_id=va.pk, region_id="330400", year=2023, month=10, ytd_yoy_pct=Decimal("8.5"))],
                  source="修订")
    page.reload()
    page.wait_for_selector("[data-testid=board-differs]")
    assert page.locator("tr[data-region='330400'] td").first.inner_text() == "11"
    shot(page, "monitoring-board-published")
    page.click("[data-testid=view-current]")
    page.wait_for_selector("[data-testid=view-published]")
    assert page.locator("tr[data-region='330400'] td").first.inner_text() == "1"
    with page.expect_download() as download:
        page.click("[data-testid=board-docx]")
    assert download.value.suggested_filename.endswith(".docx")
    # counties: the 山区26县 ranked on their own, after the size tiers
    page.locator("[data-testid=board-form] select[name=level]").select_option("county")
    page.locator("[data-testid=board-form] button.btn-primary").click()
    page.wait_for_selector("tr[data-region='330127']")
    headings = page.locator("h2.h6").all_inner_texts()
    assert headings[-1] == "山区26县" and len(headings) >= 2
    assert page.locator("tr[data-region='330127'] td").first.inner_text() == "3"   # last of 3 mountain counties
    assert page.locator("tr[data-region='330106'] td").first.inner_text() == "3"   # last of its tier (3 counties)
    shot(page, "monitoring-board-county")


def _move(page, target: str, **fields):
    form = page.locator(f"[data-testid=move-{target}]")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button").click()
    page.wait_for_selector("[data-testid=letter-state]")


def test_warning_letter_whole_life(monitoring_data, page, live_server, login, shot):
    login(page, "prov")
    page.goto(f"{live_server.url}/monitoring/triggers/")
    run = page.locator("[data-testid=run-form]")
    run.locator("input[name=period]").fill("2023-10")
    run.locator("button").click()
    page.wait_for_selector("[data-testid=hit-region][data-region='330400']")
    # the three defaults on 规上工业增加值, and below the average on 工业投资 (only 3 cities: no bottom-3 there)
    assert TriggerHit.objects.filter(region_id="330400", year=2023, month=10).count() == 4
    page.locator("[data-testid=hit-region][data-region='330400'] details summary").first.click()
    shot(page, "monitoring-triggers")
    page.locator("[data-testid=hit-region][data-region='330400'] [data-testid=draft-letter]").click()
    page.wait_for_selector("[data-testid=letter-state]")
    assert "起草" in page.locator("[data-testid=letter-state]").inner_text()
    letter = WarningLetter.objects.get(region_id="330400")
    _move(page, "approved")
    _move(page, "issued")
    assert "已印发" in page.locator("[data-testid=letter-state]").inner_text()
    config = MonitoringConfig.get()
    due = calendar.add_working_days(timezone.localdate(), config.plan_deadline_days)
    assert due.isoformat() in page.locator("[data-testid=plan-due]").inner_text()
    assert "个工作日" in page.locator("[data-testid=plan-due]").inner_text()
    shot(page, "monitoring-letter-issued")

    page.context.clear_cookies()
    login(page, "jx")
    page.goto(f"{live_server.url}/monitoring/letters/{letter.pk}/")
    _move(page, "acknowledged")
    _move(page, "plan_submitted", plan_text="目标：1–12月增速回升至5%以上；举措：技改专项、重点企业帮扶；责任领导：王副市长")
    assert "已报送整改方案" in page.locator("[data-testid=letter-state]").inner_text()

    page.context.clear_cookies()
    login(page, "prov")
    page.goto(f"{live_server.url}/monitoring/letters/{letter.pk}/")
    _move(page, "tracking")
    page.locator("[data-testid=progress-form] input[name=text]").fill("11月增速回升至4.6%，3个技改项目已开工")
    page.locator("[data-testid=progress-form] button").click()
    page.wait_for_selector("text=3个技改项目已开工")
    _move(page, "closed", closing_note="整改到位，同意销号")
    assert "已销号" in page.locator("[data-testid=letter-state]").inner_text()
    assert page.locator("[data-testid=transitions] tbody tr").count() == 6
    shot(page, "monitoring-letter-closed")


def test_cockpit_blocks_links_and_map(monitoring_data, page, live_server, login, shot):
    login(page, "prov")
    page.goto(f"{live_server.url}/monitoring/?indicator=above_scale_value_added&level=city")
    page.wait_for_selector("[data-testid=cockpit-map][data-drawn]")
    assert page.locator("[data-testid=cockpit-map]").get_attribute("data-drawn") == "11"
    assert page.locator("[data-testid=cockpit-map] canvas").count() >= 1
    assert page.locator("[data-testid=headline-cards] .card").count() == 5  # the five headline indicators
    assert page.locator("[data-testid=headline-cards] .sparkline canvas").count() == 5
    for testid in ("highlights", "open-letters", "alert-summary", "map-legend"):
        assert page.locator(f"[data-testid={testid}]").count() == 1, testid
    assert "越高越好" in page.locator("[data-testid=map-legend]").inner_text()
    shot(page, "monitoring-cockpit")
    # a click on 杭州's point opens its bulletin (the map's points link to the detail)
    x, y = page.evaluate("""() => {
        const el = document.querySelector('[data-testid=cockpit-map]');
        const chart = echarts.getInstanceByDom(el);
        const point = chart.getOption().series[0].data.find(p => p.code === '330100');
        const [px, py] = chart.convertToPixel({seriesIndex: 0}, point.value.slice(0, 2));
        const box = el.getBoundingClientRect();
        return [box.left + px, box.top + py];
    }""")
    page.mouse.click(x, y)
    page.wait_for_url("**/monitoring/bulletin/?region=330100*")
    page.go_back()
    page.wait_for_selector("[data-testid=cockpit-map][data-drawn]")
    page.locator("[data-testid=headline-cards] a.card").first.click()
    page.wait_for_selector("[data-testid=board-table]")
    page.go_back()
    page.wait_for_selector("[data-testid=cockpit-map][data-drawn]")
    page.click("text=晾晒亮点")
    page.wait_for_selector("[data-testid=board-table]")
    assert "level=city" in page.url


def test_lower_is_better_map_reverses_colours(monitoring_data, page, live_server, login, shot):
    energy = Indicator.objects.create(code="energy_intensity", name="单位工业增加值能耗", unit="吨标煤/万元",
                                      aggregation=Aggregation.RATIO, direction=Direction.LOWER_BETTER)
    record_values([Figure(indicator_id=energy.pk, region_id=code, year=2023, month=10,
                          ytd_value=Decimal("0.40") + Decimal("0.03") * i) for i, code in enumerate(CITIES)],
                  source="浏览器测试")
    login(page, "prov")
    page.goto(f"{live_server.url}/monitoring/?indicator=energy_intensity&level=city")
    page.wait_for_selector("[data-testid=cockpit-map][data-drawn]")
    legend = page.locator("[data-testid=map-legend]").inner_text()
    assert "越低越好" in legend and "色阶已反向" in legend
    shot(page, "monitoring-cockpit-lower-better")


def test_trigger_rule_edit_refuse_preview_save(monitoring_data, page, live_server, login, shot):
    login(page, "prov")
    page.goto(f"{live_server.url}/monitoring/triggers/rules/")
    page.click("[data-testid=rule-new]")
    page.fill("input[name=name]", "同组末位")
    page.fill("textarea[name=condition]", "rank_from_bottom = 1 AND group_sise > 3")
    page.fill("input[name=consecutive]", "2")
    page.click("[data-testid=rule-preview]")
    page.wait_for_selector("[data-testid=field-error]")
    assert "group_sise" in page.locator("[data-testid=field-error]").first.inner_text()
    page.fill("textarea[name=condition]", "rank_from_bottom = 1 AND group_size > 3")
    page.fill("#preview-period", "2023-10")
    page.click("[data-testid=rule-preview]")
    page.wait_for_selector("[data-testid=preview]")
    assert page.locator("[data-testid=preview-hit]").count() == 1
    assert page.locator("[data-testid=preview-hit]").get_attribute("data-region") == "330400"
    shot(page, "monitoring-rule-preview")
    page.click("[data-testid=rule-save]")
    page.wait_for_selector("[data-testid=rule-table]")
    assert page.locator("[data-testid=rule-table] >> text=同组末位").count() == 1
    shot(page, "monitoring-rule-list")
