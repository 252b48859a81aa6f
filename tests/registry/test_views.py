"""一企一档 pages: the profile with facts, sources, certifications and history; role denials; yearly facts."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from industrybrain.registry.models import Certification, Enterprise, MonthlyFact, YearlyFact
from tests import factories

pytestmark = pytest.mark.django_db


def detail_url(ent):
    return reverse("registry:enterprise-detail", args=[ent.pk])


def edit_url(ent):
    return reverse("registry:enterprise-edit", args=[ent.pk])


def fact_url(ent, year):
    return reverse("registry:yearly-fact-edit", args=[ent.pk, year])


def get_as(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


# ---------------------------------------------------------------- detail page

def test_detail_shows_identity_and_yearly_facts_with_units_and_sources(client, roles, xihu_enterprise):
    factories.yearly_fact(xihu_enterprise, 2022, revenue=Decimal("12345.60"), staff=150, source="市统计局")
    fact = factories.yearly_fact(xihu_enterprise, 2023, revenue=Decimal("23456.70"), tax=Decimal("789"),
                                 source="市统计局")
    fact.record_field_source(["tax"], "省税务局", "2024-04-01T09:30:00+08:00")
    fact.save()
    response = get_as(client, roles["county"], detail_url(xihu_enterprise))
    assert response.status_code == 200
    html = response.content.decode()
    assert xihu_enterprise.uscc in html and "浙江省杭州市西湖区" in html
    assert "3973 集成电路制造" in html and "39 计算机、通信和其他电子设备制造业" in html
    assert "12,345.60" in html and "23,456.70" in html
    assert "营业收入" in html and "万元" in html and "从业人员" in html
    assert "来源：省税务局；时间：2024-04-01 09:30" in html  # the per-field override of tax
    assert "来源：市统计局" in html
    assert 'class="num source-override"' in html


def test_detail_chart_data_is_passed_as_json(client, roles, xihu_enterprise):
    factories.yearly_fact(xihu_enterprise, 2022, revenue=Decimal("1000"))
    factories.yearly_fact(xihu_enterprise, 2023, revenue=Decimal("2000"))
    response = get_as(client, roles["county"], detail_url(xihu_enterprise))
    html = response.content.decode()
    assert 'data-chart="yearly-chart-data"' in html and "vendor/echarts/echarts.min.js" in html
    chart = response.context["yearly_chart"]
    assert chart["categories"] == ["2022", "2023"]
    revenue = next(s for s in chart["series"] if s["name"] == "营业收入")
    assert revenue["data"] == [1000.0, 2000.0]
    assert '<script id="yearly-chart-data" type="application/json">' in html
    assert json.loads(html.split('<script id="yearly-chart-data" type="application/json">')[1]
                      .split("</script>")[0])["categories"] == ["2022", "2023"]


def test_detail_monthly_facts_last_36_months_for_above_scale(client, roles, xihu_enterprise):
    factories.yearly_fact(xihu_enterprise, revenue=Decimal("45000"), main_business_revenue=Decimal("44000"))
    for year in (2021, 2022, 2023, 2024):
        for month in range(1, 13):
            MonthlyFact.objects.create(enterprise=xihu_enterprise, year=year, month=month,
                                       output=Decimal(year * 100 + month), source="省电力公司")
    response = get_as(client, roles["county"], detail_url(xihu_enterprise))
    rows = response.context["monthly_rows"]
    assert len(rows) == 36
    assert rows[0]["period"] == "2024-12" and rows[-1]["period"] == "2022-01"
    assert response.context["monthly_chart"]["categories"][0] == "2022-01"
    assert "月度数据（近36个月）" in response.content.decode()


def test_detail_without_monthly_facts_for_small_enterprise(client, roles, xihu_enterprise):
    response = get_as(client, roles["county"], detail_url(xihu_enterprise))
    assert "月度数据" not in response.content.decode()


def test_detail_certification_badges(client, roles, xihu_enterprise):
    today = timezone.localdate()
    Certification.objects.create(enterprise=xihu_enterprise, kind="srdi", name="专精特新中小企业",
                                 issued_on=today - dt.timedelta(days=400), valid_until=today + dt.timedelta(days=500))
    Certification.objects.create(enterprise=xihu_enterprise, kind="hnte", name="高新技术企业",
                                 issued_on=today - dt.timedelta(days=1500), valid_until=today - dt.timedelta(days=10))
    response = get_as(client, roles["county"], detail_url(xihu_enterprise))
    statuses = {item["cert"].name: item["status"] for item in response.context["certifications"]}
    assert statuses == {"专精特新中小企业": "有效", "高新技术企业": "已过期"}
    html = response.content.decode()
    assert "text-bg-success" in html and "text-bg-danger" in html


def test_detail_history_shows_who_when_and_before_after(client, roles, xihu_enterprise):
    client.force_login(roles["county"])
    data = {"uscc": xihu_enterprise.uscc, "name": "西湖芯片股份有限公司", "region": "330106", "industry": "3973",
            "ownership": "private", "founded_on": "", "legal_representative": "", "address": ""}
    assert client.post(edit_url(xihu_enterprise), data).status_code == 302
    client.post(fact_url(xihu_enterprise, 2023), {"revenue": "1000", "staff": "50"})
    client.post(fact_url(xihu_enterprise, 2023), {"revenue": "1200", "staff": "50"})
    response = client.get(detail_url(xihu_enterprise))
    rows = response.context["history_rows"]
    # The fixtures' own writes have no actor ("系统"); everything done through the pages is the officer's.
    assert {r["actor"] for r in rows if r["object"] == "企业年度数据"} == {"county"}
    renamed = next(r for r in rows if any(c["field"] == "企业名称" for c in r["changes"]))
    assert renamed["actor"] == "county" and renamed["action"] == "修改"
    assert "系统" in {r["actor"] for r in rows}
    changes = [(c["field"], c["before"], c["after"]) for r in rows for c in r["changes"]]
    assert ("企业名称", "西湖芯片有限公司", "西湖芯片股份有限公司") in changes
    assert ("营业收入（万元）", "1000.00", "1200.00") in changes  # the correction keeps the old value
    assert {r["object"] for r in rows} >= {"企业", "企业年度数据"}
    html = response.content.decode()
    assert "西湖芯片有限公司</del>" in html and "1200.00</ins>" in html


def test_history_excludes_other_enterprises(client, roles, xihu_enterprise, city_enterprise):
    client.force_login(roles["city"])
    client.post(fact_url(city_enterprise, 2023), {"revenue": "777"})
    response = client.get(detail_url(xihu_enterprise))
    assert all(r["entry"].additional_data != {"enterprise_id": city_enterprise.pk}
               for r in response.context["history_rows"])
    assert LogEntry.objects.filter(additional_data__enterprise_id=city_enterprise.pk).exists()
    assert "777" not in response.content.decode()


def test_history_shows_tag_changes(client, roles, xihu_enterprise):
    from industrybrain.registry.models import Tag

    tag = Tag.objects.create(code="zjtx", name="专精特新")
    client.force_login(roles["county"])
    data = {"uscc": xihu_enterprise.uscc, "name": xihu_enterprise.name, "region": "330106", "industry": "3973",
            "ownership": "private", "tags": [tag.pk]}
    client.post(edit_url(xihu_enterprise), data)
    response = client.get(detail_url(xihu_enterprise))
    changes = [c for r in response.context["history_rows"] for c in r["changes"]]
    assert {"field": "标签", "before": "", "after": "添加：专精特新"} in changes


# ---------------------------------------------------------------- role denials

@pytest.mark.parametrize("role", ["county", "city", "steward", "enterprise"])
def test_out_of_scope_detail_is_404(client, roles, other_enterprises, role):
    ningbo = other_enterprises[0]
    assert get_as(client, roles[role], detail_url(ningbo)).status_code == 404


@pytest.mark.parametrize("role", ["county", "city"])
def test_out_of_scope_edit_and_facts_are_404(client, roles, other_enterprises, role):
    ningbo = other_enterprises[0]
    client.force_login(roles[role])
    assert client.get(edit_url(ningbo)).status_code == 404
    assert client.post(edit_url(ningbo), {"name": "改名"}).status_code == 404
    assert client.post(fact_url(ningbo, 2023), {"revenue": "1"}).status_code == 404
    ningbo.refresh_from_db()
    assert ningbo.name == "宁波生物药业有限公司"
    assert not YearlyFact.objects.filter(enterprise=ningbo).exists()


def test_enterprise_user_sees_only_its_own(client, roles, xihu_enterprise):
    neighbour = factories.enterprise("330106", "3973", name="同区另一企业")
    assert get_as(client, roles["enterprise"], detail_url(xihu_enterprise)).status_code == 200
    assert get_as(client, roles["enterprise"], detail_url(neighbour)).status_code == 404


def test_steward_sees_only_assigned(client, roles, xihu_enterprise):
    unassigned = factories.enterprise("330106", "3973", name="未分配企业")
    assert get_as(client, roles["steward"], detail_url(xihu_enterprise)).status_code == 200
    assert get_as(client, roles["steward"], detail_url(unassigned)).status_code == 404


@pytest.mark.parametrize(("role", "can_edit"), [
    ("county", True), ("city", True), ("province", True), ("admin", True),
    ("reviewer", False), ("steward", False), ("enterprise", False),
])
def test_edit_button_only_for_editors(client, roles, xihu_enterprise, role, can_edit):
    html = get_as(client, roles[role], detail_url(xihu_enterprise)).content.decode()
    assert ('data-testid="edit-enterprise"' in html) is can_edit
    assert (edit_url(xihu_enterprise) in html) is can_edit


@pytest.mark.parametrize("role", ["reviewer", "steward", "enterprise"])
def test_non_editors_get_403_on_edit_create_and_facts(client, roles, xihu_enterprise, role):
    client.force_login(roles[role])
    assert client.get(reverse("registry:enterprise-create")).status_code == 403
    assert client.post(reverse("registry:enterprise-create"), {"name": "x"}).status_code == 403
    assert client.get(edit_url(xihu_enterprise)).status_code == 403
    assert client.post(edit_url(xihu_enterprise), {"name": "改名"}).status_code == 403
    assert client.post(fact_url(xihu_enterprise, 2023), {"revenue": "1"}).status_code == 403
    xihu_enterprise.refresh_from_db()
    assert xihu_enterprise.name == "西湖芯片有限公司"
    assert not YearlyFact.objects.exists()


def test_create_link_only_for_editors(client, roles):
    create = reverse("registry:enterprise-create")
    assert create in get_as(client, roles["county"], reverse("registry:enterprise-list")).content.decode()
    assert create not in get_as(client, roles["reviewer"], reverse("registry:enterprise-list")).content.decode()


# ---------------------------------------------------------------- yearly facts

def test_new_year_records_manual_source_and_reclassifies(client, roles, xihu_enterprise):
    client.force_login(roles["county"])
    response = client.post(fact_url(xihu_enterprise, 2023), {
        "revenue": "45000", "main_business_revenue": "44000", "staff": "1200", "profit": "-15.5"})
    assert response.status_code == 302 and response["Location"] == detail_url(xihu_enterprise)
    fact = YearlyFact.objects.get(enterprise=xihu_enterprise, year=2023)
    assert fact.revenue == Decimal("45000") and fact.profit == Decimal("-15.5")
    assert fact.source_of("revenue")["source"] == "手工录入（county）"
    assert fact.source_of("profit")["source"] == "手工录入（county）"
    assert "tax" not in fact.field_sources  # nothing typed, nothing claimed
    xihu_enterprise.refresh_from_db()
    assert (xihu_enterprise.size_class, xihu_enterprise.above_scale) == ("large", True)


def test_correction_keeps_received_at_and_marks_only_changed_fields(client, roles, xihu_enterprise):
    fact = factories.yearly_fact(xihu_enterprise, 2023, revenue=Decimal("5000"),
                                 main_business_revenue=Decimal("4800"), staff=120, source="市统计局")
    received = fact.received_at
    client.force_login(roles["county"])
    response = client.post(fact_url(xihu_enterprise, 2023), {
        "revenue": "5000", "main_business_revenue": "1500", "staff": "120"}, follow=True)
    assert "已更正2023年度数据" in response.content.decode()
    fact.refresh_from_db()
    assert fact.received_at == received
    assert fact.source == "市统计局"
    assert fact.source_of("main_business_revenue")["source"] == "手工录入（county）"
    assert fact.source_of("revenue")["source"] == "市统计局"
    xihu_enterprise.refresh_from_db()
    assert xihu_enterprise.above_scale is False  # 1500万元 < 2000万元
    entry = LogEntry.objects.filter(content_type__model="yearlyfact", action=LogEntry.Action.UPDATE).latest()
    assert entry.changes["main_business_revenue"] == ["4800.00", "1500.00"]
    assert entry.actor == roles["county"]


def test_fact_form_shows_current_sources(client, roles, xihu_enterprise):
    factories.yearly_fact(xihu_enterprise, 2023, source="市统计局")
    html = get_as(client, roles["county"], fact_url(xihu_enterprise, 2023)).content.decode()
    assert "现值来源：市统计局" in html


def test_fact_form_rejects_impossible_values(client, roles, xihu_enterprise):
    client.force_login(roles["county"])
    response = client.post(fact_url(xihu_enterprise, 2023), {
        "revenue": "-1", "staff": "10", "rd_staff": "20", "main_business_revenue": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "营业收入不能为负数" in html and "研发人员不能多于从业人员" in html
    assert not YearlyFact.objects.exists()


def test_fact_year_out_of_range_is_404(client, roles, xihu_enterprise):
    client.force_login(roles["county"])
    assert client.get(fact_url(xihu_enterprise, timezone.localdate().year + 1)).status_code == 404
    assert client.get(fact_url(xihu_enterprise, 1900)).status_code == 404


def test_unchanged_fact_form_writes_nothing(client, roles, xihu_enterprise):
    factories.yearly_fact(xihu_enterprise, 2023, revenue=Decimal("5000"), main_business_revenue=Decimal("4800"),
                          staff=120)
    before = LogEntry.objects.count()
    client.force_login(roles["county"])
    client.post(fact_url(xihu_enterprise, 2023), {"revenue": "5000", "main_business_revenue": "4800", "staff": "120"})
    assert LogEntry.objects.count() == before


def test_enterprise_model_has_no_unscoped_path(client, roles, other_enterprises):
    """Even a guessed id in each registry URL of another city's enterprise is a 404 for a county officer."""
    ningbo = other_enterprises[0]
    client.force_login(roles["county"])
    for url in (detail_url(ningbo), edit_url(ningbo), fact_url(ningbo, 2023)):
        assert client.get(url).status_code == 404, url
    assert Enterprise.objects.filter(pk=ningbo.pk).exists()


def test_history_of_a_creation_lists_values_not_bookkeeping(client, roles, xihu_enterprise):
    client.force_login(roles["county"])
    client.post(fact_url(xihu_enterprise, 2023), {"revenue": "1000", "staff": "50"})
    response = client.get(detail_url(xihu_enterprise))
    created = next(r for r in response.context["history_rows"]
                   if r["object"] == "企业年度数据" and r["action"] == "新增")
    fields = {c["field"]: c["after"] for c in created["changes"]}
    assert fields["营业收入（万元）"] == "1000.00" and fields["从业人员（人）"] == "50"
    assert fields["数据来源"] == "手工录入（county）"
    assert not {"ID", "分字段来源", "接收时间", "企业"} & set(fields)
    assert all(c["before"] == "" for c in created["changes"])
    assert created["label"] == "2023"


def test_history_of_an_enterprise_creation_hides_reverse_relations(client, roles):
    client.force_login(roles["county"])
    from tests import factories

    enterprise = factories.enterprise("330106", "3973", name="新建审计测试企业")
    response = client.get(detail_url(enterprise))
    created = next(r for r in response.context["history_rows"] if r["action"] == "新增")
    fields = {c["field"] for c in created["changes"]}
    assert "企业名称" in fields
    assert not any(".None" in c["after"] for c in created["changes"])
    assert not {"yearly_facts", "monthly_facts", "certifications", "users", "projects"} & fields
