"""The feature catalogue: every field a rule may read, with its label, unit, type and derivation.

Two layers:

* **Base columns** (internal, trusted): read straight from the registry for an evaluation date —
  yearly facts pivoted by year (`revenue_y1` = 营业收入 of the calendar year before the evaluation date,
  `_y2` the year before that, `_y3` …), enterprise fields, certifications valid on the date
  (`cert_<kind>`), and enterprise attributes (`attr_<code>`, the latest value recorded on or before the
  date, from `rules.EnterpriseAttribute`). The compiler turns them into one derived table (conditional
  aggregation), and `pyeval.base_rows` computes the same values in plain Python from the ORM.
* **Features** (public, what rules use): each is an expression *in the rule language* over base columns,
  so `/` means real division and a zero denominator gives "not enough data" exactly as in rules.

Ratios and growth rates are in percent (`rd_ratio_last_year >= 3` means 3%); money is in 万元, the unit of
the registry. Each feature states what a missing value means: most are "unknown" (NULL → 数据不足); a few
record achievements, where no record means "none" (证书、奖励、股权融资), and say so in `missing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from industrybrain.registry.models import YEARLY_FACT_FIELDS
from industrybrain.registry.sizing import ABOVE_SCALE_MAIN_REVENUE, INDUSTRIAL_SIZE_THRESHOLDS

from .language import Expression, Type, parse

YEARS_BACK = 3  # base columns _y1 … _y3


@dataclass(frozen=True)
class BaseColumn:
    code: str
    type: Type
    kind: str  # yearly | enterprise | cert | attr | attr_years
    field: str = ""  # yearly field, enterprise field, certification kind or attribute code
    year_offset: int = 0  # yearly: 1 = the year before the evaluation date
    default: object = None  # attr / cert: value when nothing is recorded


@dataclass(frozen=True)
class Attribute:
    """A per-enterprise value the registry does not hold yet; recorded in rules.EnterpriseAttribute."""

    code: str
    label: str
    type: Type
    unit: str = ""
    default: object = None  # what "nothing recorded" means; None = unknown
    choices: tuple[tuple[str, str], ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Feature:
    code: str
    label: str
    unit: str
    type: Type
    definition: str  # rule-language expression over base columns
    description: str = ""
    missing: str = "缺数据时为“数据不足”"

    @property
    def expression(self) -> Expression:
        return _feature_expression(self.code)


# Certification kinds (registry.Certification.kind) a rule may test as has_certification_<kind>.
CERTIFICATION_KINDS: dict[str, str] = {
    "high_tech": "高新技术企业",
    "tech_innovation_demo": "国家级技术创新示范企业",
    "ip_advantage": "知识产权优势企业",
    "ip_demo": "知识产权示范企业",
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
    "single_champion": "制造业单项冠军企业",
    "green_factory": "绿色工厂",
    "tech_sme": "科技型中小企业",
    "leading_enterprise": "制造业领航企业（人工认定的标签，不由规则判定）",
}

LEVELS = (("national", "国家级"), ("provincial", "省级"), ("city", "市级"), ("below", "市级以下"),
          ("none", "无"))

ATTRIBUTES: dict[str, Attribute] = {a.code: a for a in (
    Attribute("niche_entry_date", "进入细分市场日期", Type.DATE,
              description="开始从事当前细分市场的日期；years_in_niche 由它与评价日期算出"),
    Attribute("strategic_emerging", "主导产品属于战略性新兴产业分类", Type.BOOL),
    Attribute("leading_product_field", "主导产品所属领域（专精特新）", Type.TEXT, choices=(
        ("chain_key", "产业链供应链关键环节补短板、锻长板、填空白"),
        ("six_foundations", "工业“六基”、中华老字号或服务重点龙头企业"), ("other", "其他"))),
    Attribute("rd_institute_level", "研发机构最高级别", Type.TEXT, default="none", choices=LEVELS,
              description="经认定的研发机构最高级别；未登记视为无"),
    Attribute("sci_award_national_rank_3y", "近3年国家级科技奖励最好排名", Type.NUMBER, "名",
              description="获奖单位中的排名；未登记表示未获奖"),
    Attribute("sci_award_provincial_rank_3y", "近3年省级科技奖励最好排名", Type.NUMBER, "名",
              description="获奖单位中的排名；未登记表示未获奖"),
    Attribute("equity_financing_2y", "近2年新增股权融资（合格机构投资者实缴）", Type.NUMBER, "万元", default=0.0),
    Attribute("equity_financing_3y", "近3年新增股权融资（合格机构投资者实缴）", Type.NUMBER, "万元", default=0.0),
    Attribute("maker_china_top500_3y", "近3年进入“创客中国”大赛全国500强企业组", Type.BOOL, default=False),
    Attribute("maker_china_top50_3y", "近3年进入“创客中国”大赛全国50强企业组", Type.BOOL, default=False),
    Attribute("digital_level", "数字化水平等级", Type.NUMBER, "级",
              description="中小企业数字化水平评测等级（1–4）"),
    Attribute("quality_award_provincial", "获省级以上质量奖", Type.BOOL, default=False),
    Attribute("quality_system_cert", "通过 ISO9001 等质量管理体系认证", Type.BOOL, default=False),
    Attribute("own_brand", "拥有自主品牌", Type.BOOL, default=False),
    Attribute("standard_setting", "参与制修订标准", Type.BOOL, default=False),
    Attribute("ip_class1_high_value", "Ⅰ类高价值知识产权", Type.NUMBER, "项", default=0.0),
    Attribute("ip_class1_self_developed", "自主研发Ⅰ类知识产权", Type.NUMBER, "项", default=0.0),
    Attribute("local_feature_score", "省定特色化指标得分", Type.NUMBER, "分",
              description="专精特新特色化指标（各省自定，满分15分）"),
    Attribute("market_share_domestic", "主导产品国内细分市场占有率", Type.NUMBER, "%"),
    # -- 小巨人、2026办法、单项冠军、省定特色化 ----------------------------------------------------
    Attribute("class1_ip_applied", "已实际应用并产生经济效益的Ⅰ类知识产权", Type.NUMBER, "项",
              description="与主导产品相关、已实际应用并产生经济效益的Ⅰ类知识产权数；未登记为数据不足"),
    Attribute("core_business_info_system", "至少1项核心业务采用信息系统支撑", Type.BOOL, default=False),
    Attribute("developed_market_cert", "产品通过发达国家和地区认证（国际标准协会行业认证）", Type.BOOL, default=False),
    Attribute("srdi_dev_score", "专精特新发展评价得分（本年度）", Type.NUMBER, "分",
              description="按工信部企业〔2026〕2号评价体系得出的得分（评价系统导入）"),
    Attribute("srdi_dev_score_prev", "专精特新发展评价得分（上一年度）", Type.NUMBER, "分"),
    Attribute("key_industry_field", "主导产品属于本省重点产业领域", Type.BOOL, default=False,
              description="省定特色化指标（山东示例）"),
    Attribute("innovative_operation_score", "创新生产经营方式得分（省级评审给分，0–4）", Type.NUMBER, "分",
              description="省定特色化指标（山东示例），由评审人员给分"),
    Attribute("market_share_rank_level", "细分市场占有率档次（省定）", Type.TEXT, choices=(
        ("domestic_top3", "国内占有率 >10% 或全国前三"), ("national_top10", "全国前十或本省前三"),
        ("province_top10", "本省前十"), ("other", "其他"))),
    Attribute("listing_progress", "有上市进展（已上市、已辅导备案或已申报）", Type.BOOL, default=False,
              description="省定特色化指标（山东示例）"),
)}


def _base_columns() -> dict[str, BaseColumn]:
    cols: dict[str, BaseColumn] = {}
    for field, _label, _unit in YEARLY_FACT_FIELDS:
        for n in range(1, YEARS_BACK + 1):
            cols[f"{field}_y{n}"] = BaseColumn(f"{field}_y{n}", Type.NUMBER, "yearly", field, n)
    for code, typ, field in (("e_region_code", Type.TEXT, "region_id"),
                             ("e_industry_code", Type.TEXT, "industry_id"),
                             ("e_size_class", Type.TEXT, "size_class"),
                             ("e_above_scale", Type.BOOL, "above_scale"),
                             ("e_ownership", Type.TEXT, "ownership"),
                             ("e_years_since_founding", Type.NUMBER, "founded_on")):
        cols[code] = BaseColumn(code, typ, "enterprise", field)
    for kind in CERTIFICATION_KINDS:
        cols[f"cert_{kind}"] = BaseColumn(f"cert_{kind}", Type.BOOL, "cert", kind, default=False)
    for attr in ATTRIBUTES.values():
        cols[f"attr_{attr.code}"] = BaseColumn(f"attr_{attr.code}", attr.type, "attr", attr.code,
                                               default=attr.default)
    cols["attr_years_in_niche"] = BaseColumn("attr_years_in_niche", Type.NUMBER, "attr_years",
                                             "niche_entry_date")
    cols["attr_years_in_niche_ye"] = BaseColumn("attr_years_in_niche_ye", Type.NUMBER, "attr_years",
                                                "niche_entry_date", year_offset=1)
    return cols


BASE_COLUMNS: dict[str, BaseColumn] = _base_columns()
BASE_NAMESPACE: dict[str, Type] = {code: col.type for code, col in BASE_COLUMNS.items()}


def _growth(field: str, new: int, old: int) -> str:
    return (f"CASE WHEN {field}_y{old} > 0 THEN 100 * ({field}_y{new} - {field}_y{old}) / {field}_y{old} END")


def _size_class_definition() -> str:
    whens = " ".join(f"WHEN staff_y1 >= {staff} AND revenue_y1 >= {revenue} THEN '{size}'"
                     for size, staff, revenue in INDUSTRIAL_SIZE_THRESHOLDS)
    # Three-valued logic gives the standard's answer when one figure is missing: revenue < 300 is micro
    # whatever the staff count; otherwise a missing figure makes the class unknown.
    return f"CASE {whens} ELSE 'micro' END"


_FEATURES: list[Feature] = [
    # -- scale --------------------------------------------------------------------------------
    Feature("revenue_last_year", "上年度营业收入", "万元", Type.NUMBER, "revenue_y1"),
    Feature("revenue_prev_year", "上上年度营业收入", "万元", Type.NUMBER, "revenue_y2"),
    Feature("main_business_revenue_last_year", "上年度主营业务收入", "万元", Type.NUMBER,
            "main_business_revenue_y1"),
    Feature("net_profit_last_year", "上年度净利润", "万元", Type.NUMBER, "net_profit_y1"),
    Feature("total_assets_last_year", "上年末资产总额", "万元", Type.NUMBER, "total_assets_y1"),
    Feature("staff_last_year", "上年度从业人员", "人", Type.NUMBER, "staff_y1"),
    Feature("rd_staff_last_year", "上年度研发人员", "人", Type.NUMBER, "rd_staff_y1"),
    Feature("tax_last_year", "上年度纳税总额", "万元", Type.NUMBER, "tax_y1"),
    Feature("exports_last_year", "上年度出口交货值", "万元", Type.NUMBER, "exports_y1"),
    Feature("energy_use_last_year", "上年度综合能源消费量", "吨标准煤", Type.NUMBER, "energy_use_y1"),
    # -- R&D ----------------------------------------------------------------------------------
    Feature("rd_expense_last_year", "上年度研发费用", "万元", Type.NUMBER, "rd_expense_y1"),
    Feature("rd_expense_prev_year", "上上年度研发费用", "万元", Type.NUMBER, "rd_expense_y2"),
    Feature("rd_expense_avg_2y", "近2年研发费用平均值", "万元", Type.NUMBER, "(rd_expense_y1 + rd_expense_y2) / 2"),
    Feature("rd_expense_total_2y", "近2年研发费用合计", "万元", Type.NUMBER, "rd_expense_y1 + rd_expense_y2"),
    Feature("rd_ratio_last_year", "上年度研发费用占营业收入比重", "%", Type.NUMBER,
            "100 * rd_expense_y1 / revenue_y1", "研发费用 ÷ 营业收入 × 100；营业收入为 0 时数据不足"),
    Feature("rd_ratio_prev_year", "上上年度研发费用占营业收入比重", "%", Type.NUMBER,
            "100 * rd_expense_y2 / revenue_y2"),
    Feature("rd_ratio_min_2y", "近2年研发费用占营业收入比重（两年中较低者）", "%", Type.NUMBER,
            "LEAST(100 * rd_expense_y1 / revenue_y1, 100 * rd_expense_y2 / revenue_y2)",
            "用于“近2年每年占比均不低于…”"),
    Feature("rd_expense_min_2y", "近2年研发费用（两年中较低者）", "万元", Type.NUMBER,
            "LEAST(rd_expense_y1, rd_expense_y2)", "用于“近两年研发费用每年不低于…”"),
    Feature("rd_staff_ratio_last_year", "上年度研发人员占职工总数比重", "%", Type.NUMBER,
            "100 * rd_staff_y1 / staff_y1"),
    # -- growth and structure -----------------------------------------------------------------
    Feature("main_revenue_growth_last_year", "上年度主营业务收入增长率", "%", Type.NUMBER,
            _growth("main_business_revenue", 1, 2), "(上年 − 上上年) ÷ 上上年 × 100；上上年不为正时数据不足"),
    Feature("main_revenue_growth_avg_2y", "近2年主营业务收入平均增长率", "%", Type.NUMBER,
            f"({_growth('main_business_revenue', 1, 2)} + {_growth('main_business_revenue', 2, 3)}) / 2",
            "上年度与上上年度增长率的算术平均 [记忆：以原文口径为准]"),
    Feature("revenue_growth_last_year", "上年度营业收入增长率", "%", Type.NUMBER, _growth("revenue", 1, 2)),
    Feature("revenue_ratio_2y", "上年度营业收入为两年前的倍数（百分比）", "%", Type.NUMBER,
            "CASE WHEN revenue_y3 > 0 THEN 100 * revenue_y1 / revenue_y3 END",
            "100 × 上年 ÷ 两年前（Y−2）；复合增长率 ≥ g% 等价于本值 ≥ 100 × (1 + g/100)²（≥5% ⇔ ≥110.25）；"
            "两年前不为正时数据不足"),
    Feature("main_business_revenue_avg_3y", "近3年主营业务收入平均值", "万元", Type.NUMBER,
            "(main_business_revenue_y1 + main_business_revenue_y2 + main_business_revenue_y3) / 3",
            "三年中任一年缺失时数据不足"),
    Feature("main_business_share_last_year", "上年度主营业务收入占营业收入比重", "%", Type.NUMBER,
            "100 * main_business_revenue_y1 / revenue_y1"),
    Feature("debt_ratio_last_year", "上年末资产负债率", "%", Type.NUMBER,
            "100 * total_liabilities_y1 / total_assets_y1"),
    Feature("net_profit_margin_last_year", "上年度净利润率", "%", Type.NUMBER, "100 * net_profit_y1 / revenue_y1"),
    # -- intellectual property ----------------------------------------------------------------
    Feature("class1_ip_count", "有效Ⅰ类知识产权", "项", Type.NUMBER, "ip_class1_y1", "上年末数"),
    Feature("class2_ip_count", "有效Ⅱ类知识产权", "项", Type.NUMBER, "ip_class2_y1", "上年末数"),
    Feature("invention_patent_count", "有效发明专利", "项", Type.NUMBER, "invention_patents_y1", "上年末数"),
    Feature("class1_ip_high_value_count", "Ⅰ类高价值知识产权", "项", Type.NUMBER, "attr_ip_class1_high_value",
            missing="未登记视为 0"),
    Feature("class1_ip_self_developed_count", "自主研发Ⅰ类知识产权", "项", Type.NUMBER,
            "attr_ip_class1_self_developed", missing="未登记视为 0"),
    # -- identity -----------------------------------------------------------------------------
    Feature("region_code", "所在区划代码", "", Type.TEXT, "e_region_code"),
    Feature("industry_code", "国民经济行业代码", "", Type.TEXT, "e_industry_code"),
    Feature("ownership", "登记注册类型", "", Type.TEXT, "e_ownership"),
    Feature("size_class", "企业规模（登记簿当前值）", "", Type.TEXT, "e_size_class",
            "large / medium / small / micro，按最近年度数据"),
    Feature("size_class_last_year", "上年度企业规模", "", Type.TEXT, _size_class_definition(),
            "按工信部联企业〔2011〕300号第四条（工业），由上年度从业人员与营业收入算出"),
    Feature("above_scale", "规上企业（登记簿当前值）", "", Type.BOOL, "e_above_scale"),
    Feature("above_scale_last_year", "上年度规上工业企业", "", Type.BOOL,
            f"main_business_revenue_y1 >= {ABOVE_SCALE_MAIN_REVENUE}", "上年度主营业务收入 ≥ 2000万元"),
    Feature("years_since_founding", "成立年限", "年", Type.NUMBER, "e_years_since_founding",
            "截至评价日期的整年数"),
    Feature("years_in_niche", "从事细分市场年限", "年", Type.NUMBER, "attr_years_in_niche",
            "由“进入细分市场日期”算到评价日期的整年数"),
    Feature("years_in_niche_last_year_end", "截至上年末从事细分市场年限", "年", Type.NUMBER,
            "attr_years_in_niche_ye", "由“进入细分市场日期”算到上年12月31日的整年数（小巨人“截至上年末”）"),
    # -- awards, financing, institutes (no record = none) -------------------------------------
    Feature("sci_award_3y", "近3年获国家级或省级科技奖励", "", Type.BOOL,
            "attr_sci_award_national_rank_3y IS NOT NULL OR attr_sci_award_provincial_rank_3y IS NOT NULL",
            missing="未登记视为未获奖"),
    Feature("sci_award_national_rank_3y", "近3年国家级科技奖励最好排名", "名", Type.NUMBER,
            "attr_sci_award_national_rank_3y", missing="未登记表示未获奖（数据不足）"),
    Feature("sci_award_provincial_rank_3y", "近3年省级科技奖励最好排名", "名", Type.NUMBER,
            "attr_sci_award_provincial_rank_3y", missing="未登记表示未获奖（数据不足）"),
    Feature("rd_institute_level", "研发机构最高级别", "", Type.TEXT, "attr_rd_institute_level",
            "national / provincial / city / below / none", missing="未登记视为 none"),
    Feature("equity_financing_2y", "近2年新增股权融资", "万元", Type.NUMBER, "attr_equity_financing_2y",
            missing="未登记视为 0"),
    Feature("equity_financing_3y", "近3年新增股权融资", "万元", Type.NUMBER, "attr_equity_financing_3y",
            missing="未登记视为 0"),
    Feature("maker_china_top500_3y", "近3年“创客中国”全国500强企业组", "", Type.BOOL,
            "attr_maker_china_top500_3y", missing="未登记视为否"),
    Feature("maker_china_top50_3y", "近3年“创客中国”全国50强企业组", "", Type.BOOL,
            "attr_maker_china_top50_3y", missing="未登记视为否"),
    # -- product, quality, digital ------------------------------------------------------------
    Feature("strategic_emerging", "主导产品属于战略性新兴产业分类", "", Type.BOOL, "attr_strategic_emerging"),
    Feature("leading_product_field", "主导产品所属领域", "", Type.TEXT, "attr_leading_product_field",
            "chain_key / six_foundations / other"),
    Feature("digital_level", "数字化水平等级", "级", Type.NUMBER, "attr_digital_level"),
    Feature("quality_award_provincial", "获省级以上质量奖", "", Type.BOOL, "attr_quality_award_provincial",
            missing="未登记视为否"),
    Feature("quality_system_cert", "通过质量管理体系认证", "", Type.BOOL, "attr_quality_system_cert",
            missing="未登记视为否"),
    Feature("own_brand", "拥有自主品牌", "", Type.BOOL, "attr_own_brand", missing="未登记视为否"),
    Feature("standard_setting", "参与制修订标准", "", Type.BOOL, "attr_standard_setting", missing="未登记视为否"),
    Feature("local_feature_score", "省定特色化指标得分", "分", Type.NUMBER, "attr_local_feature_score"),
    Feature("market_share_domestic", "主导产品国内细分市场占有率", "%", Type.NUMBER, "attr_market_share_domestic"),
    Feature("class1_ip_applied_count", "已应用并产生经济效益的Ⅰ类知识产权", "项", Type.NUMBER,
            "attr_class1_ip_applied", "与主导产品相关，已实际应用并产生经济效益"),
    Feature("core_business_info_system", "核心业务有信息系统支撑", "", Type.BOOL, "attr_core_business_info_system",
            missing="未登记视为否"),
    Feature("developed_market_cert", "产品通过发达国家和地区认证", "", Type.BOOL, "attr_developed_market_cert",
            missing="未登记视为否"),
    Feature("srdi_dev_score", "专精特新发展评价得分", "分", Type.NUMBER, "attr_srdi_dev_score"),
    Feature("srdi_dev_score_prev", "上一年度专精特新发展评价得分", "分", Type.NUMBER, "attr_srdi_dev_score_prev"),
    Feature("key_industry_field", "主导产品属于本省重点产业领域", "", Type.BOOL, "attr_key_industry_field",
            missing="未登记视为否"),
    Feature("innovative_operation_score", "创新生产经营方式得分（省级评审）", "分", Type.NUMBER,
            "attr_innovative_operation_score"),
    Feature("market_share_rank_level", "细分市场占有率档次", "", Type.TEXT, "attr_market_share_rank_level",
            "domestic_top3 / national_top10 / province_top10 / other"),
    Feature("listing_progress", "有上市进展", "", Type.BOOL, "attr_listing_progress", missing="未登记视为否"),
]
_FEATURES += [
    Feature(f"has_certification_{kind}", f"持有有效的{label}称号", "", Type.BOOL, f"cert_{kind}",
            "评价日期在认定日期与有效期之间", missing="未登记视为否")
    for kind, label in CERTIFICATION_KINDS.items()
]

FEATURES: dict[str, Feature] = {f.code: f for f in _FEATURES}
NAMESPACE: dict[str, Type] = {code: f.type for code, f in FEATURES.items()}


@cache
def _feature_expression(code: str) -> Expression:
    feature = FEATURES[code]
    return parse(feature.definition, BASE_NAMESPACE, expect=feature.type, label=f"特征 {code}")


def base_columns_for(feature_codes: set[str] | frozenset[str]) -> list[BaseColumn]:
    """The base columns the given features read, in catalogue order."""
    needed: set[str] = set()
    for code in feature_codes:
        needed |= FEATURES[code].expression.names
    return [col for code, col in BASE_COLUMNS.items() if code in needed]


def check_catalogue() -> None:
    """Every feature definition parses, has its declared type, and names only base columns."""
    assert not set(FEATURES) & set(BASE_COLUMNS)
    for code in FEATURES:
        _feature_expression(code)
