"""The policies pages in English: with the English switch on, no Chinese is left in a page's own text.

The fixtures use ASCII names wherever the test controls them (enterprise, policy, materials, tax reduction);
what stays Chinese is data the platform holds in Chinese — region, department and industry names, and the
rules engine's wording of a condition and of the values it read — and that is removed before the check.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from industrybrain.core.models import Department, Industry, Region, Role
from industrybrain.policies import eligibility as E
from industrybrain.policies import matching, services
from industrybrain.policies.models import Case, DeliveryMode, PolicyMatch, TaxKind, TaxReduction
from industrybrain.registry.models import YearlyFact
from tests import factories
from tests.policies.conftest import AS_OF, make_policy

CJK = re.compile(r"[\u4e00-\u9fff]+")
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


@pytest.fixture
def xihu_enterprise(db):
    """The shared fixture's enterprise under an ASCII name (the roles fixture uses this one)."""
    return factories.enterprise("330106", "3973", name="Xihu Chips Co")


@pytest.fixture
def world(db, roles, xihu_enterprise):
    YearlyFact.objects.create(enterprise=xihu_enterprise, year=2023, revenue=Decimal("5000"), rd_expense=Decimal("300"))
    ascii_fields = {"document_title": "Provincial notice", "issuer": "Provincial office", "summary": "Subsidy",
                    "materials": "Business licence\nAudit report", "fulfilment_time": "30 days",
                    "office_address": "1 Main Street", "phone": "0571-1234", "beneficiaries": "Enterprises"}
    jxt = Department.objects.get(code="zj-jxt")
    reviewer = factories.user("jxt", Role.DEPARTMENT_REVIEWER, "330000", department=jxt)
    # an auto-grant policy taken to payment, with a budget (the ledger's use of funds) and a rating
    paid_policy = make_policy(title="RD subsidy", document_number="No. 1", budget=Decimal("1000"), **ascii_fields)
    matching.match_policy(paid_policy, AS_OF)
    assert services.generate_list(paid_policy, roles["province"]) == 1
    case = Case.objects.get(policy=paid_policy)
    services.review_listed(case, reviewer, keep=True, today=dt.date(2024, 9, 2))
    services.end_publicity(case, reviewer, today=dt.date(2024, 9, 20))
    services.confirm_account(case, roles["enterprise"], "ICBC", "6222", today=dt.date(2024, 9, 20))
    services.pay(case, reviewer, idempotency_key="en-1", paid_on=dt.date(2024, 9, 23))
    # a fast-track application in review (materials, review chain, deadline clock)
    fast = make_policy(title="Fast subsidy", document_number="No. 2", mode=DeliveryMode.FAST_TRACK, **ascii_fields)
    matching.match_policy(fast, AS_OF)
    application = services.start_application(fast, roles["enterprise"])
    services.submit(application, roles["enterprise"], today=dt.date(2024, 9, 27))
    services.accept(application, roles["province"], today=dt.date(2024, 9, 27))
    # a policy the enterprise is one condition short of (我的政策: the gap)
    near = make_policy(title="Big firms", document_number="No. 3", eligibility="revenue_last_year >= 100000 AND "
                       "rd_ratio_last_year >= 3", **ascii_fields)
    matching.match_policy(near, AS_OF)
    TaxReduction.objects.create(enterprise=xihu_enterprise, year=2023, tax_kind=TaxKind.VAT, item="Small taxpayer VAT",
                                amount=Decimal("12.5"), reduced_on=dt.date(2023, 12, 31), basis="Notice 19",
                                authority="Tax office")
    return {"paid": paid_policy, "fast": fast, "near": near, "case": case, "application": application,
            "reviewer": reviewer}


def data_values(policies) -> list[str]:
    """The Chinese the platform holds as data: names of regions, departments and industries, and the rules
    engine's wording of conditions, of the values they read and of the gaps."""
    values = set(Region.objects.values_list("name", flat=True)) | set(Department.objects.values_list("name", flat=True))
    values |= set(Industry.objects.values_list("name", flat=True))
    for policy in policies:
        values |= {c.name for c in E.build(policy).conditions}
    for match in matching.hydrate(PolicyMatch.objects.all()):
        for reason in match.reasons:
            values |= {reason.get("name") or "", reason.get("gap") or ""}
            for value in reason.get("values", []):
                values |= {value.get("label") or "", E.show_value(value.get("code", ""), value.get("value"),
                                                                   value.get("unit", ""))}
    for case in Case.objects.all():
        for reason in case.snapshot.get("reasons", []):
            values |= {reason.get("name") or "", reason.get("gap") or ""}
            for value in reason.get("values", []):
                values |= {value.get("label") or "", E.show_value(value.get("code", ""), value.get("value"),
                                                                   value.get("unit", ""))}
    return sorted((v for v in values if v and CJK.search(v)), key=len, reverse=True)


# the language switcher names each language in itself
ALLOWED = ["简体中文"]


def chinese_left(html: str, data: list[str]) -> list[str]:
    text = SCRIPT.sub("", html)
    for allowed in ALLOWED:
        text = text.replace(allowed, "")
    for value in data:
        text = text.replace(value, "")
    return sorted(set(CJK.findall(text)))


def english_client(client, user):
    client.force_login(user)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    return client


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.django_db
def test_policy_pages_have_no_chinese_of_their_own_in_english(client, roles, world, xihu_enterprise):
    policies = [world["paid"], world["fast"], world["near"]]
    data = data_values(policies)
    officer = english_client(client, roles["province"])
    pages = {
        "policy list": reverse("policies:policy-list"),
        "policy detail": reverse("policies:policy-detail", args=[world["paid"].pk]),
        "policy detail (fast)": reverse("policies:policy-detail", args=[world["fast"].pk]),
        "qualifiers": reverse("policies:policy-qualifiers", args=[world["paid"].pk]),
        "near misses": reverse("policies:policy-qualifiers", args=[world["near"].pk]) + "?outcome=near_miss",
        "case list": reverse("policies:case-list"),
        "paid case": reverse("policies:case-detail", args=[world["case"].pk]),
        "case in review": reverse("policies:case-detail", args=[world["application"].pk]),
        "ledger": reverse("policies:ledger"),
        "dashboard": reverse("policies:dashboard"),
        "simulation": reverse("policies:simulate"),
        "policy form": reverse("policies:policy-edit", args=[world["paid"].pk]),
        "reduction totals": reverse("policies:reductions"),
        "reductions": reverse("policies:reductions") + f"?enterprise={xihu_enterprise.pk}",
        "my policies (officer)": reverse("policies:my-policies"),
    }
    left = {name: chinese_left(get(officer, url), data) for name, url in pages.items()}
    response = officer.post(reverse("policies:simulate"), {
        "eligibility": "rd_ratio_last_year >= 3 AND revenue_last_year >= 2000",
        "amount_formula": "rd_expense_last_year * 0.1", "cap": "50", "budget": "10"})
    assert response.status_code == 200 and 'data-testid="simulation-result"' in response.content.decode()
    left["simulation result"] = chinese_left(response.content.decode(), data)
    assert not {name: chars for name, chars in left.items() if chars}, left

    html = get(officer, reverse("policies:case-detail", args=[world["application"].pk]))
    for label in ["Delivery cases", "Handling history", "Application materials", "held by the platform",
                  "; decision due", "60 working days from acceptance", "overdue"]:
        assert label in html, label
    html = get(officer, reverse("policies:policy-detail", args=[world["paid"].pk]))
    for label in ["Policy document", "Application guide", "Eligibility conditions (rules v1)", "Match again",
                  "Edit", "No application needed", "Qualifying enterprises"]:
        assert label in html, label
    assert "Reductions and subsidies received in all" in get(officer, pages["reductions"])
    assert "delivery rate 50.0%" in get(officer, pages["dashboard"])


@pytest.mark.django_db
def test_enterprise_pages_have_no_chinese_of_their_own_in_english(client, roles, world):
    data = data_values([world["paid"], world["fast"], world["near"]])
    ent = english_client(client, roles["enterprise"])
    pages = [reverse("policies:my-policies"), reverse("policies:reductions"),
             reverse("policies:policy-detail", args=[world["near"].pk]),
             reverse("policies:policy-detail", args=[world["fast"].pk]),
             reverse("policies:case-detail", args=[world["case"].pk]), reverse("policies:ledger")]
    left = {url: chinese_left(get(ent, url), data) for url in pages}
    assert not {url: chars for url, chars in left.items() if chars}, left
    mine = get(ent, reverse("policies:my-policies"))
    assert "Policies you qualify for" in mine and "Policies you almost qualify for" in mine
    rated = get(ent, reverse("policies:case-detail", args=[world["case"].pk]))
    assert "Submit the rating" in rated and "5 points" in rated


@pytest.mark.django_db
def test_service_errors_and_messages_follow_the_language(client, roles, world):
    """A refused action's message comes in the user's language; the Chinese stays as it was."""
    ent = english_client(client, roles["enterprise"])
    response = ent.post(reverse("policies:case-apply", args=[world["paid"].pk]), follow=True)
    assert "No application is needed for this policy" in response.content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    response = client.post(reverse("policies:case-apply", args=[world["paid"].pk]), follow=True)
    assert "免申即享政策无需申请" in response.content.decode()


@pytest.mark.django_db
def test_chinese_pages_are_unchanged(client, roles, world):
    client.force_login(roles["province"])
    html = get(client, reverse("policies:policy-detail", args=[world["paid"].pk]))
    for label in ["政策文件", "申兑指南", "享受条件（规则 v1）", "发文后 7 个工作日内公开", "符合企业名单", "修改", "重新匹配"]:
        assert label in html, label
    html = get(client, reverse("policies:case-list"))
    assert "共 2 件，已兑现 1 件，兑现率 50.0%" in html
    html = get(client, reverse("policies:case-detail", args=[world["application"].pk]))
    assert "（平台已归集）" in html and "；办结期限 2024年12月25日（受理 2024年9月27日 起 60 个工作日）" in html


@pytest.mark.django_db
def test_reviewer_actions_in_english(client, world):
    data = data_values([world["paid"], world["fast"], world["near"]])
    reviewer = english_client(client, world["reviewer"])
    html = get(reviewer, reverse("policies:case-detail", args=[world["application"].pk]))
    assert not chinese_left(html, data)
    for label in ["Review order: ", "Approved amount (10,000 yuan; defaults to the estimate)", "Approve", "Reject"]:
        assert label in html, label
