"""Seed the indicator catalogue with the report's indicators and the reference series 全国 / 东部.

The definitions are copied here (not imported) so the migration stays the same when the code moves on;
administrators and officers edit or extend the catalogue afterwards.
"""

from django.db import migrations

INDICATORS = [
    # code, name, short name, unit, frequency, aggregation, direction, first_month, cumulative_only,
    # source department, derived field, description
    ("above_scale_value_added", "规上工业增加值", "规上工业增加值", "亿元", "monthly", "growth", "higher", 1, False,
     "统计局", "value_added",
     "规模以上工业企业（主营业务收入2000万元及以上）的工业增加值；增速按可比价格计算，基数按本年企业名单"
     "同口径调整，故公布的总量不能直接相除得到公布的增速。"),
    ("industrial_investment", "工业投资", "工业投资", "亿元", "monthly", "sum", "higher", 2, True, "统计局", "",
     "工业固定资产投资（计划总投资500万元及以上项目）；无1月数据，首次发布为1-2月；增速按可比口径计算。"),
    ("manufacturing_investment", "制造业投资", "制造业投资", "亿元", "monthly", "sum", "higher", 2, True,
     "统计局", "", "制造业固定资产投资；无1月数据，首次发布为1-2月；增速按可比口径计算。"),
    ("digital_core_value_added", "数字经济核心产业增加值", "数字经济核心产业增加值", "亿元", "quarterly",
     "growth", "higher", 3, True, "统计局", "", "数字经济核心产业增加值，按季度发布累计数和累计增速（可比价）。"),
    ("industrial_electricity", "工业用电量", "工业用电量", "万千瓦时", "monthly", "sum", "higher", 1, False,
     "电力公司", "electricity", "全社会用电量中的工业用电量；也可由规上企业月度用电量同口径测算。"),
    ("nev_promotion", "新能源汽车推广量", "新能源汽车推广量", "辆", "monthly", "sum", "higher", 1, False,
     "经信部门", "", "当期新增推广应用的新能源汽车数量。"),
    ("base_stations_5g", "5G基站数", "5G基站数", "个", "monthly", "stock", "higher", 1, False,
     "通信管理局", "", "期末累计建成开通的5G基站数（存量，各地可加总，各月不可加总）。"),
    ("digital_upgrade_coverage", "数字化改造覆盖率", "数字化改造覆盖率", "%", "quarterly", "ratio", "higher", 3,
     False, "经信部门", "",
     "数字化水平达到1.0级及以上的规上工业企业数 / 规上工业企业数 × 100%（比率，不可加总）。"),
    ("above_scale_enterprises", "规上工业企业数", "规上工业企业数", "家", "monthly", "stock", "higher", 1, False,
     "统计局", "", "期末规模以上工业企业户数。"),
]

SERIES = [
    ("national", "全国", "全国", "judgement", 1),
    ("eastern", "东部地区", "东部", "magnitude", 2),
]


def seed(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    ReferenceSeries = apps.get_model("indicators", "ReferenceSeries")
    for order, row in enumerate(INDICATORS, start=1):
        (code, name, short, unit, freq, agg, direction, first, cum_only, dept, derived, desc) = row
        Indicator.objects.update_or_create(code=code, defaults={
            "name": name, "short_name": short, "unit": unit, "frequency": freq, "aggregation": agg,
            "direction": direction, "first_month": first, "cumulative_only": cum_only,
            "source_department": dept, "derived_field": derived, "description": desc, "is_official": True,
            "order": order * 10})
    for code, name, short, style, order in SERIES:
        ReferenceSeries.objects.update_or_create(code=code, defaults={
            "name": name, "short_name": short, "style": style, "order": order})


def unseed(apps, schema_editor):
    apps.get_model("indicators", "ReferenceSeries").objects.filter(code__in=[s[0] for s in SERIES]).delete()
    apps.get_model("indicators", "Indicator").objects.filter(code__in=[i[0] for i in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
