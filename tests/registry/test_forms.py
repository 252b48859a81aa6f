"""Creating and editing enterprises: USCC checks in Chinese, region scope, industry code, dates, stewards."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from industrybrain.core.models import Role
from industrybrain.registry.forms import EnterpriseForm, YearlyFactForm
from industrybrain.registry.models import Enterprise
from tests import factories

pytestmark = pytest.mark.django_db

CREATE = reverse("registry:enterprise-create")


def payload(**overrides):
    data = {"uscc": factories.uscc_for("330106"), "name": "新建测试科技有限公司", "region": "330106",
            "industry": "3973", "founded_on": "2018-05-20", "ownership": "private",
            "legal_representative": "张三", "address": "杭州市西湖区文三路1号"}
    data.update(overrides)
    return data


def post_create(client, user, **overrides):
    client.force_login(user)
    return client.post(CREATE, payload(**overrides))


def bad_org_check_uscc(region="330106") -> str:
    """A USCC whose 18th character is right but whose organisation-code check (9th–17th) is not."""
    body = factories.next_org_body()
    from industrybrain.registry.uscc import organisation_code_check_char

    right = organisation_code_check_char(body)
    wrong = next(ch for ch in "0123456789" if ch != right)
    head = "91" + region + body + wrong
    return head + stdnum_uscc.calc_check_digit(head)


def test_officer_creates_an_enterprise_in_its_region(client, roles):
    response = post_create(client, roles["county"])
    enterprise = Enterprise.objects.get(name="新建测试科技有限公司")
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:enterprise-detail", args=[enterprise.pk])
    assert enterprise.region_id == "330106" and enterprise.industry_id == "3973"
    assert enterprise.founded_on == dt.date(2018, 5, 20)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已建档：新建测试科技有限公司"]


@pytest.mark.parametrize(("code", "message"), [
    ("91330106MA27XYZ00", "统一社会信用代码应为18位，实际为17位"),
    ("91350100M000100Y44", "统一社会信用代码校验位错误（第18位）"),
    ("91330106MA2OXYZ001", "不得使用I、O、Z、S、V"),
    ("", "请填写统一社会信用代码"),
])
def test_bad_uscc_is_refused_with_a_chinese_reason(client, roles, code, message):
    response = post_create(client, roles["county"], uscc=code)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Enterprise.objects.filter(name="新建测试科技有限公司").exists()


def test_lowercase_and_spaced_uscc_is_normalised(client, roles):
    code = factories.uscc_for("330106")
    spaced = code[:6].lower() + " " + code[6:].lower()
    post_create(client, roles["county"], uscc=spaced)
    assert Enterprise.objects.get(name="新建测试科技有限公司").uscc == code


def test_organisation_code_warning_does_not_block(client, roles):
    code = bad_org_check_uscc()
    response = post_create(client, roles["county"], uscc=code)
    assert response.status_code == 302
    assert Enterprise.objects.filter(uscc=code).exists()
    messages = {m.level_tag: str(m) for m in get_messages(response.wsgi_request)}
    assert messages["success"] == "已建档：新建测试科技有限公司"
    assert "组织机构代码部分（第9–17位）校验位不符" in messages["warning"]


def test_valid_organisation_code_gives_no_warning(client, roles):
    response = post_create(client, roles["county"])
    assert {m.level_tag for m in get_messages(response.wsgi_request)} == {"success"}


def test_duplicate_uscc_is_refused(client, roles, xihu_enterprise):
    response = post_create(client, roles["county"], uscc=xihu_enterprise.uscc)
    assert "该统一社会信用代码已登记，请勿重复建档" in response.content.decode()


def test_officer_cannot_create_outside_its_region(client, roles):
    response = post_create(client, roles["county"], region="330203", uscc=factories.uscc_for("330203"))
    assert response.status_code == 200
    assert "只能选择您有权管理的行政区划" in response.content.decode()
    assert not Enterprise.objects.filter(name="新建测试科技有限公司").exists()


def test_city_officer_may_create_anywhere_in_its_city(client, roles):
    response = post_create(client, roles["city"], region="330109", uscc=factories.uscc_for("330109"))
    assert response.status_code == 302
    assert Enterprise.objects.get(name="新建测试科技有限公司").region_id == "330109"


def test_officer_cannot_move_an_enterprise_out_of_its_region(client, roles, xihu_enterprise):
    client.force_login(roles["county"])
    url = reverse("registry:enterprise-edit", args=[xihu_enterprise.pk])
    response = client.post(url, payload(uscc=xihu_enterprise.uscc, name=xihu_enterprise.name, region="330203"))
    assert response.status_code == 200
    xihu_enterprise.refresh_from_db()
    assert xihu_enterprise.region_id == "330106"


def test_region_choices_are_the_users_visible_regions(roles):
    county_form = EnterpriseForm(user=roles["county"])
    assert {r.code for r in county_form.fields["region"].queryset} == {"330106"}
    city_codes = {r.code for r in EnterpriseForm(user=roles["city"]).fields["region"].queryset}
    assert "330109" in city_codes and "330100" in city_codes and "330203" not in city_codes


def test_unknown_industry_code_has_a_clear_error(client, roles):
    response = post_create(client, roles["county"], industry="3999")
    assert "未知的行业小类代码：3999" in response.content.decode()
    response = post_create(client, roles["county"], industry="39")  # a 大类, not a 小类
    assert "未知的行业小类代码：39" in response.content.decode()


def test_founded_on_cannot_be_in_the_future(client, roles):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = post_create(client, roles["county"], founded_on=tomorrow.isoformat())
    assert "成立日期不能晚于今天" in response.content.decode()
    assert not Enterprise.objects.filter(name="新建测试科技有限公司").exists()


def test_tags_and_steward_are_saved(client, roles):
    from industrybrain.registry.models import Tag

    tag = Tag.objects.create(code="gq", name="高新技术企业")
    response = post_create(client, roles["county"], tags=[tag.pk], steward=roles["steward"].pk)
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(name="新建测试科技有限公司")
    assert list(enterprise.tags.all()) == [tag] and enterprise.steward == roles["steward"]


def test_steward_choices_are_stewards_of_the_users_region_line(roles):
    factories.user("ningbo-steward", Role.STEWARD, "330203")
    factories.user("city-steward", Role.STEWARD, "330100")
    factories.user("not-a-steward", Role.COUNTY_OFFICER, "330106")
    names = {u.username for u in EnterpriseForm(user=roles["county"]).fields["steward"].queryset}
    assert names == {"steward", "city-steward"}  # own county and the city above it; not 宁波, not officers


def test_steward_from_another_region_is_refused(client, roles):
    other = factories.user("ningbo-steward", Role.STEWARD, "330203")
    response = post_create(client, roles["county"], steward=other.pk)
    assert response.status_code == 200
    assert not Enterprise.objects.filter(name="新建测试科技有限公司").exists()


def test_size_class_is_not_editable(roles):
    assert "size_class" not in EnterpriseForm(user=roles["county"]).fields
    assert "above_scale" not in EnterpriseForm(user=roles["county"]).fields


def test_yearly_fact_form_rules():
    form = YearlyFactForm(data={"revenue": "100", "main_business_revenue": "150", "profit": "-20",
                                "staff": "5", "rd_staff": "6"})
    assert not form.is_valid()
    assert form.errors["main_business_revenue"] == ["主营业务收入不能大于营业收入"]
    assert form.errors["rd_staff"] == ["研发人员不能多于从业人员"]
    assert "profit" not in form.errors  # a loss is allowed
    empty = YearlyFactForm(data={})
    assert not empty.is_valid() and "请至少填写一项数据" in empty.non_field_errors()
