"""Rules, their versions, evaluations with per-enterprise results, and enterprise attributes."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from industrybrain.core.scope_paths import ScopePaths


class EnterpriseAttribute(models.Model):
    """A typed per-enterprise value the registry does not hold yet (细分市场年限, 研发机构级别, 奖励…).

    The code must be one of `features.ATTRIBUTES`; exactly the value column of its type is set. The value
    in force on an evaluation date is the latest one whose `as_of` is on or before that date, so a past
    evaluation can be reproduced after newer values arrive.
    """

    enterprise = models.ForeignKey("registry.Enterprise", models.CASCADE, related_name="rule_attributes",
                                   verbose_name="企业")
    code = models.CharField("属性代码", max_length=60)
    value_number = models.FloatField("数值", null=True, blank=True)
    value_text = models.CharField("文本", max_length=200, null=True, blank=True)
    value_bool = models.BooleanField("是否", null=True, blank=True)
    value_date = models.DateField("日期", null=True, blank=True)
    as_of = models.DateField("数据时点")
    source = models.CharField("数据来源", max_length=100, default="手工录入")
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_at = models.DateTimeField("录入时间", default=timezone.now)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        ordering = ["enterprise", "code", "-as_of"]
        verbose_name = verbose_name_plural = "企业评价属性"
        indexes = [models.Index(fields=["code", "enterprise", "as_of"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.code}={self.value}"

    @property
    def value(self):
        from .features import ATTRIBUTES

        attr = ATTRIBUTES.get(self.code)
        return getattr(self, f"value_{attr.type.value}") if attr else None

    def clean(self) -> None:
        from .features import ATTRIBUTES

        attr = ATTRIBUTES.get(self.code)
        if attr is None:
            raise ValidationError({"code": f"未知的属性代码：{self.code}"})
        wanted = f"value_{attr.type.value}"
        for name in ("value_number", "value_text", "value_bool", "value_date"):
            if name != wanted and getattr(self, name) is not None:
                raise ValidationError({name: f"属性 {self.code} 的类型为 {attr.type.value}，只填 {wanted}"})
        if attr.choices and self.value_text is not None and self.value_text not in dict(attr.choices):
            raise ValidationError({"value_text": f"可选值：{'、'.join(dict(attr.choices))}"})


class Rule(models.Model):
    code = models.SlugField("规则代码", max_length=60, unique=True)
    name = models.CharField("名称", max_length=200)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "规则"

    def __str__(self) -> str:
        return self.name

    def version_on(self, day) -> RuleVersion | None:
        """The version in force on `day` (valid_from ≤ day ≤ valid_to)."""
        return (self.versions.filter(valid_from__lte=day)
                .filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day))
                .order_by("-valid_from", "-id").first())


class RuleVersion(models.Model):
    """One version of a rule: the YAML text is the source of truth; the rest is indexed from it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "生效"
        DRAFT = "draft", "草稿"
        RETIRED = "retired", "停用"

    rule = models.ForeignKey(Rule, models.CASCADE, related_name="versions", verbose_name="规则")
    version = models.CharField("版本", max_length=40)
    valid_from = models.DateField("施行日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    document = models.CharField("依据文件", max_length=300, blank=True)
    text = models.TextField("规则文本（YAML）")
    checksum = models.CharField("校验和", max_length=64)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    locked = models.BooleanField("已锁定", default=False, help_text="锁定后不能修改，只能新增版本")
    source_path = models.CharField("来源文件", max_length=300, blank=True)
    loaded_at = models.DateTimeField("载入时间", default=timezone.now)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  verbose_name="载入人")

    class Meta:
        ordering = ["rule", "-valid_from"]
        verbose_name = verbose_name_plural = "规则版本"
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="uniq_rule_version")]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.version}"

    def spec(self):
        from .rulefile import load_rule

        return load_rule(self.text)


class FeatureSnapshot(models.Model):
    """Every catalogue feature of every enterprise for one evaluation date, materialised once and shared
    by all rules evaluated on that date and by the live preview (see `snapshot.py`).

    The rows live in an engine-managed table (`table`: one column per feature, `f_<code>`), built set-based
    with one INSERT … SELECT; this model is its registry. A snapshot is a cache of the registry as of its
    build, kept fresh by the after-commit hook (`signals.py`) for single-enterprise edits; results copy the
    values they used, so dropping a snapshot never loses an audit trail.
    """

    class Status(models.TextChoices):
        BUILDING = "building", "生成中"
        READY = "ready", "可用"
        STALE = "stale", "已过期"

    as_of = models.DateField("评价日期")
    catalogue = models.CharField("特征目录校验和", max_length=64)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.BUILDING)
    enterprise_count = models.PositiveIntegerField("企业数", default=0)
    feature_count = models.PositiveIntegerField("特征数", default=0)
    built_at = models.DateTimeField("生成时间", default=timezone.now)
    refreshed_at = models.DateTimeField("最近局部刷新", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("耗时（毫秒）", default=0)
    frozen = models.BooleanField("审计冻结", default=False,
                                 help_text="全量评价的结果引用了本快照：行被刷新前先存入历史表，快照不再被自动清理")
    refresh_seq = models.PositiveIntegerField("刷新序号", default=0)

    class Meta:
        ordering = ["-built_at"]
        verbose_name = verbose_name_plural = "特征快照"
        indexes = [models.Index(fields=["as_of", "status"])]

    def __str__(self) -> str:
        return f"特征快照 {self.as_of}（{self.get_status_display()}）"

    @property
    def table(self) -> str:
        return f"rules_fs_{int(self.pk)}"


class Evaluation(models.Model):
    """One run of a rule version over the base (or a subset) as of a date."""

    rule_version = models.ForeignKey(RuleVersion, models.PROTECT, related_name="evaluations",
                                     verbose_name="规则版本")
    as_of = models.DateField("评价日期")
    dialect = models.CharField("数据库", max_length=20)
    subset = models.BooleanField("部分企业", default=False)
    enterprise_count = models.PositiveIntegerField("企业数", default=0)
    pass_count = models.PositiveIntegerField("符合", default=0)
    fail_count = models.PositiveIntegerField("不符合", default=0)
    unknown_count = models.PositiveIntegerField("数据不足", default=0)
    started_at = models.DateTimeField("开始时间", default=timezone.now)
    duration_ms = models.PositiveIntegerField("耗时（毫秒）", default=0)
    sql_checksum = models.CharField("SQL 校验和", max_length=64, blank=True)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     verbose_name="发起人")
    snapshot = models.ForeignKey(FeatureSnapshot, models.PROTECT, null=True, blank=True, related_name="evaluations",
                                 verbose_name="特征快照", help_text="全量评价读取的特征快照；部分企业评价直接读登记簿")
    snapshot_seq = models.PositiveIntegerField("快照刷新序号", null=True, blank=True,
                                               help_text="评价读取快照时的刷新序号：据此从快照及其历史表还原当时的特征值")
    trigger = models.CharField("触发方式", max_length=20, default="manual",
                               help_text="manual 手动 / batch 批量 / edit 登记簿修改后自动 / import 导入后自动")

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = "规则评价批次"

    def __str__(self) -> str:
        return f"{self.rule_version} @ {self.as_of}"


class Outcome(models.TextChoices):
    PASS = "pass", "符合"
    FAIL = "fail", "不符合"
    UNKNOWN = "unknown", "数据不足"


class EvaluationResult(models.Model):
    """Per-enterprise result. Subset evaluations store sub-scores, criteria and the values used (JSON);
    whole-base evaluations store outcome, score and the counts of failed / unknown criteria only — the rest
    is rebuilt on demand from the frozen feature snapshot row and the rule version (`evaluate.result_rows`),
    so a decision can be audited after the data change either way."""

    # no database-level foreign key constraints (Django still cascades deletes): a whole-base evaluation
    # inserts a million rows, and the deferred constraint checks queued one per row and ran at commit
    # (and no single-column indexes: (evaluation, enterprise) is unique-indexed; per enterprise see Meta)
    evaluation = models.ForeignKey(Evaluation, models.CASCADE, related_name="results", verbose_name="评价批次",
                                   db_constraint=False, db_index=False)
    enterprise = models.ForeignKey("registry.Enterprise", models.CASCADE, related_name="rule_results",
                                   verbose_name="企业", db_constraint=False, db_index=False)
    outcome = models.CharField("结论", max_length=7, choices=Outcome.choices)
    score = models.FloatField("得分", null=True, blank=True)
    subscores = models.JSONField("分项得分", default=dict)
    criteria = models.JSONField("各条件结果", default=dict)
    values = models.JSONField("所用数据", default=dict)
    subset = models.BooleanField("部分企业评价", default=False, db_default=False)
    failed_units = models.PositiveSmallIntegerField("未满足条件数", null=True, blank=True)
    unknown_units = models.PositiveSmallIntegerField("数据不足条件数", null=True, blank=True)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        verbose_name = verbose_name_plural = "规则评价结果"
        constraints = [models.UniqueConstraint(fields=["evaluation", "enterprise"], name="uniq_rule_result")]
        # per-enterprise lookups across evaluations (latest_results) need the subset rows only: whole-base
        # rows are found through (evaluation, enterprise); a full per-enterprise index touched every one of
        # its pages on each million-row evaluation
        indexes = [models.Index(fields=["enterprise", "evaluation"], condition=models.Q(subset=True),
                                name="rules_result_subset_ent"),
                   models.Index(fields=["evaluation", "outcome"])]

    def __str__(self) -> str:
        return f"{self.evaluation_id}/{self.enterprise_id} {self.outcome}"


class AttributeTableState(models.Model):
    """Bookkeeping of the current-attribute table (`rules/attributes.py`): one row. The table is in step
    with `EnterpriseAttribute` while the count and the highest id it was last synchronised with match the
    attribute table's (model-signal writes keep both in step; bulk writes are caught by the mismatch)."""

    catalogue = models.CharField("属性目录校验和", max_length=64)
    attr_count = models.BigIntegerField("属性行数", default=0)
    attr_max_id = models.BigIntegerField("最大属性编号", default=0)
    built_at = models.DateTimeField("重建时间", default=timezone.now)
    duration_ms = models.PositiveIntegerField("重建耗时（毫秒）", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "当前属性表状态"

    def __str__(self) -> str:
        return f"当前属性表 {self.attr_count} 行"
