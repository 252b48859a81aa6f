"""Each role logs in, sees its scope on the home page and walks the navigation."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

EXPECTED_COUNTS = {"admin": 5, "province": 4, "city": 2, "county": 1, "steward": 1, "enterprise": 1,
                   "reviewer": 4}


@pytest.mark.parametrize("role", list(EXPECTED_COUNTS))
def test_role_home_and_navigation(role, reference_data, roles, other_enterprises, city_enterprise, page, live_server, login,
                                  shot):
    login(page, roles[role].username)
    assert page.locator("[data-testid=enterprise-count]").inner_text() == str(EXPECTED_COUNTS[role])
    assert page.title().endswith("产业大脑")
    assert page.locator("nav[aria-label=breadcrumb]").count() == 1
    shot(page, f"home-{role}")
    nav_links = page.locator("#mainnav a.nav-link")
    hrefs = [nav_links.nth(i).get_attribute("href") for i in range(nav_links.count())]
    assert "/enterprises/" in hrefs
    for href in hrefs:
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.status == 200, href
        assert page.locator("nav[aria-label=breadcrumb]").count() == 1, href
        assert page.locator("h1").count() == 1, href


def test_language_switch_to_english(reference_data, roles, page, login):
    login(page, roles["province"].username)
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
