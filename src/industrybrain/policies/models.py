"""惠企政策直达: the policy library, match results, delivery cases, reviews, payments and the ledger.

Money is in 万元 as DECIMAL(16,2), like the registry. A policy's eligibility and amount are expressions of
the shared rules language (docs/RULES.md); `eligibility.py` turns them into a rule of the shared engine.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from industrybrain.core import calendar
from industrybrain.core.fields import money
from industrybrain.core.models import Department, Region
from industrybrain.core.scope_paths import ScopePaths

PUBLICATION_WORKING_DAYS = 7  # a policy is published within 7 working days of issue
FAST_TRACK_WORKING_DAYS = 60  # 快申快享: decision and payment within 60 working days of acceptance


class PolicyKind(models.TextChoices):
    REDUCTION = "reduction", _("减免类")
    SUBSIDY = "subsidy", _("奖补类")
    RIGHTS = "rights", _("权益类")
    QUALIFICATION = "qualification", _("资质类")


class DeliveryMode(models.TextChoices):
    AUTO_GRANT = "auto_grant", _("免申即享")
    FAST_TRACK = "fast_track", _("快申快享")
    REGULAR = "regular", _("常规申报")


class Policy(models.Model):
    """One policy item (政策条款) of a parent document, with its eligibility rule, amount formula and guide."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ACTIVE = "active", _("生效")
        RETIRED = "retired", _("停止执行")

    code = models.SlugField(_("政策编码"), max_length=60, unique=True)
    title = models.CharField(_("政策事项名称"), max_length=200, db_index=True)
    summary = models.TextField(_("政策内容摘要"), blank=True)
    # the parent document
    document_title = models.CharField(_("政策文件名称"), max_length=300)
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    issuer = models.CharField(_("发文单位"), max_length=200)
    issued_on = models.DateField(_("发文日期"))
    published_on = models.DateField(_("公开发布日期"), null=True, blank=True)
    imitates = models.CharField(_("参照的政策类型"), max_length=300, blank=True,
                                help_text=_("演示数据：所模仿的真实文件类型"))
    department = models.ForeignKey(Department, models.PROTECT, related_name="policies", verbose_name=_("执行部门"))
    kind = models.CharField(_("政策类型"), max_length=20, choices=PolicyKind.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="policies", verbose_name=_("适用区划"))
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"), null=True, blank=True)
    mode = models.CharField(_("兑现方式"), max_length=20, choices=DeliveryMode.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # rules: eligibility (logical expression) and amount (numeric expression) over the feature catalogue
    eligibility = models.TextField(_("享受条件（规则表达式）"),
                                   help_text=_("例：rd_ratio_last_year >= 3 AND revenue_last_year >= 2000"))
    amount_formula = models.TextField(_("兑现金额公式（万元）"), blank=True,
                                      help_text=_("例：LEAST(rd_expense_last_year * 0.1, 200)；留空表示无资金兑现"))
    cap_per_enterprise = money(_("单户上限（万元）"))
    budget = money(_("资金总额（万元）"))
    rule_version = models.PositiveIntegerField(_("规则版本"), default=1)
    rule_checksum = models.CharField(_("规则校验和"), max_length=64, blank=True)
    # 申兑指南
    beneficiaries = models.TextField(_("惠及对象"), blank=True)
    conditions_text = models.TextField(_("申报条件"), blank=True)
    fulfilment_time = models.CharField(_("兑现时限"), max_length=200, blank=True)
    office_address = models.CharField(_("受理地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=50, blank=True)
    materials = models.TextField(_("申报材料（每行一项）"), blank=True)
    # delivery settings
    publicity_days = models.PositiveSmallIntegerField(_("公示天数（工作日）"), default=5)
    review_departments = models.ManyToManyField(Department, blank=True, related_name="reviewed_policies",
                                                verbose_name=_("联审部门"),
                                                help_text=_("快申快享、常规申报的审核顺序：执行部门之后依次审核"))
    decision_working_days = models.PositiveSmallIntegerField(_("办结时限（工作日）"), default=FAST_TRACK_WORKING_DAYS)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    matched_at = models.DateTimeField(_("最近匹配时间"), null=True, blank=True)
    # counts of the stored match rows, kept by every path that writes them (matching.py): the policy list
    # reads them instead of counting tens of millions of rows per page view
    matched_qualified = models.PositiveIntegerField(_("符合企业数"), default=0)
    matched_near_miss = models.PositiveIntegerField(_("差一项企业数"), default=0)

    # Officers see the policies of their region subtree; department reviewers those their department executes.
    scope_paths = ScopePaths(region="region", department="department")

    class Meta:
        ordering = ["-issued_on", "code"]
        verbose_name = verbose_name_plural = _("惠企政策")
        constraints = [
            models.CheckConstraint(condition=Q(budget__isnull=True) | Q(budget__gte=0), name="policy_budget_nonnegative"),
            models.CheckConstraint(condition=Q(cap_per_enterprise__isnull=True) | Q(cap_per_enterprise__gte=0),
                                   name="policy_cap_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def material_list(self) -> list[str]:
        return [line.strip() for line in self.materials.splitlines() if line.strip()]

    def is_in_force(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    # -- the 7-working-day publication clock ------------------------------------------------------
    def publication_deadline(self) -> dt.date | None:
        try:
            return calendar.add_working_days(self.issued_on, PUBLICATION_WORKING_DAYS)
        except calendar.UnknownCalendarYear:
            return None

    def publication_clock(self, today: dt.date) -> dict:
        """Working days used of the 7 allowed between issue and publication (or today if unpublished)."""
        end = self.published_on or today
        deadline = self.publication_deadline()
        try:
            used = calendar.working_days_between(self.issued_on, end)
        except calendar.UnknownCalendarYear as exc:
            return {"deadline": deadline, "used": None, "late": None, "published": bool(self.published_on),
                    "error": str(exc)}
        return {"deadline": deadline, "used": used, "allowed": PUBLICATION_WORKING_DAYS,
                "late": used > PUBLICATION_WORKING_DAYS, "published": bool(self.published_on), "error": ""}

    def reviewer_chain(self) -> list[Department]:
        """The executing department first, then the joint reviewers in id order (no duplicates)."""
        chain = [self.department]
        for dept in self.review_departments.order_by("pk"):
            if dept.pk != self.department_id:
                chain.append(dept)
        return chain


class MatchOutcome(models.TextChoices):
    QUALIFIED = "qualified", _("符合")
    NEAR_MISS = "near_miss", _("差一项")


class PolicyMatch(models.Model):
    """An enterprise that qualifies for (or misses by one condition) an active policy, with reasons.

    Derived data (a whole-base match rewrites tens of millions of rows): on PostgreSQL the table is UNLOGGED
    (no WAL; emptied by crash recovery, after which the worker queues a full rematch — see tasks.py) and
    carries only the indexes its pages use (the unique (policy, enterprise) and (enterprise, outcome))."""

    # No database FK constraints: PostgreSQL checks Django's (deferred) constraints row by row at COMMIT,
    # which dominated a whole-base match; the ids come from the enterprise table itself and deletions still
    # cascade through the ORM (on_delete).
    policy = models.ForeignKey(Policy, models.CASCADE, related_name="matches", verbose_name=_("政策"),
                               db_index=False, db_constraint=False)  # the unique (policy, enterprise) index serves it
    enterprise = models.ForeignKey("registry.Enterprise", models.CASCADE, related_name="policy_matches",
                                   verbose_name=_("企业"), db_index=False,
                                   db_constraint=False)  # the (enterprise, outcome) index serves it
    outcome = models.CharField(_("匹配结果"), max_length=10, choices=MatchOutcome.choices)
    amount = money(_("测算金额（万元）"))
    reasons = models.JSONField(_("逐条判断"), default=list)
    values = models.JSONField(_("所用数据"), default=dict)
    rule_version = models.PositiveIntegerField(_("规则版本"), default=1)
    as_of = models.DateField(_("数据日期"))
    matched_at = models.DateTimeField(_("匹配时间"), auto_now=True)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        ordering = ["policy", "enterprise"]
        verbose_name = verbose_name_plural = _("政策匹配结果")
        constraints = [models.UniqueConstraint(fields=["policy", "enterprise"], name="uniq_policy_match")]
        indexes = [models.Index(fields=["enterprise", "outcome"])]

    def __str__(self) -> str:
        return f"{self.policy_id}/{self.enterprise_id} {self.outcome}"


class MatchTouch(models.Model):
    """An enterprise or a policy whose match rows a writer replaced (rematch after a data change, rematch
    of one policy). A whole-base rematch on PostgreSQL builds a new match table from a snapshot taken when
    it started and swaps it in minutes later (core.staging): at the swap it carries over the live rows of
    everything touched since it started, so a change made meanwhile is not undone. Emptied at each swap;
    rows older than two days are pruned by the periodic task."""

    enterprise_id = models.IntegerField(null=True)
    policy_id = models.IntegerField(null=True)
    at = models.DateTimeField(db_default=Now(), db_index=True)  # the database's clock, as the rebuild's start

    class Meta:
        verbose_name = verbose_name_plural = _("匹配变更记录")

    def __str__(self) -> str:
        return f"enterprise {self.enterprise_id}" if self.enterprise_id else f"policy {self.policy_id}"


class MatchJob(models.Model):
    """Queued rematching of one policy (or all); claimed with a conditional UPDATE so it runs once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    policy = models.ForeignKey(Policy, models.CASCADE, null=True, blank=True, related_name="match_jobs",
                               verbose_name=_("政策"))
    # rematching a set of enterprises (after a bulk import) instead of policies
    enterprise_ids = models.JSONField(_("企业"), default=list, blank=True)
    import_job = models.ForeignKey("core.ImportJob", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("导入任务"))
    total_count = models.PositiveIntegerField(_("总数"), default=0)
    processed_count = models.PositiveIntegerField(_("已处理"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    qualified = models.PositiveIntegerField(_("符合"), default=0)
    near_miss = models.PositiveIntegerField(_("差一项"), default=0)
    newly_qualified = models.PositiveIntegerField(_("新增符合"), default=0)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    message = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = _("匹配任务")

    def __str__(self) -> str:
        return f"{self.policy_id or ('enterprises' if self.enterprise_ids else '*')} {self.status}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_count / self.total_count) if self.total_count else 0


class CaseState(models.TextChoices):
    # 免申即享
    LISTED = "listed", _("名单待审核")
    PUBLICITY = "publicity", _("公示中")
    AWAITING_ACCOUNT = "awaiting_account", _("待确认账户")
    # 快申快享 / 常规申报
    DRAFT = "draft", _("待提交")
    SUBMITTED = "submitted", _("已提交")
    REVIEWING = "reviewing", _("审核中")
    # shared
    APPROVED = "approved", _("待拨付")
    PAID = "paid", _("已兑现")
    REMOVED = "removed", _("已移出名单")
    REJECTED = "rejected", _("不予支持")
    WITHDRAWN = "withdrawn", _("已撤回")


FINAL_STATES = {CaseState.PAID, CaseState.REMOVED, CaseState.REJECTED, CaseState.WITHDRAWN}


class Case(models.Model):
    """One enterprise × one policy on its way to payment: an auto-grant list entry or an application."""

    policy = models.ForeignKey(Policy, models.PROTECT, related_name="cases", verbose_name=_("政策"))
    enterprise = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="policy_cases",
                                   verbose_name=_("企业"))
    mode = models.CharField(_("兑现方式"), max_length=20, choices=DeliveryMode.choices)
    state = models.CharField(_("办理状态"), max_length=20, choices=CaseState.choices, db_index=True)
    state_entered_on = models.DateField(_("进入本状态日期"), null=True, blank=True)
    # the department whose queue the case is in (reviewers see their department's queue)
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="policy_cases",
                                   verbose_name=_("当前审核部门"))
    review_step = models.PositiveSmallIntegerField(_("审核步骤"), default=0)
    amount_requested = money(_("申请/测算金额（万元）"))
    amount_approved = money(_("核定金额（万元）"))
    # snapshot of the data and rule version the list/application was made on
    snapshot = models.JSONField(_("决策数据快照"), default=dict)
    application_data = models.JSONField(_("申报信息"), default=dict, blank=True)
    materials = models.JSONField(_("申报材料"), default=list, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=40, blank=True)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    due_on = models.DateField(_("办结期限"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("公示截止"), null=True, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    paid_on = models.DateField(_("兑现日期"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期督办时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("企业评价"), null=True, blank=True,
                                              choices=[(i, str(i)) for i in range(1, 6)])
    rating_comment = models.CharField(_("评价意见"), max_length=300, blank=True)
    complaint = models.BooleanField(_("投诉"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward",
                             department="department")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = verbose_name_plural = _("政策兑现事项")
        constraints = [
            # one open case per enterprise and policy; finished ones stay as history
            models.UniqueConstraint(fields=["policy", "enterprise"], name="uniq_open_policy_case",
                                    condition=~Q(state__in=["removed", "rejected", "withdrawn"])),
        ]
        indexes = [models.Index(fields=["policy", "state"]), models.Index(fields=["department", "state"])]

    def __str__(self) -> str:
        return f"{self.policy} · {self.enterprise}"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def get_additional_data(self) -> dict:
        return {"enterprise_id": self.enterprise_id}


class CaseReview(models.Model):
    """One department's opinion on an application (multi-department review), with the data it saw."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("同意")
        REJECT = "reject", _("不同意")

    case = models.ForeignKey(Case, models.CASCADE, related_name="reviews", verbose_name=_("事项"))
    step = models.PositiveSmallIntegerField(_("步骤"))
    department = models.ForeignKey(Department, models.PROTECT, verbose_name=_("审核部门"))
    decision = models.CharField(_("意见"), max_length=10, choices=Decision.choices)
    amount = money(_("核定金额（万元）"))
    reason = models.TextField(_("说明"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("审核人"))
    snapshot = models.JSONField(_("决策数据快照"), default=dict)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_paths = ScopePaths(region="case__enterprise__region", enterprise="case__enterprise",
                             steward="case__enterprise__steward", department="department")

    class Meta:
        ordering = ["case", "step"]
        verbose_name = verbose_name_plural = _("部门审核意见")
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="uniq_case_review_step")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.step} {self.decision}"


class PaymentBatch(models.Model):
    """A disbursement batch (拨付批次): queued, claimed by one worker, each payment idempotent."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("拨付中")
        DONE = "done", _("已完成")

    number = models.CharField(_("批次号"), max_length=40, unique=True)
    policy = models.ForeignKey(Policy, models.PROTECT, related_name="batches", verbose_name=_("政策"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    paid_on = models.DateField(_("拨付日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                   verbose_name=_("经办人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    case_ids = models.JSONField(_("事项"), default=list)
    paid_count = models.PositiveIntegerField(_("已拨付笔数"), default=0)
    refused = models.JSONField(_("未拨付及原因"), default=list, blank=True)

    scope_paths = ScopePaths(region="policy__region", department="policy__department")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = _("拨付批次")

    def __str__(self) -> str:
        return self.number


class Disbursement(models.Model):
    """The ledger (兑现台账): one row per payment; a payment is recorded once per idempotency key."""

    case = models.OneToOneField(Case, models.PROTECT, related_name="disbursement", verbose_name=_("事项"))
    policy = models.ForeignKey(Policy, models.PROTECT, related_name="disbursements", verbose_name=_("政策"))
    enterprise = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="policy_disbursements",
                                   verbose_name=_("企业"))
    amount = models.DecimalField(_("兑现金额（万元）"), max_digits=16, decimal_places=2)
    paid_on = models.DateField(_("兑现日期"))
    batch = models.ForeignKey(PaymentBatch, models.PROTECT, null=True, blank=True, related_name="payments",
                              verbose_name=_("批次"))
    idempotency_key = models.CharField(_("提交标识"), max_length=64, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("经办人"))
    recorded_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward",
                             department="policy__department")

    class Meta:
        ordering = ["-paid_on", "-pk"]
        verbose_name = verbose_name_plural = _("兑现台账")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive")]
        indexes = [models.Index(fields=["enterprise", "paid_on"]), models.Index(fields=["policy", "paid_on"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.amount}"

    def get_additional_data(self) -> dict:
        return {"enterprise_id": self.enterprise_id}


ZERO = Decimal("0.00")


class TaxKind(models.TextChoices):
    VAT = "vat", _("增值税")
    CIT = "cit", _("企业所得税")
    RD_DEDUCTION = "rd_deduction", _("研发费用加计扣除")
    SOCIAL = "social", _("社会保险费")
    PROPERTY = "property", _("房产税")
    LAND = "land", _("城镇土地使用税")
    STAMP = "stamp", _("印花税")
    FEE = "fee", _("行政事业性收费")
    OTHER = "other", _("其他税费")


class TaxReduction(models.Model):
    """A tax or fee reduction an enterprise enjoyed (imported from the tax authority's lists; 一指减负)."""

    enterprise = models.ForeignKey("registry.Enterprise", models.CASCADE, related_name="tax_reductions",
                                   verbose_name=_("企业"))
    year = models.PositiveSmallIntegerField(_("所属年度"))
    tax_kind = models.CharField(_("税费种类"), max_length=20, choices=TaxKind.choices)
    item = models.CharField(_("减免项目"), max_length=100)
    amount = models.DecimalField(_("减免金额（万元）"), max_digits=16, decimal_places=2)
    reduced_on = models.DateField(_("减免日期"), null=True, blank=True)
    basis = models.CharField(_("政策依据"), max_length=200, blank=True)
    authority = models.CharField(_("数据提供部门"), max_length=100, blank=True)
    import_job = models.ForeignKey("core.ImportJob", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("导入任务"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_paths = ScopePaths(region="enterprise__region", enterprise="enterprise", steward="enterprise__steward")

    class Meta:
        ordering = ["-year", "tax_kind", "item"]
        verbose_name = verbose_name_plural = _("税费减免")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "tax_kind", "item"], name="tax_reduction_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tax_reduction_positive"),
        ]
        indexes = [models.Index(fields=["year"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.item} {self.amount}"

    def get_additional_data(self) -> dict:
        return {"enterprise_id": self.enterprise_id}
