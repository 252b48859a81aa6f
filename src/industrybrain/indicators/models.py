"""The indicator catalogue and the monthly cube (指标与数据立方).

- `Indicator`: the catalogue (seeded with the report's indicators by migration 0002; officers add their own).
- `IndicatorValue`: one published (or derived) figure of an indicator for a region and a month, as a
  *revision*: a new figure for the same key never overwrites, it supersedes (`is_current` moves to the new
  row, `revision` counts up). "The current cube" is `IndicatorValue.objects.current()`.
- `ReferenceSeries` + `ReferenceValue`: figures of areas that are not regions of the tree — 全国, 东部地区 —
  for comparisons ("好于全国、高于东部"). The province is a real region: compare with its IndicatorValue.
- `IndicatorTarget`: a region's annual target for an indicator (a level, a growth rate or both).

Periods are (year, month) where `month` is the last month of the release: the cumulative release 1–10月 is
month 10, the combined 1–2月 release of an indicator without a January release (`first_month = 2`,
固定资产投资) is month 2. Rates are stored as published (percent, one decimal), never recomputed from levels
(mechanisms.md §9: the base is recomputed on this year's enterprise set).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from industrybrain.core.models import Region
from industrybrain.core.scope_paths import ScopePaths


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("月度")
    QUARTERLY = "quarterly", _("季度")
    YEARLY = "yearly", _("年度")


class Aggregation(models.TextChoices):
    SUM = "sum", _("可加（流量）")        # months add up to the year, regions add up to the parent
    STOCK = "stock", _("期末数（存量）")  # regions add up, months do not (5G基站数, 企业数)
    RATIO = "ratio", _("比率（不可加）")  # neither adds up (覆盖率)
    GROWTH = "growth", _("仅增速")         # only the growth rate is meaningful (规上工业增加值, comparable prices)


class Direction(models.TextChoices):
    HIGHER_BETTER = "higher", _("越高越好")
    LOWER_BETTER = "lower", _("越低越好")


class Basis(models.TextChoices):
    OFFICIAL = "official", _("官方发布")
    DERIVED = "derived", _("企业数据测算")


class Indicator(models.Model):
    code = models.SlugField(_("指标代码"), max_length=40, unique=True)
    name = models.CharField(_("指标名称"), max_length=60, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True,
                                  help_text=_("简报中使用的名称，留空则用指标名称"))
    unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    frequency = models.CharField(_("发布频率"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    aggregation = models.CharField(_("汇总方式"), max_length=10, choices=Aggregation.choices,
                                   default=Aggregation.SUM)
    direction = models.CharField(_("指标方向"), max_length=10, choices=Direction.choices,
                                 default=Direction.HIGHER_BETTER)
    first_month = models.PositiveSmallIntegerField(
        _("每年首次发布月份"), default=1,
        help_text=_("2 表示无1月数据、首次发布为1-2月合并数（如固定资产投资）"))
    cumulative_only = models.BooleanField(_("只发布累计数"), default=False,
                                          help_text=_("如固定资产投资只发布1-N月累计数和累计增速"))
    source_department = models.CharField(_("数据来源部门"), max_length=60, blank=True)
    derived_field = models.CharField(
        _("可由企业月度数据测算"), max_length=20, blank=True,
        choices=[("value_added", _("工业增加值（可比价）")), ("output", _("工业总产值")), ("electricity", _("用电量"))],
        help_text=_("规上企业月度数据中的字段；按同口径汇总测算增速"))
    description = models.TextField(_("指标说明"), blank=True)
    is_official = models.BooleanField(_("官方指标"), default=False,
                                      help_text=_("随系统发布的报告指标；自定义指标为否"))
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("创建人"))

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = _("指标")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name a bulletin uses."""
        return self.short_name or self.name

    @property
    def growth_is_headline(self) -> bool:
        """Rank and report this indicator by its cumulative growth (flows, growth-only) or by its level."""
        return self.aggregation in (Aggregation.SUM, Aggregation.GROWTH)

    def release_months(self) -> list[int]:
        """The months of a year that carry a release (1–2月 is month 2 when there is no January release)."""
        if self.frequency == Frequency.YEARLY:
            return [12]
        if self.frequency == Frequency.QUARTERLY:
            return [3, 6, 9, 12]
        return list(range(max(1, self.first_month), 13))


class FigureFields(models.Model):
    """The statistics bureau's columns (本月, 累计, 同比%, 累计同比%) and the revision bookkeeping."""

    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"), help_text=_("发布期的截止月份：1-10月为10，1-2月为2"))
    month_value = models.DecimalField(_("本月"), max_digits=18, decimal_places=4, null=True, blank=True)
    ytd_value = models.DecimalField(_("累计"), max_digits=18, decimal_places=4, null=True, blank=True)
    yoy_pct = models.DecimalField(_("本月同比%"), max_digits=9, decimal_places=2, null=True, blank=True)
    ytd_yoy_pct = models.DecimalField(_("累计同比%"), max_digits=9, decimal_places=2, null=True, blank=True)
    revision = models.PositiveSmallIntegerField(_("修订版本"), default=1)
    is_current = models.BooleanField(_("现行数据"), default=True, db_index=True)
    source = models.CharField(_("数据来源"), max_length=100, default="手工录入")
    import_job = models.ForeignKey("core.ImportJob", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("导入批次"))
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    FIGURES = ("month_value", "ytd_value", "yoy_pct", "ytd_yoy_pct")

    class Meta:
        abstract = True

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def figures(self) -> tuple:
        return tuple(getattr(self, name) for name in self.FIGURES)


class ValueQuerySet(models.QuerySet):
    def current(self):
        return self.filter(is_current=True)


class IndicatorValue(FigureFields):
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="values", verbose_name=_("指标"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("区划"))
    basis = models.CharField(_("口径"), max_length=10, choices=Basis.choices, default=Basis.OFFICIAL)
    base_enterprises = models.PositiveIntegerField(_("同口径企业数"), null=True, blank=True,
                                                   help_text=_("测算值：累计增速所用的同口径企业数"))

    objects = ValueQuerySet.as_manager()
    scope_paths = ScopePaths(region="region")

    class Meta:
        ordering = ["indicator", "region", "year", "month", "basis", "-revision"]
        verbose_name = verbose_name_plural = _("指标数据")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "year", "month", "basis", "revision"],
                                    name="uniq_indicator_value_revision"),
            models.UniqueConstraint(fields=["indicator", "region", "year", "month", "basis"],
                                    condition=Q(is_current=True), name="uniq_indicator_value_current"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="indicator_value_month"),
        ]
        indexes = [models.Index(fields=["indicator", "year", "month", "is_current"])]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.region_id} {self.period} r{self.revision}"


class ReferenceSeries(models.Model):
    """An area outside the region tree whose figures regions are compared with (全国, 东部地区…)."""

    class Style(models.TextChoices):
        JUDGEMENT = "judgement", _("好于/低于（评价）")
        MAGNITUDE = "magnitude", _("高于/低于（比较）")

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=30)
    short_name = models.CharField(_("简报用语"), max_length=20, help_text=_("如“全国”“东部”"))
    style = models.CharField(_("比较用语"), max_length=10, choices=Style.choices, default=Style.MAGNITUDE)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = _("参照系列")

    def __str__(self) -> str:
        return self.name


class ReferenceValue(FigureFields):
    """A figure of a reference series: public reference data, visible to every signed-in user."""

    series = models.ForeignKey(ReferenceSeries, models.CASCADE, related_name="values", verbose_name=_("参照系列"))
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="reference_values",
                                  verbose_name=_("指标"))

    objects = ValueQuerySet.as_manager()

    class Meta:
        ordering = ["series", "indicator", "year", "month", "-revision"]
        verbose_name = verbose_name_plural = _("参照数据")
        constraints = [
            models.UniqueConstraint(fields=["series", "indicator", "year", "month", "revision"],
                                    name="uniq_reference_value_revision"),
            models.UniqueConstraint(fields=["series", "indicator", "year", "month"], condition=Q(is_current=True),
                                    name="uniq_reference_value_current"),
        ]

    def __str__(self) -> str:
        return f"{self.series_id} {self.indicator_id} {self.period} r{self.revision}"


class IndicatorTarget(models.Model):
    """A region's annual target: a level (e.g. 投资额) and/or a growth rate (e.g. 增长6%)."""

    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="targets", verbose_name=_("指标"))
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("区划"))
    year = models.PositiveSmallIntegerField(_("年度"))
    target_value = models.DecimalField(_("年度目标值"), max_digits=18, decimal_places=4, null=True, blank=True)
    target_growth_pct = models.DecimalField(_("目标增速%"), max_digits=9, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    scope_paths = ScopePaths(region="region")

    class Meta:
        ordering = ["indicator", "region", "year"]
        verbose_name = verbose_name_plural = _("指标目标")
        constraints = [models.UniqueConstraint(fields=["indicator", "region", "year"], name="uniq_indicator_target")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.region_id} {self.year}"
