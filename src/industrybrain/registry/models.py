"""Enterprise profile (一企一档): identity, yearly and monthly facts with their source, certifications."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from industrybrain.core.fields import money
from industrybrain.core.models import Department, Industry, Region
from industrybrain.core.scope_paths import ScopePaths

from . import sizing, uscc
from .sizing import SizeClass


class Ownership(models.TextChoices):
    STATE = "state", _("国有")
    PRIVATE = "private", _("民营")
    FOREIGN = "foreign", _("外资")
    HMT = "hmt", _("港澳台")
    CENTRAL_SOE = "central_soe", _("央企")


class Tag(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("类别"), max_length=30, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = _("企业标签")

    def __str__(self) -> str:
        return self.name


def validate_uscc(value: str) -> None:
    try:
        uscc.validate(value)
    except uscc.USCCError as exc:
        raise ValidationError(str(exc), code="uscc") from None


class Enterprise(models.Model):
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    region = models.ForeignKey(Region, models.PROTECT, verbose_name=_("所在区划"))
    industry = models.ForeignKey(Industry, models.PROTECT, verbose_name=_("所属行业"))
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    ownership = models.CharField(_("登记注册类型"), max_length=20, choices=Ownership.choices,
                                 default=Ownership.PRIVATE)
    size_class = models.CharField(_("企业规模"), max_length=10, choices=SizeClass.choices, blank=True,
                                  editable=False, db_index=True)
    above_scale = models.BooleanField(_("规上企业"), default=False, editable=False, db_index=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="enterprises", verbose_name=_("标签"))
    steward = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                related_name="stewarded_enterprises", verbose_name=_("服务管家"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_paths = ScopePaths(region="region", enterprise="", steward="steward")

    class Meta:
        ordering = ["uscc"]
        verbose_name = verbose_name_plural = _("企业")
        indexes = [
            models.Index(fields=["region", "uscc"]),
            models.Index(fields=["industry", "uscc"]),
            models.Index(fields=["founded_on", "uscc"]),
        ]

    def __str__(self) -> str:
        return self.name

    def latest_yearly_fact(self) -> YearlyFact | None:
        return self.yearly_facts.order_by("-year").first()

    def refresh_classification(self, fact: YearlyFact | None = None) -> None:
        """Recompute size class and 规上 flag from the latest year's facts."""
        fact = fact or self.latest_yearly_fact()
        if fact is None:
            self.size_class, self.above_scale = "", False
        else:
            self.size_class = sizing.size_class(fact.staff, fact.revenue)
            self.above_scale = sizing.is_above_scale(fact.main_business_revenue)


class SourceMixin(models.Model):
    """Where a row of values came from and when; per-field overrides when fields came separately."""

    source = models.CharField(_("数据来源"), max_length=100, default="手工录入")
    source_department = models.ForeignKey(Department, models.SET_NULL, null=True, blank=True,
                                          verbose_name=_("来源部门"))
    import_job = models.ForeignKey("core.ImportJob", models.SET_NULL, null=True, blank=True,
                                   verbose_name=_("导入批次"))
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    field_sources = models.JSONField(_("分字段来源"), default=dict, blank=True)

    class Meta:
        abstract = True

    def source_of(self, field: str) -> dict:
        """The source and time of one value (a per-field override wins over the row's source)."""
        if field in self.field_sources:
            return self.field_sources[field]
        return {"source": self.source, "at": self.received_at.isoformat() if self.received_at else None}

    def record_field_source(self, fields: list[str], source: str, at: str) -> None:
        for field in fields:
            self.field_sources[field] = {"source": source, "at": at}


# Yearly fact fields: (name, Chinese label, unit). Imports, exports, API and pages read this one list.
YEARLY_FACT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("revenue", gettext_noop("营业收入"), gettext_noop("万元")),
    ("main_business_revenue", gettext_noop("主营业务收入"), gettext_noop("万元")),
    ("profit", gettext_noop("利润总额"), gettext_noop("万元")),
    ("net_profit", gettext_noop("净利润"), gettext_noop("万元")),
    ("tax", gettext_noop("纳税总额"), gettext_noop("万元")),
    ("total_assets", gettext_noop("资产总额"), gettext_noop("万元")),
    ("total_liabilities", gettext_noop("负债总额"), gettext_noop("万元")),
    ("rd_expense", gettext_noop("研发费用"), gettext_noop("万元")),
    ("staff", gettext_noop("从业人员"), gettext_noop("人")),
    ("rd_staff", gettext_noop("研发人员"), gettext_noop("人")),
    ("ip_class1", gettext_noop("Ⅰ类知识产权"), gettext_noop("项")),
    ("invention_patents", gettext_noop("有效发明专利"), gettext_noop("项")),
    ("ip_class2", gettext_noop("Ⅱ类知识产权"), gettext_noop("项")),
    ("exports", gettext_noop("出口交货值"), gettext_noop("万元")),
    ("energy_use", gettext_noop("综合能源消费量"), gettext_noop("吨标准煤")),
    ("industrial_output", gettext_noop("工业总产值"), gettext_noop("万元")),
)

MONTHLY_FACT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("output", gettext_noop("工业总产值"), gettext_noop("万元")),
    ("value_added", gettext_noop("工业增加值（可比价）"), gettext_noop("万元")),
    ("electricity", gettext_noop("用电量"), gettext_noop("万千瓦时")),
)


class YearlyFact(SourceMixin):
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="yearly_facts",
                                   verbose_name=_("企业"))
    year = models.PositiveSmallIntegerField(_("年度"))
    revenue = money(_("营业收入（万元）"))
    main_business_revenue = money(_("主营业务收入（万元）"))
    profit = money(_("利润总额（万元）"))
    net_profit = money(_("净利润（万元）"))
    tax = money(_("纳税总额（万元）"))
    total_assets = money(_("资产总额（万元）"))
    total_liabilities = money(_("负债总额（万元）"))
    rd_expense = money(_("研发费用（万元）"))
    staff = models.PositiveIntegerField(_("从业人员（人）"), null=True, blank=True)
    rd_staff = models.PositiveIntegerField(_("研发人员（人）"), null=True, blank=True)
    ip_class1 = models.PositiveIntegerField(_("Ⅰ类知识产权（项）"), null=True, blank=True)
    invention_patents = models.PositiveIntegerField(_("有效发明专利（项）"), null=True, blank=True)
    ip_class2 = models.PositiveIntegerField(_("Ⅱ类知识产权（项）"), null=True, blank=True)
    exports = money(_("出口交货值（万元）"))
    energy_use = money(_("综合能源消费量（吨标准煤）"))
    industrial_output = money(_("工业总产值（万元）"))

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        ordering = ["enterprise", "year"]
        verbose_name = verbose_name_plural = _("企业年度数据")
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="uniq_yearly_fact")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year}"

    def get_additional_data(self) -> dict:
        return {"enterprise_id": self.enterprise_id}


class MonthlyFact(SourceMixin):
    """Monthly figures of a 规上 enterprise; `value_added` is at comparable prices."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="monthly_facts",
                                   verbose_name=_("企业"))
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    output = money(_("工业总产值（万元）"))
    value_added = money(_("工业增加值（可比价，万元）"))
    electricity = money(_("用电量（万千瓦时）"))

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        ordering = ["enterprise", "year", "month"]
        verbose_name = verbose_name_plural = _("企业月度数据")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "month"], name="uniq_monthly_fact"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="monthly_fact_month"),
        ]
        indexes = [models.Index(fields=["year", "month"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year}-{self.month:02d}"

    def get_additional_data(self) -> dict:
        return {"enterprise_id": self.enterprise_id}


class Certification(models.Model):
    """A title an enterprise holds (高新技术企业, 专精特新, 小巨人, 绿色工厂…) with its validity."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="certifications",
                                   verbose_name=_("企业"))
    kind = models.CharField(_("资质类型"), max_length=40)
    name = models.CharField(_("资质名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=20, blank=True)
    issued_on = models.DateField(_("认定日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    issuer = models.CharField(_("认定机关"), max_length=100, blank=True)
    document_no = models.CharField(_("文号"), max_length=100, blank=True)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        ordering = ["enterprise", "-issued_on"]
        verbose_name = verbose_name_plural = _("企业资质")
        indexes = [models.Index(fields=["kind", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.issued_on}）"

    def get_additional_data(self) -> dict:
        return {"enterprise_id": self.enterprise_id}

    def is_valid_on(self, day) -> bool:
        return self.issued_on <= day and (self.valid_until is None or day <= self.valid_until)


class DailyElectricity(models.Model):
    """One enterprise's electricity use on one day (万千瓦时, 4 decimals = 1 kWh), e.g. the grid company's reading.

    Deliberately narrow (no per-row source columns): 100,000 规上 enterprises × 3 years is ≈ 110 million
    rows. The import that wrote a day is in the audit log (one entry per enterprise and import). Indexes:
    the unique (enterprise, day) serves one enterprise's history (so the foreign key has no index of its
    own); (day, enterprise, electricity) covers the month scan of the alerts without reading the table.
    """

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="daily_electricity",
                                   verbose_name=_("企业"), db_index=False)
    day = models.DateField(_("日期"))
    electricity = models.DecimalField(_("用电量（万千瓦时）"), max_digits=12, decimal_places=4)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        verbose_name = verbose_name_plural = _("企业日用电量")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "day"], name="uniq_daily_electricity"),
            models.CheckConstraint(condition=models.Q(electricity__gte=0), name="daily_electricity_nonnegative"),
        ]
        indexes = [models.Index(fields=["day", "enterprise", "electricity"], name="registry_daily_elec_scan")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.day}"

    def get_additional_data(self) -> dict:
        return {"enterprise_id": self.enterprise_id}
