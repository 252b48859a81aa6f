"""Tier evaluation runs (start, claim, execute with progress), the pool they write, and explanations.

    start_run(user, tier, as_of)        → TierRun queued, task enqueued in the same transaction
    execute_run(run_id)                 → claim (queued → running), evaluate with the rules engine, write the pool
    latest_run(tier)                    → the newest finished run of a tier (the pool and ladder read it)
    tier_explanations(enterprise, ...)  → for each tier: every criterion with value, threshold, result, gap
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from industrybrain.core.access import region_subtree_q
from industrybrain.core.jobs import claim
from industrybrain.core.models import Region, Role, User
from industrybrain.registry.models import Certification, Enterprise
from industrybrain.rules import evaluate as engine
from industrybrain.rules.models import EvaluationResult, Outcome, RuleVersion
from industrybrain.rules.rulefile import RuleSpec

from . import gaps, tiers
from .models import PoolEntry, TierRun

PROGRESS_EVERY = 2000
STALE_AFTER = dt.timedelta(hours=6)


class RunError(ValueError):
    """A run cannot be started (unknown tier, no rule version in force); the message is Chinese."""


def can_start_runs(user: User) -> bool:
    return user.is_authenticated and (user.is_administrator or user.role == Role.PROVINCE_OFFICER)


def rule_version_for(tier_code: str, as_of: dt.date) -> RuleVersion:
    tier = tiers.get(tier_code)
    if tier.rule_code is None:
        raise RunError(f"{tier.label}为人工认定，不做规则评价")
    try:
        return engine.version_for(tier.rule_code, as_of)
    except engine.RuleNotFound as exc:
        raise RunError(str(exc)) from None


def start_run(user: User | None, tier_code: str, as_of: dt.date, enqueue: bool = True) -> TierRun:
    """Create a queued run and enqueue its task in one transaction (the task row commits with the run)."""
    from .tasks import run_tier_evaluation

    version = rule_version_for(tier_code, as_of)
    with transaction.atomic():
        run = TierRun.objects.create(
            tier=tier_code, as_of=as_of, rule_version=version, created_by=user,
            region=None if user is None or user.is_administrator else user.region, stage="排队等待后台执行")
        if enqueue:
            run_tier_evaluation.enqueue(run.pk)
    run.refresh_from_db()
    return run


def claim_run(run_id: int) -> bool:
    """queued → running with a conditional UPDATE: a task delivered twice does the work once."""
    return claim(TierRun, run_id, started_at=timezone.now(), progress=1, stage="正在按规则评价全部企业")


def _progress(run: TierRun, percent: int, stage: str) -> None:
    TierRun.objects.filter(pk=run.pk).update(progress=percent, stage=stage)
    run.progress, run.stage = percent, stage


def execute_run(run_id: int) -> TierRun | None:
    """Claim and execute a run; None when another worker already claimed it."""
    if not claim_run(run_id):
        return None
    run = TierRun.objects.select_related("rule_version", "region", "created_by").get(pk=run_id)
    started = time.perf_counter()
    try:
        _execute(run)
    except Exception as exc:
        PoolEntry.objects.filter(run=run).delete()
        run.status = TierRun.Status.FAILED
        run.message = f"评价失败：{exc.__class__.__name__}: {exc}"[:2000]
        run.stage = "失败"
        run.finished_at = timezone.now()
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.save(update_fields=["status", "message", "stage", "finished_at", "duration_ms"])
        return run
    run.status = TierRun.Status.DONE
    run.progress = 100
    run.stage = "已完成"
    run.finished_at = timezone.now()
    run.duration_ms = int((time.perf_counter() - started) * 1000)
    run.save()
    return run


def _execute(run: TierRun) -> None:
    """Evaluate the tier (and the tier below, which the pool needs) from ONE feature snapshot, count within
    the run's region, then write the pool set-based."""
    version = run.rule_version or rule_version_for(run.tier, run.as_of)
    spec = version.spec()
    versions = [version]
    lower = tiers.below(run.tier)
    if lower is not None and lower.evaluated:
        try:
            versions.append(rule_version_for(lower.code, run.as_of))
        except RunError:
            lower = None  # no rule in force for the tier below: its certificates still count
    evaluations = engine.evaluate_rules(versions, run.as_of, user=run.created_by)
    evaluation = evaluations[0]
    lower_evaluation = evaluations[1] if len(evaluations) > 1 else None
    run.evaluation, run.rule_version = evaluation, version
    TierRun.objects.filter(pk=run.pk).update(evaluation=evaluation, rule_version=version)
    _progress(run, 60, "正在计算后备库（差一两项条件且接近达标的企业）")
    results = EvaluationResult.objects.filter(evaluation=evaluation)
    if run.region is not None:
        results = results.filter(region_subtree_q("enterprise__region", run.region))
    counts = dict(results.values_list("outcome").annotate(n=Count("id")).order_by())
    run.pass_count = counts.get(Outcome.PASS, 0)
    run.fail_count = counts.get(Outcome.FAIL, 0)
    run.unknown_count = counts.get(Outcome.UNKNOWN, 0)
    run.enterprise_count = run.pass_count + run.fail_count + run.unknown_count
    TierRun.objects.filter(pk=run.pk).update(pass_count=run.pass_count, fail_count=run.fail_count,
                                             unknown_count=run.unknown_count, enterprise_count=run.enterprise_count)
    run.pool_count = write_pool(run, spec, evaluation.pk, lower_evaluation.pk if lower_evaluation else None)


def pool_max_failed() -> int:
    """How many of the tier's criteria a pool enterprise may miss (default 2; setting
    IB_CULTIVATION_POOL_MAX_FAILED, 1 or 2)."""
    return int(getattr(settings, "IB_CULTIVATION_POOL_MAX_FAILED", gaps.POOL_MAX_FAILED))


def pool_score_margin() -> float:
    """How far under the pass score a pool enterprise's evaluation score may be, in points (default 10;
    setting IB_CULTIVATION_POOL_SCORE_MARGIN)."""
    return float(getattr(settings, "IB_CULTIVATION_POOL_SCORE_MARGIN", gaps.POOL_SCORE_MARGIN))


def pool_candidates(run: TierRun, spec: RuleSpec, evaluation_id: int, lower_evaluation_id: int | None) -> Any:
    """The pool of a tier (docs/RULES.md, “Cultivation pool”), as one query over the stored results:
    not passing the tier; missing 1…max criteria (`failed_units`, criteria as an officer counts them);
    for a scored rule, a known score within the margin of the pass score; passing the tier below in the
    same run, or holding a valid certificate of it (when there is a tier below); holding no valid
    certificate of this tier or a higher one; within the run's region."""
    day = run.as_of
    qs = (EvaluationResult.objects.filter(evaluation_id=evaluation_id, failed_units__gte=1,
                                          failed_units__lte=pool_max_failed())
          .exclude(outcome=Outcome.PASS)
          .exclude(enterprise_id__in=valid_certifications(day).filter(kind__in=tiers.at_or_above(run.tier))
                   .values("enterprise_id")))
    if spec.indicators and spec.pass_score is not None:
        qs = qs.filter(Q(score__isnull=True) | Q(score__gte=spec.pass_score - pool_score_margin()))
    lower = tiers.below(run.tier)
    if lower is not None:
        ok = Q(enterprise_id__in=valid_certifications(day).filter(kind=lower.code).values("enterprise_id"))
        if lower_evaluation_id is not None:
            ok |= Q(enterprise_id__in=EvaluationResult.objects.filter(evaluation_id=lower_evaluation_id,
                                                                      outcome=Outcome.PASS).values("enterprise_id"))
        qs = qs.filter(ok)
    if run.region is not None:
        qs = qs.filter(region_subtree_q("enterprise__region", run.region))
    return qs


def write_pool(run: TierRun, spec: RuleSpec, evaluation_id: int, lower_evaluation_id: int | None = None) -> int:
    """Insert the pool with one INSERT … SELECT (`pool_candidates`), then word each member's gaps (the
    detail rebuilt from the frozen snapshot, in batches) and its closeness (total relative gap)."""
    from django.db import connection
    from django.db.models import F as Col
    from django.db.models import FloatField, JSONField, Value

    qs = pool_candidates(run, spec, evaluation_id, lower_evaluation_id).order_by().values_list(
        Value(run.pk), "enterprise_id", Value(run.tier), "failed_units", Value(0.0, output_field=FloatField()),
        Col("unknown_units"), "score", Value([], output_field=JSONField()))
    sql, params = qs.query.sql_with_params()
    meta = PoolEntry._meta
    qn = connection.ops.quote_name
    cols = ", ".join(qn(meta.get_field(n).column) for n in ("run", "enterprise", "tier", "failed_count",  # type: ignore[union-attr,arg-type]
                                                             "relative_gap", "unknown_count", "score", "gaps"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(meta.db_table)} ({cols}) {sql}", params)  # noqa: S608
    total = PoolEntry.objects.filter(run=run).count()
    evaluation = engine.Evaluation.objects.select_related("rule_version", "snapshot").get(pk=evaluation_id)
    ids = list(PoolEntry.objects.filter(run=run).order_by("enterprise_id").values_list("enterprise_id", flat=True))
    for start in range(0, len(ids), PROGRESS_EVERY):
        chunk = ids[start:start + PROGRESS_EVERY]
        rows = engine.result_rows(evaluation, chunk)
        entries = list(PoolEntry.objects.filter(run=run, enterprise_id__in=chunk))
        for entry in entries:
            data = engine.payload(spec, rows[entry.enterprise_id])
            analysis = gaps.analyse(spec, data["outcome"], data["values"], data["criteria"], data["subscores"],
                                    data["score"])
            entry.relative_gap = analysis.relative_gap
            entry.gaps = [u.as_dict() for u in analysis.units if u.result != "pass"]
        PoolEntry.objects.bulk_update(entries, ["relative_gap", "gaps"])
        _progress(run, 70 + int(29 * min(start + PROGRESS_EVERY, total) / max(total, 1)),
                  f"正在计算后备库差距：{min(start + PROGRESS_EVERY, total)}/{total}")
    return total


def recover_stale_runs(now: dt.datetime | None = None) -> int:
    """Runs left running by a worker that died: marked failed (they can be started again)."""
    now = now or timezone.now()
    stale = TierRun.objects.filter(status=TierRun.Status.RUNNING, started_at__lt=now - STALE_AFTER)
    for run in stale:
        PoolEntry.objects.filter(run=run).delete()
    return stale.update(status=TierRun.Status.FAILED, stage="失败", finished_at=now,
                        message="后台进程在评价过程中退出，本次评价未完成；请重新发起。")


# -- reading ------------------------------------------------------------------------------------

def latest_run(tier_code: str) -> TierRun | None:
    return (TierRun.objects.filter(tier=tier_code, status=TierRun.Status.DONE, evaluation__isnull=False)
            .select_related("rule_version", "evaluation").order_by("-finished_at", "-id").first())


def latest_runs() -> dict[str, TierRun]:
    out = {}
    for tier in tiers.EVALUATED:
        run = latest_run(tier.code)
        if run is not None:
            out[tier.code] = run
    return out


def valid_certifications(day: dt.date) -> Any:
    return Certification.objects.filter(issued_on__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def certified_ids(kinds: list[str], day: dt.date) -> list[int]:
    return list(valid_certifications(day).filter(kind__in=kinds).values_list("enterprise_id", flat=True).distinct())


# -- explanations --------------------------------------------------------------------------------

@dataclass
class TierExplanation:
    tier: tiers.Tier
    status: str  # evaluated | live | no_rule | manual
    as_of: dt.date | None = None
    version: RuleVersion | None = None
    spec: RuleSpec | None = None
    explanation: dict | None = None
    analysis: gaps.Analysis | None = None
    hints: list[str] | None = None
    certifications: list[Certification] | None = None
    message: str = ""

    @property
    def outcome(self) -> str:
        return self.explanation["outcome"] if self.explanation else ""


def _hint_list(analysis: gaps.Analysis) -> list[str]:
    return [f"{u.name}：{u.text}" for u in analysis.units if u.result == "fail" and u.text] + [
        _("%(name)s：数据不足，请补充相关数据") % {"name": u.name} for u in analysis.units if u.result == "unknown"]


def _decorate(explanation: dict, spec: RuleSpec, env: Any) -> dict:
    wording = gaps.criterion_gaps(spec, env)
    for item in explanation["criteria"]:
        item["gap"] = wording.get(item["id"], "")
        item["threshold_text"] = item["threshold"]
    explanation["score_gap"] = wording.get("scoring_ok", "")
    return explanation


def tier_explanations(enterprise: Enterprise, as_of: dt.date | None = None) -> list[TierExplanation]:
    """For each tier: the stored result of the latest finished run (or, when no run has evaluated the
    enterprise, the engine's live answer for today), explained criterion by criterion, with the gaps."""
    today = timezone.localdate()
    held = list(Certification.objects.filter(enterprise=enterprise, kind__in=tiers.TIER_CODES).order_by("-issued_on"))
    out: list[TierExplanation] = []
    for tier in tiers.TIERS:
        certs = [c for c in held if c.kind == tier.code]
        if not tier.evaluated:
            out.append(TierExplanation(tier, "manual", certifications=certs,
                                       message=_("无全国性量化标准，按人工认定（tiers.md §5）")))
            continue
        run = None if as_of else latest_run(tier.code)
        stored = (engine.result_rows(run.evaluation, [enterprise.pk]).get(enterprise.pk)
                  if run is not None and run.evaluation is not None else None)
        if stored is not None and run is not None and run.rule_version is not None:
            version = run.rule_version
            spec = version.spec()
            data = engine.payload(spec, stored)
            env = gaps.environment(spec, data["values"], data["criteria"], data["subscores"], data["score"])
            explanation = _decorate(engine.explain(spec, stored), spec, env)
            analysis = gaps.analyse(spec, data["outcome"], data["values"], data["criteria"], data["subscores"],
                                    data["score"])
            out.append(TierExplanation(tier, "evaluated", run.as_of, version, spec, explanation, analysis,
                                       _hint_list(analysis), certs))
            continue
        day = as_of or today
        try:
            version = rule_version_for(tier.code, day)
        except RunError as exc:
            out.append(TierExplanation(tier, "no_rule", day, certifications=certs, message=str(exc)))
            continue
        spec = version.spec()
        rows = engine.run(spec, day, [enterprise.pk])
        if not rows:
            out.append(TierExplanation(tier, "no_rule", day, certifications=certs, message=_("无评价结果")))
            continue
        data = engine.payload(spec, rows[0])
        env = gaps.environment(spec, data["values"], data["criteria"], data["subscores"], data["score"])
        explanation = _decorate(engine.explain(spec, rows[0]), spec, env)
        analysis = gaps.analyse(spec, data["outcome"], data["values"], data["criteria"], data["subscores"],
                                data["score"])
        out.append(TierExplanation(tier, "live", day, version, spec, explanation, analysis, _hint_list(analysis),
                                   certs, message=_("尚无该层级的评价批次，以下为按当前数据的实时计算（未存档）")))
    return out


def region_children(region: Region | None) -> list[Region]:
    """The regions one level below (a county shows itself)."""
    if region is None:
        return list(Region.objects.filter(level=Region.Level.PROVINCE))
    if region.level == Region.Level.COUNTY:
        return [region]
    return list(region.children.order_by("code"))
