"""Major industrial projects (重大产业项目): the project, its lists, plans, monthly reports, blockers, alerts.

Money is in 万元 as DECIMAL(16,2), like the registry; pages and exports show 亿元 where offices do.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from industrybrain.core.fields import money
from industrybrain.core.models import Industry, IndustryCategory, Region
from industrybrain.core.scope_paths import ScopePaths
from industrybrain.registry import uscc as uscc_rules

from .stages import Stage, actual_field, planned_field

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YI = Decimal("10000")  # 1 亿元 = 10,000 万元



class ProjectType(models.TextChoices):
    NEW = "new", _("新建")
    EXPANSION = "expansion", _("扩建")
    TECH_UPGRADE = "tech_upgrade", _("技术改造")
    INVESTMENT_SIGNING = "investment_signing", _("招商引资签约")


class Programme(models.Model):
    """A programme a project belongs to: a 千项万亿 domain, 技术改造示范, city key projects…

    Reference data (seeded by migration, editable in the admin), like the industry systems.
    """

    class Kind(models.TextChoices):
        QXWY = "qxwy", _("千项万亿工程")
        TECH_UPGRADE_DEMO = "tech_upgrade_demo", _("技术改造示范")
        PROVINCE_KEY = "province_key", _("省重点建设项目")
        CITY_KEY = "city_key", _("市重点项目")
        COUNTY_KEY = "county_key", _("县重点项目")
        INVESTMENT = "investment", _("招商引资项目")

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=30, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = _("项目计划类别")

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    code = models.CharField(_("项目编号"), max_length=30, unique=True)
    name = models.CharField(_("项目名称"), max_length=200, db_index=True)
    enterprise = models.ForeignKey("registry.Enterprise", models.PROTECT, null=True, blank=True,
                                   related_name="projects", verbose_name=_("投资企业（企业库）"))
    investor_uscc = models.CharField(_("投资主体统一社会信用代码"), max_length=18, blank=True)
    investor_name = models.CharField(_("投资主体名称"), max_length=200)
    region = models.ForeignKey(Region, models.PROTECT, related_name="projects", verbose_name=_("项目所在地"))
    industry = models.ForeignKey(Industry, models.PROTECT, null=True, blank=True, verbose_name=_("所属行业"))
    industry_category = models.ForeignKey(IndustryCategory, models.PROTECT, null=True, blank=True,
                                          verbose_name=_("产业体系/集群"))
    project_type = models.CharField(_("项目类型"), max_length=20, choices=ProjectType.choices, default=ProjectType.NEW)
    programme = models.ForeignKey(Programme, models.PROTECT, null=True, blank=True, related_name="projects",
                                  verbose_name=_("计划类别"))
    total_investment = money(_("总投资（万元）"), null=False, blank=False)
    equipment_investment = money(_("设备投资（万元）"))
    land_parcel = models.CharField(_("地块"), max_length=200, blank=True)
    land_area_mu = models.DecimalField(_("用地面积（亩）"), max_digits=10, decimal_places=2, null=True, blank=True)
    responsible_leader = models.CharField(_("联系领导"), max_length=50, blank=True)
    service_specialist = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                           related_name="service_projects", verbose_name=_("服务专员"))
    stage = models.CharField(_("所处清单"), max_length=20, choices=Stage.choices, default=Stage.SIGNED,
                             db_index=True)
    stage_entered_on = models.DateField(_("进入本清单日期"), null=True, blank=True)
    # Planned and actual date of each stage (see stages.planned_field / actual_field).
    planned_signed = models.DateField(_("计划签约日期"), null=True, blank=True)
    actual_signed = models.DateField(_("实际签约日期"), null=True, blank=True)
    planned_land_acquired = models.DateField(_("计划拿地日期"), null=True, blank=True)
    actual_land_acquired = models.DateField(_("实际拿地日期"), null=True, blank=True)
    planned_started = models.DateField(_("计划开工日期"), null=True, blank=True)
    actual_started = models.DateField(_("实际开工日期"), null=True, blank=True)
    planned_under_construction = models.DateField(_("计划在建日期"), null=True, blank=True)
    actual_under_construction = models.DateField(_("实际在建日期"), null=True, blank=True)
    planned_completed = models.DateField(_("计划竣工日期"), null=True, blank=True)
    actual_completed = models.DateField(_("实际竣工日期"), null=True, blank=True)
    planned_in_production = models.DateField(_("计划投产日期"), null=True, blank=True)
    actual_in_production = models.DateField(_("实际投产日期"), null=True, blank=True)
    capacity_reached_on = models.DateField(_("达产日期"), null=True, blank=True)
    description = models.TextField(_("建设内容"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # The region of the project; the enterprise through the investing enterprise (absent for an investor
    # new to the registry: then only officers see it); stewards through their assignment as 服务专员.
    scope_paths = ScopePaths(region="region", enterprise="enterprise", steward="service_specialist")

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = _("重大产业项目")
        indexes = [models.Index(fields=["region", "stage"]), models.Index(fields=["stage", "region"])]
        constraints = [models.CheckConstraint(condition=Q(total_investment__gte=0),
                                              name="project_total_investment_nonnegative")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.investor_uscc:
            try:
                self.investor_uscc = uscc_rules.validate(self.investor_uscc)
            except uscc_rules.USCCError as exc:
                errors["investor_uscc"] = str(exc)
        if self.enterprise_id and not self.investor_uscc and self.enterprise is not None:
            self.investor_uscc, self.investor_name = self.enterprise.uscc, self.investor_name or self.enterprise.name
        if (self.equipment_investment is not None and self.total_investment is not None
                and self.equipment_investment > self.total_investment):
            errors["equipment_investment"] = _("设备投资不能大于总投资")
        if errors:
            raise ValidationError(errors)

    @property
    def total_investment_yi(self) -> Decimal:
        return (self.total_investment or Decimal(0)) / YI

    def planned(self, stage: str) -> dt.date | None:
        return getattr(self, planned_field(stage))

    def actual(self, stage: str) -> dt.date | None:
        return getattr(self, actual_field(stage))

    def stage_rows(self) -> list[dict]:
        return [{"stage": s.value, "label": s.label, "planned": self.planned(s.value), "actual": self.actual(s.value)}
                for s in Stage]

    def get_additional_data(self) -> dict:
        return {"region_id": self.region_id}


class AnnualPlan(models.Model):
    """The year's planned investment and its split by month (万元)."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="annual_plans", verbose_name=_("项目"))
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = money(_("年度计划投资（万元）"), null=False, blank=False)
    monthly = models.JSONField(_("分月计划（万元，1–12月）"), default=list, blank=True)

    scope_paths = ScopePaths(region="project__region", enterprise="project__enterprise",
                             steward="project__service_specialist")

    class Meta:
        ordering = ["project", "year"]
        verbose_name = verbose_name_plural = _("年度投资计划")
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="uniq_annual_plan")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}"

    def clean(self) -> None:
        if self.monthly:
            if len(self.monthly) != 12:
                raise ValidationError({"monthly": _("分月计划必须有12个月的数值")})
            try:
                total = sum(Decimal(str(v)) for v in self.monthly)
            except ArithmeticError:
                raise ValidationError({"monthly": _("分月计划必须是数字")}) from None
            if self.amount is not None and abs(total - self.amount) > Decimal("0.05"):
                raise ValidationError({"monthly": _("分月计划合计%(total)s万元与年度计划%(amount)s万元不一致")
                                      % {"total": total, "amount": self.amount}})

    def planned_cumulative(self) -> list[Decimal]:
        """Cumulative plan at the end of each month; an even split when no monthly split was given."""
        amount = self.amount or Decimal(0)
        months = [Decimal(str(v)) for v in self.monthly] if len(self.monthly) == 12 else [amount / 12] * 12
        out, running = [], Decimal(0)
        for value in months:
            running += value
            out.append(running)
        return out


class MonthlyInvestmentReport(models.Model):
    """Investment completed in one month, as reported (月度投资完成情况)."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="reports", verbose_name=_("项目"))
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    month_completed = money(_("本月完成投资（万元）"), null=False, blank=False)
    ytd_completed = money(_("本年累计完成投资（万元）"), null=False, blank=False)
    cumulative_completed = money(_("自开工累计完成投资（万元）"), null=False, blank=False)
    equipment_completed = money(_("本年累计设备投资（万元）"))
    correction_note = models.TextField(_("更正说明"), blank=True)
    over_total_flag = models.BooleanField(_("累计超总投资（已确认）"), default=False)
    progress_note = models.TextField(_("形象进度"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     verbose_name=_("填报人"))
    submitted_at = models.DateTimeField(_("填报时间"), auto_now=True)
    source = models.CharField(_("数据来源"), max_length=50, default="手工填报")

    scope_paths = ScopePaths(region="project__region", enterprise="project__enterprise",
                             steward="project__service_specialist")

    class Meta:
        ordering = ["project", "year", "month"]
        verbose_name = verbose_name_plural = _("月度投资完成情况")
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "month"], name="uniq_project_month_report"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="project_report_month"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}-{self.month:02d}"

    def get_additional_data(self) -> dict:
        return {"project_id": self.project_id}


class ProjectStageEvidence(models.Model):
    """A document proving a stage event (contract, land certificate, permit, acceptance, first output)."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="evidence", verbose_name=_("项目"))
    stage = models.CharField(_("清单"), max_length=20, choices=Stage.choices)
    transition = models.ForeignKey("workflow.Transition", models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("流转记录"))
    file = models.FileField(_("文件"), upload_to="projects/evidence/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    description = models.CharField(_("材料名称"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_paths = ScopePaths(region="project__region", enterprise="project__enterprise",
                             steward="project__service_specialist")

    class Meta:
        ordering = ["project", "uploaded_at"]
        verbose_name = verbose_name_plural = _("清单佐证材料")

    def __str__(self) -> str:
        return self.original_name


class Blocker(models.Model):
    """A problem holding a project back and the help asked for (may become a service ticket later)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待协调")
        RESOLVED = "resolved", _("已解决")

    project = models.ForeignKey(Project, models.CASCADE, related_name="blockers", verbose_name=_("项目"))
    raised_on = models.DateField(_("提出日期"))
    description = models.TextField(_("问题描述"))
    help_requested = models.TextField(_("需协调事项"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    resolved_on = models.DateField(_("解决日期"), null=True, blank=True)
    resolution = models.TextField(_("解决情况"), blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  verbose_name=_("提出人"))
    service_request_ref = models.CharField(_("关联诉求编号"), max_length=40, blank=True)

    scope_paths = ScopePaths(region="project__region", enterprise="project__enterprise",
                             steward="project__service_specialist")

    class Meta:
        ordering = ["-raised_on", "pk"]
        verbose_name = verbose_name_plural = _("项目问题与协调事项")

    def __str__(self) -> str:
        return self.description[:40]


class AlertKind(models.TextChoices):
    """What an alert is about (the cockpit counts alerts by kind; every rule belongs to one)."""

    STAGE_OVERDUE = "stage_overdue", _("计划节点逾期")
    BEHIND_TIME_PROGRESS = "behind_time_progress", _("投资落后时间进度")
    START_RATE_BELOW_CURVE = "start_rate_below_curve", _("开工率低于序时要求")
    STAGE_TOO_LONG = "stage_too_long", _("清单停留超时")
    OTHER = "other", _("其他预警")


class AlertSubject(models.TextChoices):
    PROJECT = "project", _("重大项目")
    PROGRAMME_CITY = "programme_city", _("计划类别×设区市")


class AlertSeverity(models.TextChoices):
    NOTICE = "notice", _("提示")
    WARNING = "warning", _("预警")
    SERIOUS = "serious", _("严重")


class AlertRule(models.Model):
    """An alert rule of the shared rules language, edited by province officers (projects/alerts.py runs them).

    `condition` is validated against the subject's feature catalogue (projects/catalogue.py); `message` is a
    template whose `{feature}` placeholders are replaced by the features' values — never str.format.
    """

    code = models.SlugField(_("规则代码"), max_length=40, unique=True)
    name = models.CharField(_("规则名称"), max_length=60)
    kind = models.CharField(_("预警类型"), max_length=30, choices=AlertKind.choices, default=AlertKind.OTHER)
    subject = models.CharField(_("检查对象"), max_length=20, choices=AlertSubject.choices,
                               default=AlertSubject.PROJECT)
    condition = models.TextField(_("预警条件"), help_text=_("满足条件即预警；数据不足（未知）时不预警"))
    message = models.CharField(_("预警消息模板"), max_length=300, blank=True,
                               help_text=_("用 {字段代码} 引用字段的值，如 {name}：已逾期{next_stage_days_overdue}个工作日；"
                                           "留空则由条件用到的字段名称和数值自动生成"))
    severity = models.CharField(_("预警级别"), max_length=10, choices=AlertSeverity.choices,
                                default=AlertSeverity.WARNING)
    enabled = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    description = models.TextField(_("说明"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("修改人"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = _("项目预警规则")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        from . import alerts

        errors: dict[str, list[str]] = {}
        if self.subject in AlertSubject.values:
            problems = alerts.condition_problems(self.subject, self.condition or "")
            if problems:
                errors["condition"] = problems
            problems = alerts.message_problems(self.subject, self.message or "")
            if problems:
                errors["message"] = problems
        if errors:
            raise ValidationError(errors)


class ProjectAlert(models.Model):
    """An alert raised by a rule (projects/alerts.py); open until the condition clears.

    `condition` and `values` record what was evaluated and the feature values it read (audit); they are
    refreshed each time the alert is detected again.
    """

    Kind = AlertKind

    class Status(models.TextChoices):
        OPEN = "open", _("未解除")
        CLOSED = "closed", _("已解除")

    kind = models.CharField(_("预警类型"), max_length=30, choices=AlertKind.choices)
    rule = models.ForeignKey(AlertRule, models.SET_NULL, null=True, blank=True, related_name="alerts",
                             verbose_name=_("预警规则"))
    severity = models.CharField(_("预警级别"), max_length=10, choices=AlertSeverity.choices,
                                default=AlertSeverity.WARNING)
    project = models.ForeignKey(Project, models.CASCADE, null=True, blank=True, related_name="alerts",
                                verbose_name=_("项目"))
    region = models.ForeignKey(Region, models.PROTECT, verbose_name=_("区划"))
    programme = models.ForeignKey(Programme, models.PROTECT, null=True, blank=True, verbose_name=_("计划类别"))
    stage = models.CharField(_("清单"), max_length=20, choices=Stage.choices, blank=True)
    key = models.CharField(_("唯一标识"), max_length=120)
    message = models.CharField(_("预警内容"), max_length=300)
    condition = models.TextField(_("判定条件"), blank=True)
    values = models.JSONField(_("判定所用数值"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    first_detected_on = models.DateField(_("首次发现"))
    last_detected_on = models.DateField(_("最近发现"))
    closed_on = models.DateField(_("解除日期"), null=True, blank=True)

    scope_paths = ScopePaths(region="region", enterprise="project__enterprise",
                             steward="project__service_specialist")

    class Meta:
        ordering = ["status", "-last_detected_on", "kind", "pk"]
        verbose_name = verbose_name_plural = _("项目预警")
        constraints = [models.UniqueConstraint(fields=["key"], condition=Q(status="open"),
                                               name="uniq_open_project_alert")]
        indexes = [models.Index(fields=["status", "region"])]

    def __str__(self) -> str:
        return self.message
