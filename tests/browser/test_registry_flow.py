"""An officer's day in the registry: filter the list, open an enterprise, export, dry-run a bad import."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def registry(reference_data, roles, xihu_enterprise, other_enterprises, city_enterprise):
    factories.yearly_fact(xihu_enterprise, 2022, revenue=4200, main_business_revenue=4000, staff=110, rd_expense=260)
    factories.yearly_fact(xihu_enterprise, 2023, revenue=5000, main_business_revenue=4800, staff=120, rd_expense=310)
    return roles


def test_city_officer_filters_opens_and_exports(registry, page, live_server, login, shot):
    login(page, "city")
    page.goto(f"{live_server.url}/enterprises/")
    rows = page.locator("[data-testid=enterprise-table] tbody tr")
    assert rows.count() == 2
    page.select_option("#id_region", "330106")
    page.click("[data-testid=enterprise-filter] button[type=submit]")
    page.wait_for_load_state()
    assert rows.count() == 1
    assert "西湖芯片有限公司" in rows.first.inner_text()
    shot(page, "registry-list-filtered")

    with page.expect_download() as download:
        page.click("text=导出Excel")
    assert download.value.suggested_filename.endswith(".xlsx")

    page.click("text=西湖芯片有限公司")
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text().startswith("西湖芯片有限公司")
    assert page.locator("canvas").count() >= 1  # the ECharts facts chart drew
    shot(page, "registry-detail")


def test_enterprise_user_sees_only_itself(registry, other_enterprises, page, live_server, login):
    login(page, "ent")
    page.goto(f"{live_server.url}/enterprises/")
    assert page.locator("[data-testid=enterprise-table] tbody tr").count() == 1
    response = page.goto(f"{live_server.url}/enterprises/{other_enterprises[0].pk}/")
    assert response is not None and response.status == 404


def test_import_dry_run_reports_bad_rows(registry, page, live_server, login, shot, tmp_path):
    bad = tmp_path / "企业名单.csv"
    bad.write_text(
        "统一社会信用代码,企业名称,区划代码,行业代码\n"
        "91350100M000100Y44,校验位错误的企业,330106,3973\n"
        f"{factories.uscc_for('330106')},,330106,3973\n"
        f"{factories.uscc_for('330106')},未知行业企业,330106,9999\n",
        encoding="utf-8",
    )
    login(page, "county")
    page.goto(f"{live_server.url}/imports/new/")
    page.select_option("select[name=kind]", "enterprises")
    page.set_input_files("input[type=file]", str(bad))
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=import-errors]")
    text = page.locator("[data-testid=import-errors]").inner_text()
    assert "校验位错误" in text
    assert "企业名称" in text
    assert "9999" in text or "行业代码" in text
    rows = [r.split("\t")[0] for r in text.splitlines()[1:]]
    assert {"2", "3", "4"} <= set(rows)
    assert page.locator("[data-testid=import-apply]").count() == 0
    shot(page, "import-dry-run-errors")
