"""The record of a built demo province: `industrybrain demo` reuses it instead of building again."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoBuild(models.Model):
    enterprises = models.PositiveIntegerField(_("企业数"))
    seed = models.BigIntegerField(_("随机种子"))
    first_year = models.PositiveSmallIntegerField(_("首个年度"))
    last_year = models.PositiveSmallIntegerField(_("最后年度"))
    generator_version = models.PositiveSmallIntegerField(_("生成器版本"))
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    seconds = models.FloatField(_("耗时（秒）"), null=True, blank=True)
    counts = models.JSONField(_("行数"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = _("演示数据构建")

    def __str__(self) -> str:
        return f"演示省份 {self.enterprises} 家企业（种子 {self.seed}）"

    @property
    def complete(self) -> bool:
        return self.finished_at is not None
