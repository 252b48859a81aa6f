"""运行监测 models: settings of the board and the alerts, warning-letter triggers and their hits, letters,
"一市一县一策" plans and electricity alerts. See docs/MONITORING.md for the rules.

- `MonitoringConfig`: one row (pk=1) of tunable thresholds (peer-group tiers, electricity, deadlines).
- `TriggerRule`: a trigger of 短板弱项提示函 — a condition of the shared rules language over a region's release.
- `TriggerHit`: what a month's run found: region × indicator × rule, with the reason and the values used.
- `PublishedBoard` / `PublishedBoardRow`: a ranking board as published (stored rows, who, when).
- `WarningLetter`: a 提示函 on the workflow engine (letters.LETTER_FLOW).
- `RegionPlan`: the region's "一市一县一策" (targets, measures, responsible leader).
- `ElectricityAlert`: an enterprise whose monthly electricity fell below its baseline and/or last year.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from industrybrain.core.models import Industry, Region
from industrybrain.core.scope_paths import ScopePaths


class MonitoringConfig(models.Model):
    """Thresholds of the ranking board, triggers and electricity monitoring (one row, pk=1)."""

    mountain_tag = models.CharField(_("单独排名的区划标签"), max_length=30, default="山区26县")
    tier_high_yi = models.DecimalField(_("大县门槛（亿元）"), max_digits=10, decimal_places=2, default=Decimal(1000),
                                       help_text=_("上年规上工业总产值≥该值为第一档"))
    tier_low_yi = models.DecimalField(_("中县门槛（亿元）"), max_digits=10, decimal_places=2, default=Decimal(500),
                                      help_text=_("上年规上工业总产值≥该值为第二档，其余为第三档"))
    plan_deadline_days = models.PositiveSmallIntegerField(_("整改方案报送期限（工作日）"), default=10)
    acknowledge_days = models.PositiveSmallIntegerField(_("签收期限（工作日）"), default=3)
    baseline_ratio_pct = models.DecimalField(_("用电基线比例%"), max_digits=5, decimal_places=1, default=Decimal(90),
                                             help_text=_("本月用电低于上年12月用电的该比例即预警"))
    yoy_drop_pct = models.DecimalField(_("用电同比降幅%"), max_digits=5, decimal_places=1, default=Decimal(10),
                                       help_text=_("本月用电同比下降超过该幅度即预警"))
    min_coverage_pct = models.DecimalField(
        _("日用电读数最低覆盖率%"), max_digits=5, decimal_places=1, default=Decimal(80),
        help_text=_("某期有读数的工作日占该期工作日的比例低于该值即为数据不足，不作预警判断"))
    divergence_pp = models.DecimalField(_("电量与增加值增速背离阈值（百分点）"), max_digits=5, decimal_places=1,
                                        default=Decimal(5))
    nowcast_holdout = models.PositiveSmallIntegerField(_("现时预测留出检验月数"), default=6)

    class Meta:
        verbose_name = verbose_name_plural = _("运行监测参数")

    def __str__(self) -> str:
        return str(_("运行监测参数"))

    @classmethod
    def get(cls) -> MonitoringConfig:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Level(models.TextChoices):
    CITY = "city", _("设区市")
    COUNTY = "county", _("县（市、区）")


class TriggerRule(models.Model):
    """One trigger of 短板弱项提示函: a condition of the shared rules language over the features of a region on
    one indicator's board in one release (triggers.REGION_RELEASE), holding on `consecutive` releases."""

    name = models.CharField(_("规则名称"), max_length=60)
    condition = models.TextField(_("触发条件"), max_length=4000,
                                 help_text=_("规则语言表达式，字段见本页“可用字段”，例如 rank_from_bottom <= 3"))
    description = models.TextField(_("说明"), blank=True)
    indicator = models.ForeignKey("indicators.Indicator", models.CASCADE, null=True, blank=True,
                                  related_name="+", verbose_name=_("指标"), help_text=_("留空：所有晾晒指标"))
    level = models.CharField(_("适用层级"), max_length=10, choices=[("", _("全部")), *Level.choices], blank=True)
    province = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="+",
                                 limit_choices_to={"level": 1}, verbose_name=_("适用省份"),
                                 help_text=_("留空：适用于所有省份（仅系统管理员可修改）"))
    consecutive = models.PositiveSmallIntegerField(_("连续发布期数"), default=2,
                                                   help_text=_("条件须在最近连续几期发布中均成立（1–12）"))
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, null=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = verbose_name_plural = _("提示函触发规则")

    def __str__(self) -> str:
        return self.name


class TriggerHit(models.Model):
    """A region that a month's run would warn, and why."""

    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    region = models.ForeignKey(Region, models.CASCADE, related_name="+", verbose_name=_("区划"))
    indicator = models.ForeignKey("indicators.Indicator", models.CASCADE, related_name="+", verbose_name=_("指标"))
    rule = models.ForeignKey(TriggerRule, models.CASCADE, related_name="hits", verbose_name=_("规则"))
    peer_group = models.CharField(_("比较组"), max_length=40, blank=True)
    value = models.DecimalField(_("指标值"), max_digits=18, decimal_places=4, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("组内排名"), null=True, blank=True)
    group_size = models.PositiveSmallIntegerField(_("组内地区数"), null=True, blank=True)
    months = models.PositiveSmallIntegerField(_("连续期数"), default=2)
    reason = models.CharField(_("原因"), max_length=300)
    condition = models.TextField(_("触发条件"), blank=True, help_text=_("运行时规则的条件原文"))
    evidence = models.JSONField(_("判定所用数据"), default=list, blank=True,
                                help_text=_("每期发布：期别及条件读取的字段值"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    scope_paths = ScopePaths(region="region")

    class Meta:
        ordering = ["year", "month", "region", "indicator", "rule"]
        verbose_name = verbose_name_plural = _("提示函触发结果")
        constraints = [models.UniqueConstraint(fields=["year", "month", "region", "indicator", "rule"],
                                               name="uniq_trigger_hit")]

    def __str__(self) -> str:
        return f"{self.period} {self.region_id} {self.reason}"

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"


class PublishedBoard(models.Model):
    """A ranking board as an officer published it: the rows are stored, later revisions do not change them.
    Publishing again stores a new version; the page shows the newest version."""

    indicator = models.ForeignKey("indicators.Indicator", models.PROTECT, related_name="+", verbose_name=_("指标"))
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    province = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("省份"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    indicator_label = models.CharField(_("指标名称"), max_length=120, blank=True)
    province_value = models.DecimalField(_("全省平均"), max_digits=18, decimal_places=4, null=True, blank=True)
    average_source = models.CharField(_("平均值来源"), max_length=10, blank=True)
    previous_period = models.CharField(_("上期"), max_length=7, blank=True)
    note = models.CharField(_("发布说明"), max_length=200, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("发布人"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-month", "indicator", "level", "-version"]
        verbose_name = verbose_name_plural = _("已发布晾晒榜单")
        constraints = [models.UniqueConstraint(fields=["indicator", "year", "month", "level", "province", "version"],
                                               name="uniq_published_board")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period} {self.level} v{self.version}"

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"


class PublishedBoardRow(models.Model):
    """One region's line of a published board, exactly as published."""

    board = models.ForeignKey(PublishedBoard, models.CASCADE, related_name="rows", verbose_name=_("榜单"))
    position = models.PositiveSmallIntegerField(_("顺序"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("区划"))
    region_name = models.CharField(_("地区"), max_length=60)
    group = models.CharField(_("比较组"), max_length=40)
    value = models.DecimalField(_("数值"), max_digits=18, decimal_places=4, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("排名"), null=True, blank=True)
    group_size = models.PositiveSmallIntegerField(_("组内地区数"), default=0)
    previous_rank = models.PositiveSmallIntegerField(_("上期排名"), null=True, blank=True)
    rank_change = models.SmallIntegerField(_("排名变化"), null=True, blank=True)
    meets_average = models.BooleanField(_("好于全省平均"), null=True, blank=True)
    meets_target = models.BooleanField(_("达到目标"), null=True, blank=True)
    target_text = models.CharField(_("目标"), max_length=80, blank=True)
    status = models.CharField(_("晾晒状态"), max_length=10, blank=True)

    class Meta:
        ordering = ["board", "position"]
        verbose_name = verbose_name_plural = _("已发布榜单行")
        constraints = [models.UniqueConstraint(fields=["board", "region"], name="uniq_published_board_row")]

    def __str__(self) -> str:
        return f"{self.board_id} {self.region_id}"


class WarningLetter(models.Model):
    """短板弱项提示函; its state moves only through letters.move() (the workflow engine)."""

    number = models.CharField(_("文号"), max_length=60, unique=True)
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("致送地区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    indicators = models.ManyToManyField("indicators.Indicator", related_name="+", verbose_name=_("涉及指标"))
    reasons = models.JSONField(_("触发原因"), default=list)
    figures = models.JSONField(_("函件数据"), default=list, help_text=_("起草时地区的指标数据快照"))
    body = models.TextField(_("正文要求"), blank=True)
    state = models.CharField(_("状态"), max_length=20, default="draft", db_index=True)
    state_entered_on = models.DateField(_("进入当前状态日期"), null=True, blank=True)
    issued_on = models.DateField(_("印发日期"), null=True, blank=True)
    acknowledge_due_on = models.DateField(_("签收期限"), null=True, blank=True)
    plan_due_on = models.DateField(_("整改方案报送期限"), null=True, blank=True)
    plan_text = models.TextField(_("整改方案"), blank=True)
    plan_submitted_on = models.DateField(_("整改方案报送日期"), null=True, blank=True)
    progress_notes = models.JSONField(_("整改进展"), default=list, blank=True)
    closing_note = models.TextField(_("销号说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("起草人"))
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)

    scope_paths = ScopePaths(region="region")

    class Meta:
        ordering = ["-year", "-month", "region"]
        verbose_name = verbose_name_plural = _("短板弱项提示函")
        indexes = [models.Index(fields=["state", "region"])]

    def __str__(self) -> str:
        return self.number

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"


class RegionPlan(models.Model):
    """一市一县一策: the region's targets, measures and responsible leader for a year."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("区划"))
    year = models.PositiveSmallIntegerField(_("年度"))
    targets = models.TextField(_("目标"), blank=True)
    measures = models.TextField(_("举措"), blank=True)
    responsible_leader = models.CharField(_("责任领导"), max_length=60, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_paths = ScopePaths(region="region")

    class Meta:
        ordering = ["region", "-year"]
        verbose_name = verbose_name_plural = _("一市一县一策")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="uniq_region_plan")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}"


class EnterpriseMonth(models.Model):
    """An enterprise's row of one month of the electricity run (an alert, a 数据不足), scoped like the enterprise."""

    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    enterprise = models.ForeignKey("registry.Enterprise", models.CASCADE, related_name="+", verbose_name=_("企业"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("区划"))

    scope_paths = ScopePaths(region="region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        abstract = True


class ElectricityAlert(EnterpriseMonth):
    """An enterprise whose month's electricity fell below its baseline (上年12月) and/or below last year."""

    class Level(models.TextChoices):
        RED = "red", _("停减产（两项均触发）")
        YELLOW = "yellow", _("用电下降（一项触发）")

    class Basis(models.TextChoices):
        DAILY = "daily", _("日用电读数（工作日日均）")
        MONTHLY = "monthly", _("月度用电（日历日日均）")

    industry = models.ForeignKey(Industry, models.PROTECT, related_name="+", verbose_name=_("行业"))
    electricity = models.DecimalField(_("本月用电（万千瓦时）"), max_digits=16, decimal_places=2)
    baseline = models.DecimalField(_("基线（上年12月）"), max_digits=16, decimal_places=2, null=True, blank=True)
    last_year = models.DecimalField(_("上年同月"), max_digits=16, decimal_places=2, null=True, blank=True)
    basis = models.CharField(_("判断口径"), max_length=10, choices=Basis.choices, default=Basis.MONTHLY)
    baseline_pct = models.DecimalField(_("日均占基线%"), max_digits=9, decimal_places=1, null=True, blank=True)
    yoy_pct = models.DecimalField(_("日均同比%"), max_digits=9, decimal_places=1, null=True, blank=True)
    below_baseline = models.BooleanField(_("低于基线"), default=False)
    yoy_drop = models.BooleanField(_("同比下降"), default=False)
    level = models.CharField(_("预警级别"), max_length=10, choices=Level.choices)

    class Meta:
        ordering = ["year", "month", "region", "enterprise"]
        verbose_name = verbose_name_plural = _("用电预警")
        constraints = [models.UniqueConstraint(fields=["year", "month", "enterprise"], name="uniq_electricity_alert")]
        indexes = [models.Index(fields=["year", "month", "region"])]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.enterprise_id} {self.level}"


class ElectricityDataGap(EnterpriseMonth):
    """An enterprise whose month could not be judged (数据不足), stored by the month's run beside its alerts so
    the page lists them without recomputing a province's readings."""

    class Reason(models.TextChoices):
        NO_READINGS = "no_readings", _("本月无读数（上年12月有读数）")
        MONTH_SHORT = "month_short", _("本月读数不足规定比例的工作日")
        NO_REFERENCE = "no_reference", _("上年12月与上年同月读数均不足，无法比较")

    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)

    class Meta:
        ordering = ["year", "month", "enterprise"]
        verbose_name = verbose_name_plural = _("用电数据不足")
        constraints = [models.UniqueConstraint(fields=["year", "month", "enterprise"], name="uniq_electricity_gap")]
        indexes = [models.Index(fields=["year", "month", "region"])]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.enterprise_id}"
