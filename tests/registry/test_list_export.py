"""The enterprise list and its Excel export: scope, every filter, search, sorting, paging."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from industrybrain.core.models import IndustryCategory
from industrybrain.registry.models import Enterprise, Tag
from tests import factories

pytestmark = pytest.mark.django_db

LIST = reverse("registry:enterprise-list")
EXPORT = reverse("registry:enterprise-export")


def names(response):
    return [e.name for e in response.context["page"].object_list]


def listed(client, user, **params):
    client.force_login(user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    return names(response)


def export_rows(client, user, **params):
    client.force_login(user)
    response = client.get(EXPORT, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    return rows[0], rows[1:]


@pytest.fixture
def everyone(roles, xihu_enterprise, other_enterprises, city_enterprise):
    return roles


# ---------------------------------------------------------------- scope

@pytest.mark.parametrize(("role", "expected"), [
    ("county", {"西湖芯片有限公司"}),
    ("city", {"西湖芯片有限公司", "萧山电池有限公司"}),
    ("province", {"西湖芯片有限公司", "萧山电池有限公司", "宁波生物药业有限公司", "龙港纺织有限公司"}),
    ("steward", {"西湖芯片有限公司"}),
    ("enterprise", {"西湖芯片有限公司"}),
])
def test_list_shows_only_the_users_scope(client, everyone, role, expected):
    assert set(listed(client, everyone[role])) == expected


def test_enterprise_user_sees_only_its_own(client, everyone):
    factories.enterprise("330106", "3973", name="西湖另一家企业")
    assert listed(client, everyone["enterprise"]) == ["西湖芯片有限公司"]


def test_steward_sees_only_assigned(client, everyone):
    factories.enterprise("330106", "3973", name="西湖未分配企业")
    assert listed(client, everyone["steward"]) == ["西湖芯片有限公司"]


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/login" in response["Location"]


# ---------------------------------------------------------------- filters

def test_region_filter_includes_the_subtree(client, everyone):
    # 杭州市 (330100) includes 西湖区 and 萧山区, not 宁波.
    assert set(listed(client, everyone["province"], region="330100")) == {"西湖芯片有限公司", "萧山电池有限公司"}
    assert listed(client, everyone["province"], region="330109") == ["萧山电池有限公司"]


def test_region_filter_cannot_reach_outside_the_scope(client, everyone):
    client.force_login(everyone["county"])
    response = client.get(LIST, {"region": "330200"})
    assert names(response) == []
    assert "所选区划不存在或不在您的管辖范围内" in response.content.decode()
    # The county officer's region choices are its own subtree only.
    codes = {r.code for r in response.context["filter"].form.fields["region"].queryset}
    assert codes == {"330106"}


@pytest.mark.parametrize(("code", "expected"), [
    ("C", {"西湖芯片有限公司", "萧山电池有限公司", "宁波生物药业有限公司", "龙港纺织有限公司"}),
    ("39", {"西湖芯片有限公司"}),
    ("397", {"西湖芯片有限公司"}),
    ("3841", {"萧山电池有限公司"}),
    (" 27 ", {"宁波生物药业有限公司"}),
    ("c", {"西湖芯片有限公司", "萧山电池有限公司", "宁波生物药业有限公司", "龙港纺织有限公司"}),
])
def test_industry_filter_at_any_level(client, everyone, code, expected):
    assert set(listed(client, everyone["province"], industry=code)) == expected


def test_unknown_industry_code_is_an_error_not_everything(client, everyone):
    client.force_login(everyone["province"])
    response = client.get(LIST, {"industry": "9999"})
    assert names(response) == []
    assert "未知的行业代码：9999" in response.content.decode()


def test_industry_system_category_filter(client, everyone):
    ic = IndustryCategory.objects.get(code="zj-ic")  # 3973 集成电路制造 …
    nev = IndustryCategory.objects.get(code="zj-nev")  # 36, 3841
    assert listed(client, everyone["province"], category=ic.code) == ["西湖芯片有限公司"]
    assert listed(client, everyone["province"], category=nev.code) == ["萧山电池有限公司"]


def test_category_choices_are_the_users_jurisdiction(client, everyone):
    client.force_login(everyone["county"])
    response = client.get(LIST)
    systems = {c.system.code for c in response.context["filter"].form.fields["category"].queryset}
    assert systems == {"zj-415x"}


def test_size_class_and_above_scale_filters(client, everyone, xihu_enterprise, city_enterprise):
    factories.yearly_fact(xihu_enterprise, revenue=Decimal("45000"), main_business_revenue=Decimal("44000"),
                          staff=1200)  # 大型, 规上
    factories.yearly_fact(city_enterprise, revenue=Decimal("500"), main_business_revenue=Decimal("450"),
                          staff=30)  # 小型, 规下
    province = everyone["province"]
    assert listed(client, province, size_class="large") == ["西湖芯片有限公司"]
    assert listed(client, province, size_class="small") == ["萧山电池有限公司"]
    assert listed(client, province, above_scale="true") == ["西湖芯片有限公司"]
    assert "西湖芯片有限公司" not in listed(client, province, above_scale="false")
    assert "萧山电池有限公司" in listed(client, province, above_scale="false")


def test_tag_filter(client, everyone, city_enterprise):
    tag = Tag.objects.create(code="zjtx", name="专精特新")
    city_enterprise.tags.add(tag)
    assert listed(client, everyone["province"], tag="zjtx") == ["萧山电池有限公司"]


def test_filters_combine(client, everyone, city_enterprise):
    tag = Tag.objects.create(code="zjtx", name="专精特新")
    city_enterprise.tags.add(tag)
    assert listed(client, everyone["province"], tag="zjtx", region="330200") == []
    assert listed(client, everyone["province"], tag="zjtx", region="330100", industry="38") == ["萧山电池有限公司"]


# ---------------------------------------------------------------- search

def test_search_by_name_contains(client, everyone):
    assert listed(client, everyone["province"], q="电池") == ["萧山电池有限公司"]


def test_search_by_uscc_prefix(client, everyone, other_enterprises):
    ningbo = other_enterprises[0]
    assert listed(client, everyone["province"], q=ningbo.uscc[:14].lower()) == ["宁波生物药业有限公司"]
    # A prefix, not a substring: the middle of a code finds nothing.
    assert listed(client, everyone["province"], q=ningbo.uscc[4:16]) == []


def test_search_never_leaves_the_scope(client, everyone):
    assert listed(client, everyone["county"], q="宁波") == []


# ---------------------------------------------------------------- sorting and paging

def test_sort_by_name_and_reverse(client, everyone):
    by_name = listed(client, everyone["province"], sort="name")
    assert by_name == sorted(by_name)
    assert listed(client, everyone["province"], sort="-name") == list(reversed(by_name))


def test_sort_by_region_and_founding_date(client, everyone, xihu_enterprise, city_enterprise, other_enterprises):
    assert listed(client, everyone["province"], sort="region") == [
        "西湖芯片有限公司", "萧山电池有限公司", "宁波生物药业有限公司", "龙港纺织有限公司"]
    Enterprise.objects.filter(pk=city_enterprise.pk).update(founded_on="1995-03-01")
    Enterprise.objects.filter(pk=xihu_enterprise.pk).update(founded_on="2015-06-01")
    Enterprise.objects.filter(pk=other_enterprises[0].pk).update(founded_on="2005-01-01")
    Enterprise.objects.filter(pk=other_enterprises[1].pk).update(founded_on="2020-01-01")
    assert listed(client, everyone["province"], sort="founded_on") == [
        "萧山电池有限公司", "宁波生物药业有限公司", "西湖芯片有限公司", "龙港纺织有限公司"]


def test_default_order_is_uscc(client, everyone):
    client.force_login(everyone["province"])
    usccs = [e.uscc for e in client.get(LIST).context["page"].object_list]
    assert usccs == sorted(usccs)


def test_sort_links_toggle_direction_and_keep_filters(client, everyone):
    client.force_login(everyone["province"])
    html = client.get(LIST, {"sort": "name", "region": "330100"}).content.decode()
    assert "sort=-name" in html and "region=330100" in html


def test_pagination_fifty_per_page_keeps_filters(client, roles):
    for i in range(55):
        factories.enterprise("330106", "3973", name=f"分页测试企业{i:02d}")
    factories.enterprise("330109", "3841", name="不在筛选范围")
    client.force_login(roles["province"])
    first = client.get(LIST, {"region": "330106"})
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 56  # 55 + 西湖芯片
    html = first.content.decode()
    assert "region=330106&amp;page=2" in html
    second = client.get(LIST, {"region": "330106", "page": 2})
    assert len(second.context["page"].object_list) == 6
    assert not set(names(first)) & set(names(second))
    assert "不在筛选范围" not in names(second)


def test_list_queries_do_not_grow_with_rows(client, roles, django_assert_max_num_queries):
    tag = Tag.objects.create(code="gq", name="高新技术企业")
    for i in range(30):
        factories.enterprise("330106", "3973", name=f"批量企业{i:02d}").tags.add(tag)
    client.force_login(roles["province"])
    # session/user, notifications, regions, categories, tags, count, page, tags prefetch …: a fixed number.
    with django_assert_max_num_queries(14):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 31


# ---------------------------------------------------------------- export

def test_export_has_chinese_headers_and_every_field(client, everyone, xihu_enterprise):
    tag = Tag.objects.create(code="zjtx", name="专精特新")
    xihu_enterprise.tags.add(tag)
    Enterprise.objects.filter(pk=xihu_enterprise.pk).update(founded_on="2015-06-01")
    factories.yearly_fact(xihu_enterprise, revenue=Decimal("45000"), main_business_revenue=Decimal("44000"),
                          staff=1200)
    header, rows = export_rows(client, everyone["county"])
    assert header == ("统一社会信用代码", "企业名称", "区划代码", "所在区划", "行业代码", "所属行业", "成立日期",
                      "登记注册类型", "企业规模", "规上企业", "标签", "服务管家")
    assert rows == [(xihu_enterprise.uscc, "西湖芯片有限公司", "330106", "浙江省杭州市西湖区", "3973",
                     "集成电路制造", "2015-06-01", "民营", "大型", "是", "专精特新", "steward")]


def test_export_excludes_rows_outside_the_scope(client, everyone):
    _header, rows = export_rows(client, everyone["city"])
    assert {r[1] for r in rows} == {"西湖芯片有限公司", "萧山电池有限公司"}
    _header, rows = export_rows(client, everyone["county"])
    assert [r[1] for r in rows] == ["西湖芯片有限公司"]
    _header, rows = export_rows(client, everyone["county"], region="330200")  # not the county's: nothing
    assert rows == []


def test_export_applies_the_list_filters(client, everyone):
    _header, rows = export_rows(client, everyone["province"], region="330100", industry="38")
    assert [r[1] for r in rows] == ["萧山电池有限公司"]
    _header, rows = export_rows(client, everyone["province"], sort="-name")
    exported = [r[1] for r in rows]
    assert exported == sorted(exported, reverse=True) and len(exported) == 4


def test_export_filename_is_chinese(client, everyone):
    client.force_login(everyone["province"])
    response = client.get(EXPORT)
    assert "filename*=UTF-8''%E4%BC%81%E4%B8%9A%E5%90%8D%E5%BD%95_" in response["Content-Disposition"]


def test_uscc_prefix_search_uses_the_code_range(client, everyone):
    from industrybrain.registry.models import Enterprise

    target = Enterprise.objects.get(name="西湖芯片有限公司")
    assert listed(client, everyone["province"], q=target.uscc[:10]) == ["西湖芯片有限公司"]
    assert listed(client, everyone["province"], q=target.uscc[:10].lower()) == ["西湖芯片有限公司"]
    assert listed(client, everyone["province"], q=target.uscc) == ["西湖芯片有限公司"]
    assert listed(client, everyone["province"], q="91330106ZZZZ") == []
