"""The record of a built demo province: `industrybrain demo` reuses it instead of building again."""

from __future__ import annotations

from django.db import models


class DemoBuild(models.Model):
    enterprises = models.PositiveIntegerField("企业数")
    seed = models.BigIntegerField("随机种子")
    first_year = models.PositiveSmallIntegerField("首个年度")
    last_year = models.PositiveSmallIntegerField("最后年度")
    generator_version = models.PositiveSmallIntegerField("生成器版本")
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    seconds = models.FloatField("耗时（秒）", null=True, blank=True)
    counts = models.JSONField("行数", default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = "演示数据构建"

    def __str__(self) -> str:
        return f"演示省份 {self.enterprises} 家企业（种子 {self.seed}）"

    @property
    def complete(self) -> bool:
        return self.finished_at is not None
