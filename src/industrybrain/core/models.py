"""Reference data, users and roles, calendar and notifications: what every module stands on."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .scope_paths import ScopePaths


class Region(models.Model):
    """A GB/T 2260 administrative division; `path` makes a subtree one prefix query."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省级")
        CITY = 2, _("地市级")
        COUNTY = 3, _("县级")

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("上级区划"))
    path = models.CharField(_("路径"), max_length=40, db_index=True, editable=False)
    longitude = models.FloatField(_("中心经度"), null=True, blank=True)
    latitude = models.FloatField(_("中心纬度"), null=True, blank=True)
    coord_source = models.CharField(_("坐标来源"), max_length=30, blank=True)
    tags = models.JSONField(_("标签"), default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent else "") + self.code + "/"
        super().save(*args, **kwargs)

    def subtree(self) -> models.QuerySet[Region]:
        return Region.objects.filter(path__startswith=self.path)

    @property
    def full_name(self) -> str:
        names: list[str] = []
        node: Region | None = self
        while node is not None:
            if node.name != "市辖区":
                names.append(node.name)
            node = node.parent
        return "".join(reversed(names))


class Industry(models.Model):
    """GB/T 4754-2017 国民经济行业分类: 门类 (letter), 大类 (2 digits), 中类 (3), 小类 (4)."""

    class Level(models.IntegerChoices):
        SECTION = 1, _("门类")
        DIVISION = 2, _("大类")
        GROUP = 3, _("中类")
        CLASS = 4, _("小类")

    code = models.CharField(_("行业代码"), max_length=4, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("上级"))
    section = models.CharField(_("门类"), max_length=1, db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = _("国民经济行业")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def subtree_q(self, field: str = "") -> Q:
        """Q selecting this industry and every industry under it (optionally through a relation)."""
        prefix = f"{field}__" if field else ""
        if self.level == self.Level.SECTION:
            return Q(**{f"{prefix}section": self.code})
        return Q(**{f"{prefix}code__startswith": self.code})


class IndustrySystem(models.Model):
    """A jurisdiction's own industry taxonomy (产业体系), e.g. 上海 3+6 or 浙江 415X."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    jurisdiction = models.ForeignKey(Region, models.PROTECT, verbose_name=_("所属区划"))
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = _("产业体系")

    def __str__(self) -> str:
        return self.name


class IndustryCategory(models.Model):
    """One node of an industry system, mapped to GB/T 4754 codes (any level)."""

    class Kind(models.TextChoices):
        LEADING = "leading", _("先导产业")
        KEY = "key", _("重点产业")
        NEW_TRACK = "new_track", _("新赛道")
        FUTURE = "future", _("未来产业")
        CLUSTER_TRILLION = "cluster_trillion", _("万亿级产业集群")
        CLUSTER_5000 = "cluster_5000", _("五千亿级产业集群")
        CLUSTER_FEATURE = "cluster_feature", _("千亿级特色产业集群")
        CLUSTER_RISING = "cluster_rising", _("百亿级新星产业群")

    system = models.ForeignKey(IndustrySystem, models.CASCADE, related_name="categories",
                               verbose_name=_("产业体系"))
    code = models.SlugField(_("代码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    industries = models.ManyToManyField(Industry, blank=True, verbose_name=_("对应行业"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["system", "order", "code"]
        verbose_name = verbose_name_plural = _("产业体系分类")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}·{self.name}"

    def industry_q(self, field: str = "industry") -> Q:
        """Q on a model with an industry FK: the enterprise's industry lies under any mapped code."""
        q = Q(pk__in=[])
        for industry in self.industries.all():
            q |= industry.subtree_q(field)
        return q


class Department(models.Model):
    """A government department (科技、财政、税务、市场监管…) at some level."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(Region, models.PROTECT, verbose_name=_("所属区划"))

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PROVINCE_OFFICER = "province_officer", _("省经信干部")
    CITY_OFFICER = "city_officer", _("市经信干部")
    COUNTY_OFFICER = "county_officer", _("县经信干部")
    DEPARTMENT_REVIEWER = "department_reviewer", _("部门审核人")
    STEWARD = "steward", _("服务管家")
    ENTERPRISE_USER = "enterprise_user", _("企业用户")
    ADMINISTRATOR = "administrator", _("系统管理员")


OFFICER_ROLES = {Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER}


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices, default=Role.ENTERPRISE_USER)
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, verbose_name=_("所属区划"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, verbose_name=_("所属部门"))
    enterprise = models.ForeignKey("registry.Enterprise", models.SET_NULL, null=True, blank=True,
                                   related_name="users", verbose_name=_("所属企业"))
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs):
        # The system administrator role is what opens the admin site; keep Django's flag in step.
        if self.role == Role.ADMINISTRATOR:
            self.is_staff = True
        super().save(*args, **kwargs)

    @property
    def is_officer(self) -> bool:
        return self.role in OFFICER_ROLES

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR or self.is_superuser


class CalendarYear(models.Model):
    """A year whose statutory holiday arrangement is known; deadlines in other years are refused."""

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = verbose_name_plural = _("工作日历年度")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a statutory holiday on a weekday or a make-up workday."""

    date = models.DateField(_("日期"), primary_key=True)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("名称"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = verbose_name_plural = _("节假日与调休")

    def __str__(self) -> str:
        return f"{self.date} {_('调休上班') if self.is_workday else _('放假')} {self.name}"


class Notification(models.Model):
    user = models.ForeignKey(User, models.CASCADE, related_name="notifications", verbose_name=_("接收人"))
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class ImportJob(models.Model):
    """One uploaded file: its dry run, its all-or-nothing apply, counts, errors and progress."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        CHECKED = "checked", _("校验通过")
        REJECTED = "rejected", _("校验未通过")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("导入失败")

    kind = models.CharField(_("导入类型"), max_length=40)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="import_jobs", verbose_name=_("导入人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始写入时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)

    scope_paths = ScopePaths(owner="created_by")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = _("导入批次")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.original_name}"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
