"""Golden tests: conditions, reasons, gaps, amount formulas and caps (SQL path and Python path agree)."""

import datetime as dt
from decimal import Decimal

import pytest

from industrybrain.policies import eligibility as E
from tests.policies.conftest import AS_OF


def test_invalid_expression_reports_chinese_message_with_position():
    problems = E.problems("rd_ratio_last_year >= 3 AND revnue_last_year > 1", "eligibility")
    assert len(problems) == 1
    assert "未知字段" in problems[0] and "第 1 行第 29 列" in problems[0]
    assert "^" in problems[0]


def test_formula_must_be_a_number_and_eligibility_logical():
    assert any("数值" in p for p in E.problems("rd_ratio_last_year >= 3", "formula"))
    assert any("逻辑值" in p for p in E.problems("rd_expense_last_year * 0.1", "eligibility"))
    assert E.problems("rd_expense_last_year; DROP TABLE x", "formula")
    assert E.problems("LEAST(rd_expense_last_year * 0.1, 200)", "formula") == []


def test_top_level_and_chain_becomes_conditions_with_readable_names():
    prule = E.build_draft("(rd_ratio_last_year >= 3 AND revenue_last_year >= 2000) AND "
                          "(has_certification_high_tech OR has_certification_srdi_sme)")
    assert [c.id for c in prule.conditions] == ["c1", "c2", "c3"]
    assert prule.conditions[0].name == "上年度研发费用占营业收入比重 ≥ 3%"
    assert prule.conditions[1].name.startswith("上年度营业收入 ≥ 2000")
    assert "OR" in prule.conditions[2].text


@pytest.mark.parametrize(("raw", "cap", "expected"), [
    (12.345, None, Decimal("12.35")),      # half-up to 0.01 万元
    (12.344, None, Decimal("12.34")),
    (80.0, Decimal("50"), Decimal("50.00")),  # capped per enterprise
    (50.0, Decimal("50"), Decimal("50.00")),  # exactly the cap
    (-3.0, Decimal("50"), Decimal("0.00")),   # never negative
    (None, Decimal("50"), None),              # missing data: to be assessed, not 0
    (0.005, None, Decimal("0.01")),
    (12.344999999999999, None, Decimal("12.35")),  # binary noise of 12.345: 15 significant digits, then half-up
    (0.30000000000000004, None, Decimal("0.30")),
])
def test_clamp_amount_golden(raw, cap, expected):
    assert E.clamp_amount(raw, cap) == expected


def _rows(prule, ids, candidates_only=False):
    return {r["enterprise_id"]: r for r in E.run(prule, AS_OF, ids, candidates_only=candidates_only)}


def test_amount_formula_golden_sql_and_python(firm_factory):
    a = firm_factory(revenue="5000", rd="150")      # 3% exactly, formula 15 + 10 = 25
    b = firm_factory(revenue="20000", rd="2000")    # 10%, formula 200 + 10 → capped at 80
    c = firm_factory(revenue="1000", rd="100")      # revenue below 2000: fails one condition
    prule = E.build_draft("rd_ratio_last_year >= 3 AND revenue_last_year >= 2000",
                          "rd_expense_last_year * 0.1 + CASE WHEN revenue_last_year >= 10000 THEN 10 ELSE 10 END",
                          Decimal("80"))
    rows = _rows(prule, [a.pk, b.pk, c.pk])
    py = {r["enterprise_id"]: r for r in
          (dict(row, enterprise_id=eid) for eid, row in
           ((e.pk, E.evaluate_python([prule], e.pk, AS_OF)[0]) for e in (a, b, c)))}
    for ent, outcome, amount in ((a, "qualified", Decimal("25.00")), (b, "qualified", Decimal("80.00")),
                                 (c, "near_miss", None)):
        for source in (rows, py):
            row = source[ent.pk]
            assert E.outcome_of(prule, row) == outcome
            got = E.clamp_amount(row["amount_raw"], prule.cap) if outcome == "qualified" else None
            assert got == amount


def test_reasons_list_each_condition_with_value_threshold_and_gap(firm_factory):
    ent = firm_factory(revenue="10000", rd="250")  # 2.5%
    prule = E.build_draft("rd_ratio_last_year >= 3 AND revenue_last_year >= 2000", "10")
    row = _rows(prule, [ent.pk])[ent.pk]
    reasons = E.reasons(prule, row)
    assert [r["result"] for r in reasons] == ["fail", "pass"]
    assert reasons[0]["values"][0] == {"code": "rd_ratio_last_year", "label": "上年度研发费用占营业收入比重", "unit": "%",
                                       "value": 2.5}
    assert reasons[0]["gap"] == "上年度研发费用占营业收入比重还差 0.5 个百分点（现为 2.5%，要求 ≥ 3%）"
    assert reasons[1]["gap"] == ""
    assert E.outcome_of(prule, row) == "near_miss"


def test_unknown_data_is_neither_qualified_nor_near_miss(firm_factory):
    ent = firm_factory(revenue="5000", rd=None)
    prule = E.build_draft("rd_ratio_last_year >= 3 AND revenue_last_year >= 20000")
    row = _rows(prule, [ent.pk])[ent.pk]
    assert row["c_c1"] is None and row["c_c2"] is False
    assert E.outcome_of(prule, row) is None
    assert _rows(prule, [ent.pk], candidates_only=True) == {}


def test_candidates_only_filter_in_sql_keeps_qualified_and_near_misses(firm_factory):
    good = firm_factory(revenue="5000", rd="500")
    near = firm_factory(revenue="5000", rd="50")
    far = firm_factory(revenue="500", rd="5")
    prule = E.build_draft("rd_ratio_last_year >= 3 AND revenue_last_year >= 2000")
    rows = _rows(prule, None, candidates_only=True)
    assert good.pk in rows and near.pk in rows and far.pk not in rows


def test_rule_text_is_a_rule_of_the_shared_engine():
    from industrybrain.rules.rulefile import load_rule

    prule = E.build_draft("rd_ratio_last_year >= 3 AND has_certification_high_tech", code="Demo-1")
    spec = load_rule(E.rule_text("policy_demo_1", "x", 2, dt.date(2024, 1, 1), "doc", prule.conditions))
    assert spec.id == "policy_demo_1" and spec.version == "2" and len(spec.conditions) == 2
    assert E.rule_id("ZJ-2024/rd") == "policy_zj_2024_rd"


# -- wording: every condition reads as Chinese (labels, units, Chinese names of coded values) ---------

@pytest.mark.parametrize(("text", "expected"), [
    ("rd_ratio_last_year >= 3", "上年度研发费用占营业收入比重 ≥ 3%"),
    ("revenue_last_year >= 2000", "上年度营业收入 ≥ 2000万元"),
    ("revenue_growth_last_year >= -5", "上年度营业收入增长率 ≥ -5%"),
    ("size_class_last_year IN ('small', 'micro')", "上年度企业规模属于小型、微型"),
    ("size_class_last_year NOT IN ('large')", "上年度企业规模不属于大型"),
    ("rd_institute_level IN ('provincial', 'national')", "研发机构最高级别属于省级、国家级"),
    ("ownership = 'private'", "登记注册类型为民营"),
    ("leading_product_field <> 'other'", "主导产品所属领域不为其他"),
    ("has_certification_srdi_sme OR has_certification_little_giant",
     "已认定专精特新中小企业或已认定专精特新“小巨人”企业"),
    ("has_certification_tech_sme = FALSE", "未认定科技型中小企业"),
    ("NOT has_certification_high_tech", "未认定高新技术企业"),
    ("own_brand", "拥有自主品牌"),
    ("NOT own_brand", "不满足：拥有自主品牌"),
    ("revenue_last_year BETWEEN 100 AND 2000", "上年度营业收入在 100万元 至 2000万元 之间"),
    ("rd_ratio_last_year IS NULL", "上年度研发费用占营业收入比重无数据"),
    ("rd_ratio_last_year IS NOT NULL", "上年度研发费用占营业收入比重有数据"),
    ("rd_expense_last_year >= revenue_last_year * 0.05", "上年度研发费用 ≥ 上年度营业收入 × 0.05"),
    ("COALESCE(digital_level, 0) >= 2", "数字化水平等级（无数据按 0级） ≥ 2级"),
    ("(has_certification_high_tech OR rd_ratio_last_year >= 3) AND staff_last_year < 500",
     "（已认定高新技术企业或上年度研发费用占营业收入比重 ≥ 3%）且上年度从业人员 < 500人"),
])
def test_describe_golden_wording(text, expected):
    assert E.describe(E.parse_eligibility(text).tree) == expected


def test_no_condition_of_the_demo_policies_prints_raw_expressions():
    from industrybrain.policies.demo_data import CATALOGUE

    for row in CATALOGUE:
        for cond in E.build_draft(row[10]).conditions:
            assert not any(t in cond.name for t in ("'", "(", " OR ", " AND ", "IN ", "_")), cond.name


@pytest.mark.parametrize(("code", "value", "unit", "expected"), [
    ("revenue_last_year", 5000.0, "万元", "5000万元"), ("rd_ratio_last_year", 6.25, "%", "6.25%"),
    ("rd_ratio_last_year", None, "%", "无数据"), ("own_brand", True, "", "是"), ("own_brand", False, "", "否"),
    ("size_class_last_year", "small", "", "小型"), ("industry_code", "3973", "", "3973"),
])
def test_values_are_shown_with_units_and_chinese_names(code, value, unit, expected):
    assert E.show_value(code, value, unit) == expected
