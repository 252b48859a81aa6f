"""Reference data is exact: GB/T 2260 regions and GB/T 4754-2017 industries as shipped."""

import pytest
from django.db.models import Count

from industrybrain.core.models import Industry, IndustryCategory, IndustrySystem, Region

pytestmark = pytest.mark.django_db


def test_region_counts():
    zj = Region.objects.get(code="330000")
    assert zj.name == "浙江省"
    assert Region.objects.filter(parent=zj).count() == 11
    assert Region.objects.filter(level=3, path__startswith=zj.path).count() == 90
    sh = Region.objects.get(code="310000")
    assert Region.objects.filter(level=3, path__startswith=sh.path).count() == 16
    assert Region.objects.count() == 1 + 11 + 90 + 1 + 1 + 16


@pytest.mark.parametrize("code,name,parent", [
    ("330106", "西湖区", "330100"),
    ("310115", "浦东新区", "310100"),
    ("331082", "临海市", "331000"),
    ("330482", "平湖市", "330400"),
    ("330383", "龙港市", "330300"),
    ("310100", "市辖区", "310000"),
])
def test_region_spot_values(code, name, parent):
    region = Region.objects.get(code=code)
    assert (region.name, region.parent_id) == (name, parent)
    assert region.path.endswith(f"{parent}/{code}/")


def test_mountain_counties_tagged():
    tagged = [r for r in Region.objects.filter(code__startswith="33") if "山区26县" in r.tags]
    assert len(tagged) == 26
    assert "淳安县" in {r.name for r in tagged}


def test_region_full_name_skips_municipal_district_placeholder():
    assert Region.objects.get(code="310115").full_name == "上海市浦东新区"
    assert Region.objects.get(code="330106").full_name == "浙江省杭州市西湖区"


def test_industry_level_counts():
    counts = dict(Industry.objects.values_list("level").annotate(n=Count("code")))
    assert counts == {1: 20, 2: 97, 3: 473, 4: 1381}


@pytest.mark.parametrize("code,name,section", [
    ("C", "制造业", "C"),
    ("13", "农副食品加工业", "C"),
    ("3973", "集成电路制造", "C"),
    ("6520", "集成电路设计", "I"),
    ("3612", "新能源车整车制造", "C"),
    ("0111", "稻谷种植", "A"),
])
def test_industry_spot_values(code, name, section):
    industry = Industry.objects.get(code=code)
    assert (industry.name, industry.section) == (name, section)


def test_industry_subtree():
    manufacturing = Industry.objects.get(code="C")
    assert Industry.objects.filter(manufacturing.subtree_q()).filter(level=2).count() == 31
    assert Industry.objects.filter(Industry.objects.get(code="39").subtree_q(), level=4).count() > 20


def test_industry_systems_from_the_report():
    sh = IndustrySystem.objects.get(code="sh-3-6")
    kinds = dict(sh.categories.values_list("kind").annotate(n=Count("id")))
    assert kinds == {"leading": 3, "key": 6, "new_track": 4, "future": 5}
    assert set(sh.categories.filter(kind="leading").values_list("name", flat=True)) == {"集成电路", "生物医药", "人工智能"}
    zj = IndustrySystem.objects.get(code="zj-415x")
    assert set(zj.categories.filter(kind="cluster_trillion").values_list("name", flat=True)) == {
        "绿色石化（精细化工）", "新能源汽车及零部件", "智能物联", "现代纺织与服装"}
    assert set(zj.categories.filter(kind="cluster_5000").values_list("name", flat=True)) == {
        "集成电路", "高端新材料", "智能光伏", "生物医药与医疗器械"}


def test_industry_category_selects_enterprises_by_code_prefix(xihu_enterprise, other_enterprises):
    from industrybrain.registry.models import Enterprise

    ic = IndustryCategory.objects.get(code="zj-ic")
    assert list(Enterprise.objects.filter(ic.industry_q())) == [xihu_enterprise]
    nev = IndustryCategory.objects.get(code="zj-nev")
    assert [e.name for e in Enterprise.objects.filter(nev.industry_q())] == ["浦东新能源汽车有限公司"]
