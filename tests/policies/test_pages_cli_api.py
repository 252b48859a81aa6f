"""Pages (library, forms with the engine's validation, 我的政策, exports), simulation, CLI and API."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIClient

from industrybrain.policies import api, matching, simulation
from industrybrain.policies.models import Policy, PolicyMatch
from industrybrain.registry.models import YearlyFact
from tests.policies.conftest import AS_OF


@pytest.fixture
def matched(db, roles, xihu_enterprise, other_enterprises, policy_factory):
    YearlyFact.objects.create(enterprise=xihu_enterprise, year=2023, revenue=Decimal("5000"), rd_expense=Decimal("300"))
    YearlyFact.objects.create(enterprise=other_enterprises[0], year=2023, revenue=Decimal("5000"),
                              rd_expense=Decimal("100"))
    policy = policy_factory(title="研发投入奖补")
    matching.match_policy(policy, AS_OF)
    return policy


def test_library_list_detail_and_search(client, roles, matched):
    client.force_login(roles["enterprise"])
    page = client.get("/policies/?q=研发").content.decode()
    assert "研发投入奖补" in page
    assert "研发投入奖补" not in client.get("/policies/?q=绿色").content.decode()
    detail = client.get(f"/policies/{matched.pk}/").content.decode()
    assert "7 个工作日内公开" in detail and "30.00" in detail and "上年度研发费用占营业收入比重" in detail
    Policy.objects.filter(pk=matched.pk).update(status=Policy.Status.DRAFT)
    assert client.get(f"/policies/{matched.pk}/").status_code == 404  # drafts are not public


def test_publication_clock_counts_working_days(policy_factory):
    policy = policy_factory(issued_on=dt.date(2024, 9, 27), published_on=dt.date(2024, 10, 11))
    clock = policy.publication_clock(dt.date(2024, 10, 20))
    # Sun 29 Sep, Mon 30 Sep, Tue 8 … Fri 11 Oct = 6 working days ≤ 7
    assert clock["deadline"] == dt.date(2024, 10, 12) and clock["used"] == 6 and clock["late"] is False
    policy.published_on = None
    assert policy.publication_clock(dt.date(2024, 10, 14))["late"] is True


def test_my_policies_shows_reasons_amount_and_never_another_enterprise(client, roles, matched, other_enterprises):
    client.force_login(roles["enterprise"])
    page = client.get("/policies/mine/").content.decode()
    assert "研发投入奖补" in page and "30.00" in page
    assert other_enterprises[0].name not in page
    assert PolicyMatch.objects.filter(enterprise=other_enterprises[0]).exists()  # it has a near miss


def test_officer_create_form_reports_expression_errors_with_position(client, roles):
    client.force_login(roles["province"])
    data = {"code": "new-1", "title": "新政策", "document_title": "《文件》", "issuer": "省经信厅",
            "issued_on": "2024-01-10", "department": 1, "kind": "subsidy", "region": "330000",
            "valid_from": "2024-01-01", "mode": "fast_track", "status": "active",
            "eligibility": "rd_ratio_last_year >= 3 AND revnue_last_year > 1", "amount_formula": "10",
            "publicity_days": 5, "decision_working_days": 60}
    from industrybrain.core.models import Department
    data["department"] = Department.objects.get(code="zj-jxt").pk
    response = client.post("/policies/new/", data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "未知字段" in text and "第 1 行第 29 列" in text
    data["eligibility"] = "rd_ratio_last_year >= 3"
    response = client.post("/policies/new/", data)
    assert response.status_code == 302
    assert Policy.objects.get(code="new-1").rule_checksum
    client.force_login(roles["enterprise"])
    assert client.get("/policies/new/").status_code == 404


def test_qualifier_export_is_scoped(client, roles, matched):
    client.force_login(roles["county"])
    response = client.get(f"/policies/{matched.pk}/qualifiers/?export=1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(roles["enterprise"])
    assert client.get(f"/policies/{matched.pk}/qualifiers/").status_code == 404


def test_simulation_counts_costs_and_rationing(firm_factory):
    for rd in ("400", "300", "200", "50"):  # 8%, 6%, 4%, 1% of 5000 → amounts 40, 30, 20; one fails
        firm_factory(revenue="5000", rd=rd)
    sim = simulation.simulate("rd_ratio_last_year >= 3 AND revenue_last_year >= 2000", "rd_expense_last_year * 0.1",
                              cap=Decimal("35"), budget=Decimal("60"), as_of=AS_OF)
    assert sim.qualified == 3 and sim.near_miss == 1
    assert sim.total_cost == Decimal("85.00")  # 35 (capped) + 30 + 20
    assert sim.pro_rata_cost <= Decimal("60") and sim.pro_rata_cost >= Decimal("59.97")
    assert sim.first_come_funded == 1 and sim.first_come_cost == Decimal("35.00")  # 35, then 30 would exceed 60
    assert sim.by_city[0]["code"] == "330100" and sim.by_city[0]["count"] == 3
    points = {p["threshold"]: p["count"] for p in sim.sweep["points"]}
    assert points[1.5] == 3 and points[3.0] == 3 and points[4.5] == 2 and points[6.0] == 2 and points[3.75] == 3
    assert simulation.chart(sim)["series"][0]["data"]


def test_cli_simulate_and_match(tmp_path, matched):
    path = tmp_path / "draft.yaml"
    path.write_text('eligibility: "rd_ratio_last_year >= 3"\nformula: "rd_expense_last_year * 0.1"\ncap: 50\n',
                    encoding="utf-8")
    out = StringIO()
    call_command("ib_policies", "simulate", str(path), "--budget", "10", "--as-of", "2024-03-31", stdout=out)
    text = out.getvalue()
    assert "符合 1" in text and "总成本\t30.00" in text and "先到先得\t0 户" in text
    out = StringIO()
    call_command("ib_policies", "match", "--policy", str(matched.pk), "--as-of", "2024-03-31", stdout=out)
    assert "符合 1\t差一项 1" in out.getvalue()


def test_api_is_scoped(roles, matched, other_enterprises):
    router = DefaultRouter()
    api.register(router)
    from django.test import override_settings
    from django.urls import include, path

    urlconf = type("U", (), {"urlpatterns": [path("api/", include(router.urls))]})
    client = APIClient()
    client.force_authenticate(roles["enterprise"])
    with override_settings(ROOT_URLCONF=urlconf):
        rows = client.get("/api/policy-matches/").json()
        items = rows["results"] if isinstance(rows, dict) else rows
        assert [r["enterprise"] for r in items] == [roles["enterprise"].enterprise_id]
        assert client.get("/api/policies/").status_code == 200


def test_policies_of_other_provinces_are_not_shown(client, roles, policy_factory):
    from industrybrain.core.models import Department

    shanghai = policy_factory(title="上海市专项", region_id="310000", department=Department.objects.get(code="sh-jxw"))
    hangzhou = policy_factory(title="杭州市专项", region_id="330100")
    ningbo = policy_factory(title="宁波市专项", region_id="330200")
    client.force_login(roles["reviewer"])  # a provincial 科技厅 reviewer: province-wide policies and its own
    assert client.get(f"/policies/{shanghai.pk}/").status_code == 404
    assert client.get(f"/policies/{ningbo.pk}/").status_code == 404
    for role in ("enterprise", "county", "steward"):
        client.force_login(roles[role])
        assert client.get(f"/policies/{shanghai.pk}/").status_code == 404, role
        assert client.get(f"/policies/{hangzhou.pk}/").status_code == 200, role  # 西湖区 lies in 杭州市
        assert client.get(f"/policies/{ningbo.pk}/").status_code == 404, role
    client.force_login(roles["province"])
    assert client.get(f"/policies/{ningbo.pk}/").status_code == 200
    assert client.get(f"/policies/{shanghai.pk}/edit/").status_code == 404
