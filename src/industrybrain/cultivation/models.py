"""Tier evaluation runs, the cultivation pool they produce, and what the registry's certifications lack
(batch, re-review status, expiry alerts sent)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from industrybrain.core.scope_paths import ScopePaths

from .tiers import EVALUATED_CHOICES, TIER_CHOICES


class TierRun(models.Model):
    """One evaluation of a tier's rule over the enterprise base as of a date, run as a background task.

    The rules engine stores the evaluation (`rules.Evaluation` + one `EvaluationResult` per enterprise);
    the run adds who asked, status and progress, the counts within the requester's region, and the pool.
    Seen by officers whose region contains the run's region (the province that started it) and administrators.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("评价中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    uuid = models.UUIDField(_("编号"), default=uuid.uuid4, unique=True, editable=False)
    tier = models.CharField(_("梯度层级"), max_length=30, choices=EVALUATED_CHOICES)
    as_of = models.DateField(_("评价日期"))
    region = models.ForeignKey("core.Region", models.PROTECT, null=True, blank=True, verbose_name=_("统计区划"),
                               help_text=_("计数与后备库按此区划统计；空表示全部"))
    rule_version = models.ForeignKey("rules.RuleVersion", models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("规则版本"))
    evaluation = models.ForeignKey("rules.Evaluation", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("规则评价批次"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("发起人"))
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    stage = models.CharField(_("当前步骤"), max_length=100, blank=True)
    enterprise_count = models.PositiveIntegerField(_("企业数"), default=0)
    pass_count = models.PositiveIntegerField(_("符合"), default=0)
    fail_count = models.PositiveIntegerField(_("不符合"), default=0)
    unknown_count = models.PositiveIntegerField(_("数据不足"), default=0)
    pool_count = models.PositiveIntegerField(_("后备库企业数"), default=0)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    message = models.TextField(_("说明"), blank=True)

    scope_paths = ScopePaths(region="region")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = _("梯度评价批次")
        indexes = [models.Index(fields=["tier", "status", "finished_at"])]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} @ {self.as_of}"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def duration_seconds(self) -> float:
        return round(self.duration_ms / 1000, 1)


class PoolEntry(models.Model):
    """An enterprise that fails a tier by one or two criteria in a run (后备库), with the gap for each."""

    run = models.ForeignKey(TierRun, models.CASCADE, related_name="pool", verbose_name=_("评价批次"))
    enterprise = models.ForeignKey("registry.Enterprise", models.CASCADE, related_name="+", verbose_name=_("企业"))
    tier = models.CharField(_("目标层级"), max_length=30, choices=TIER_CHOICES)
    failed_count = models.PositiveSmallIntegerField(_("未满足条件数"))
    relative_gap = models.FloatField(_("相对差距合计"))
    unknown_count = models.PositiveSmallIntegerField(_("数据不足条件数"), default=0)
    score = models.FloatField(_("得分"), null=True, blank=True)
    gaps = models.JSONField(_("差距"), default=list)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        ordering = ["failed_count", "relative_gap", "enterprise_id"]
        verbose_name = verbose_name_plural = _("后备库企业")
        constraints = [models.UniqueConstraint(fields=["run", "enterprise"], name="uniq_pool_entry")]
        indexes = [models.Index(fields=["run", "failed_count", "relative_gap"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} → {self.tier}"

    @property
    def gap_text(self) -> str:
        return "；".join(g["text"] for g in self.gaps if g.get("result") == "fail")


class ReviewStatus(models.TextChoices):
    NONE = "", _("未复核")
    PENDING = "pending", _("复核中")
    PASSED = "passed", _("复核通过")
    FAILED = "failed", _("复核未通过")


class CertificationInfo(models.Model):
    """What the registry's Certification does not hold: the batch (批次) and the re-review (复核) status."""

    certification = models.OneToOneField("registry.Certification", models.CASCADE, related_name="cultivation",
                                         verbose_name=_("资质"))
    batch = models.CharField(_("批次"), max_length=60, blank=True)
    review_status = models.CharField(_("复核状态"), max_length=10, choices=ReviewStatus.choices, blank=True,
                                     default=ReviewStatus.NONE)
    reviewed_on = models.DateField(_("复核日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    scope_paths = ScopePaths(region="certification__enterprise__region", enterprise="certification__enterprise",
                             steward="certification__enterprise__steward")

    class Meta:
        verbose_name = verbose_name_plural = _("资质批次与复核")

    def __str__(self) -> str:
        return f"{self.certification_id} {self.batch}"


class ExpiryAlert(models.Model):
    """A certificate-expiry notice sent once per certificate and expiry date (so a daily check never repeats)."""

    certification = models.ForeignKey("registry.Certification", models.CASCADE, related_name="+",
                                      verbose_name=_("资质"))
    valid_until = models.DateField(_("有效期至"))
    checked_on = models.DateField(_("检查日期"))
    recipients = models.PositiveSmallIntegerField(_("通知人数"), default=0)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    scope_paths = ScopePaths(region="certification__enterprise__region", enterprise="certification__enterprise",
                             steward="certification__enterprise__steward")

    class Meta:
        verbose_name = verbose_name_plural = _("资质到期提醒")
        constraints = [models.UniqueConstraint(fields=["certification", "valid_until"], name="uniq_expiry_alert")]

    def __str__(self) -> str:
        return f"{self.certification_id} {self.valid_until}"
