"""惠企政策直达 in the browser: an enterprise finds a 快申快享 policy in 我的政策 and applies with the prefilled
application; the executing department accepts, approves and pays it; the enterprise sees the payment in
the case and in 一指减负, and rates the case. Screenshots go to var/screenshots/policies-*.png."""

from decimal import Decimal

import pytest

from industrybrain.core.models import Department, Role
from industrybrain.policies import matching
from industrybrain.policies.models import Case, CaseState, DeliveryMode, Disbursement
from industrybrain.registry.models import YearlyFact
from tests import factories
from tests.policies.conftest import AS_OF, make_policy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_track(reference_data, roles, xihu_enterprise):
    YearlyFact.objects.create(enterprise=xihu_enterprise, year=2023, revenue=Decimal("5000"),
                              rd_expense=Decimal("300"))
    jxt = Department.objects.get(code="zj-jxt")
    factories.user("jxt", Role.DEPARTMENT_REVIEWER, "330000", department=jxt)
    policy = make_policy(title="研发投入快申快享补助", mode=DeliveryMode.FAST_TRACK,
                         eligibility="rd_ratio_last_year >= 3 AND revenue_last_year >= 2000",
                         amount_formula="rd_expense_last_year * 0.1", cap_per_enterprise=Decimal("50"))
    near = make_policy(title="高强度研发奖励", mode=DeliveryMode.FAST_TRACK,
                       eligibility="rd_ratio_last_year >= 8 AND revenue_last_year >= 2000")
    matching.match_all(AS_OF, policies=[policy, near])
    return policy


def _act(page, label: str) -> None:
    page.click(f"[data-testid=actions] button:has-text('{label}')")
    page.wait_for_selector("[data-testid=case-state]")


def test_enterprise_applies_officer_approves_and_pays_enterprise_rates(fast_track, page, live_server, login, shot,
                                                                     browser):
    # the enterprise finds the policy in 我的政策, with its reasons and amount, and the near miss with its gap
    login(page, "ent")
    page.goto(f"{live_server.url}/policies/mine/")
    qualified = page.locator("[data-testid=qualified]")
    assert "研发投入快申快享补助" in qualified.inner_text()
    assert "30.00" in qualified.inner_text()
    assert "研发费用占营业收入比重还差" in page.locator("[data-testid=near]").inner_text()
    shot(page, "policies-my-policies")
    page.click("[data-testid=qualified] a:has-text('研发投入快申快享补助')")
    page.wait_for_selector("[data-testid=apply]")
    shot(page, "policies-detail-enterprise")
    page.click("[data-testid=apply]")
    page.wait_for_selector("[data-testid=case-state]")
    # prefilled: the platform's data and the materials it already holds
    assert "平台已归集" in page.locator("body").inner_text()
    assert "30.00" in page.locator("[data-testid=case-facts]").inner_text()
    shot(page, "policies-application-draft")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=case-state]")
    assert page.locator("[data-testid=case-state]").inner_text() == "已提交"
    case = Case.objects.get(policy=fast_track)

    # the executing department accepts, approves and pays
    officer = browser.new_page()
    login(officer, "jxt")
    officer.goto(f"{live_server.url}/policies/cases/")
    officer.click(f"a[href='/policies/cases/{case.pk}/']")
    officer.wait_for_selector("[data-testid=case-state]")
    _act(officer, "受理")
    assert officer.locator("[data-testid=case-state]").inner_text() == "审核中"
    assert "60 个工作日" in officer.locator("[data-testid=case-clock]").inner_text()
    officer.fill("[data-testid=actions] input[name=reason]", "数据核实无误")
    shot(officer, "policies-officer-review")
    _act(officer, "同意")
    assert officer.locator("[data-testid=case-state]").inner_text() == "待拨付"
    officer.fill("[data-testid=actions] input[name=paid_on]", "2026-11-20")
    _act(officer, "登记拨付")
    assert officer.locator("[data-testid=case-state]").inner_text() == "已兑现"
    shot(officer, "policies-officer-paid")
    assert Disbursement.objects.filter(case=case, amount=Decimal("30.00")).count() == 1
    officer.goto(f"{live_server.url}/policies/ledger/")
    assert "研发投入快申快享补助" in officer.locator("body").inner_text()
    shot(officer, "policies-ledger")
    officer.close()

    # the enterprise sees the payment and rates the case
    page.goto(f"{live_server.url}/policies/cases/{case.pk}/")
    facts = page.locator("[data-testid=case-facts]").inner_text()
    assert "已兑现" in facts and "30.00 万元，2026年11月20日" in facts
    page.select_option("[data-testid=actions] select[name=rating]", "4")
    page.fill("[data-testid=actions] input[name=comment]", "材料免提交，到账快")
    _act(page, "提交评价")
    assert "4 分 材料免提交，到账快" in page.locator("[data-testid=case-facts]").inner_text()
    shot(page, "policies-rated")
    case.refresh_from_db()
    assert case.state == CaseState.PAID and case.rating == 4
    page.goto(f"{live_server.url}/policies/reductions/")
    assert "研发投入快申快享补助" in page.locator("body").inner_text()
    shot(page, "policies-reductions")
