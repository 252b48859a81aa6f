"""Demo hook (after the indicators' demo): run the last demo month's triggers and electricity alerts, draft
letters for the regions hit hardest and walk a few of them through their life, publish the month's boards
of the headline indicators, and write a few "一市一县一策" plans, so that the board, letters, electricity and cockpit pages are populated."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from industrybrain.core.models import Region, Role, User
from industrybrain.indicators import services

from . import electricity, electricity_demo, letters, published, triggers
from .models import (
    ElectricityAlert,
    ElectricityDataGap,
    Level,
    PublishedBoard,
    RegionPlan,
    TriggerHit,
    WarningLetter,
)
from .rankings import board_indicators, build_board

PUBLISHED = ("above_scale_value_added", "industrial_investment", "manufacturing_investment")

LETTERS = 6


def _issuer() -> User:
    user = User.objects.filter(role=Role.PROVINCE_OFFICER, region_id="330000", is_active=True).first()
    if user is None:
        user = User.objects.filter(role=Role.ADMINISTRATOR).first() or User.objects.filter(is_superuser=True).first()
    if user is None:
        user = User.objects.create_user("monitoring-demo", role=Role.ADMINISTRATOR)
    return user


def build(context) -> str:
    clear()
    period = services.latest_period(Region.objects.filter(pk="330000").first())
    if period is None:
        return "运行监测：无指标数据，未运行"
    year, month = period
    hits = triggers.run_month(year, month)
    electricity_demo.build(year, month, context.seed)  # daily readings of the months the alerts read
    alerts = electricity.run_alerts(year, month)
    issuer = _issuer()
    worst = (TriggerHit.objects.filter(year=year, month=month, region__path__startswith="330000/")
             .values("region").annotate(n=Count("pk")).order_by("-n", "region")[:LETTERS])
    made = []
    for row in worst:
        region = Region.objects.get(pk=row["region"])
        made.append(letters.draft_letter(region, year, month, issuer))
    today = dt.date(year, month, 28) if month < 12 else dt.date(year, 12, 15)
    steps = [["approved"], ["approved", "issued"], ["approved", "issued", "acknowledged"]]
    for letter, path in zip(made, steps, strict=False):
        for target in path:
            actor: User | None = issuer if target != "acknowledged" else (
                User.objects.filter(region=letter.region, role__in=[Role.CITY_OFFICER, Role.COUNTY_OFFICER]).first())
            if actor is None:  # no login for the addressed region in this demo: the letter waits there
                break
            letters.move(letter, target, actor, today=today)
            letter.refresh_from_db()
    for letter in made[:3]:
        RegionPlan.objects.update_or_create(region=letter.region, year=year, defaults={
            "targets": "规上工业增加值增速不低于全省平均；工业投资完成年度目标",
            "measures": "梳理重点企业用电与产值；重大项目加快开工；专班服务减产企业",
            "responsible_leader": "分管副市（县）长"})
    boards = 0
    province = Region.objects.get(pk="330000")
    for indicator in [i for i in board_indicators() if i.code in PUBLISHED]:
        if month in indicator.release_months():
            for level in (Level.CITY, Level.COUNTY):
                published.publish(build_board(indicator, year, month, level, province), issuer, "演示数据：月度晾晒")
                boards += 1
    return (f"运行监测 {year}-{month:02d}：提示函触发 {len(hits)} 条，起草提示函 {len(made)} 份，"
            f"发布晾晒榜单 {boards} 张，用电预警 {alerts} 家")


def clear() -> None:
    PublishedBoard.objects.all().delete()
    WarningLetter.objects.all().delete()
    TriggerHit.objects.all().delete()
    ElectricityAlert.objects.all().delete()
    ElectricityDataGap.objects.all().delete()
    electricity_demo.clear()
    RegionPlan.objects.all().delete()
