"""Background tasks of the policies module (django_tasks; each claims its work row before doing anything)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task


@task()
def run_match_job(job_id: int) -> str:
    """Rematch after a policy change; a duplicated task finds the job claimed and does nothing."""
    from .matching import run_job

    return run_job(job_id)


@task()
def rematch_enterprise_task(enterprise_id: int) -> str:
    """Rematch one enterprise after its data changed (queued after the change commits)."""
    from industrybrain.rules import snapshot

    from .matching import rematch_enterprise

    snapshot.refresh([enterprise_id])  # the shared feature snapshot follows the change (one row)
    result = rematch_enterprise(enterprise_id)
    return f"{result['qualified']} qualified, {result['near_miss']} near misses"


@task()
def run_payment_batch(batch_id: int) -> str:
    from .services import run_batch

    return run_batch(batch_id)


def _enqueue(jobs: list[int], batches: list[int]) -> None:
    for pk in jobs:
        run_match_job.enqueue(pk)
    for pk in batches:
        run_payment_batch.enqueue(pk)


TOUCHES_KEPT = timedelta(days=2)  # far longer than a whole-base rematch runs


def periodic() -> str | None:
    """Run by `industrybrain worker` every few minutes: overdue cases are escalated (督办) once each, and
    match touches no rebuild can need any more are pruned (a rebuild empties them; without rebuilds they
    would grow with every rematch)."""
    from django.utils import timezone

    from .models import MatchTouch
    from .services import escalate_overdue

    MatchTouch.objects.filter(at__lt=timezone.now() - TOUCHES_KEPT).delete()
    count = escalate_overdue()
    return f"惠企政策：超期督办 {count} 件" if count else None


def recover_stale() -> str | None:
    """Called by `industrybrain worker` at start: work a dead worker left running is queued again.

    A match job is one transaction per policy (a rerun replaces the results); a payment batch is rerun with the
    same per-case idempotency keys, so payments already recorded are not made twice."""
    from django.db import transaction

    from .models import MatchJob, PaymentBatch

    jobs = list(MatchJob.objects.filter(status=MatchJob.Status.RUNNING).values_list("pk", flat=True))
    batches = list(PaymentBatch.objects.filter(status=PaymentBatch.Status.RUNNING).values_list("pk", flat=True))
    with transaction.atomic():
        MatchJob.objects.filter(pk__in=jobs).update(status=MatchJob.Status.QUEUED)
        PaymentBatch.objects.filter(pk__in=batches).update(status=PaymentBatch.Status.QUEUED)
        transaction.on_commit(lambda: _enqueue(jobs, batches))
    lost = _matches_lost()
    if not jobs and not batches and not lost:
        return None
    message = f"惠企政策：重新排队匹配任务 {len(jobs)} 个、拨付批次 {len(batches)} 个"
    return message + ("；匹配结果已丢失（数据库崩溃恢复），已排队全量重新匹配" if lost else "")


def _matches_lost() -> bool:
    """PolicyMatch is UNLOGGED on PostgreSQL: crash recovery empties it. Policies that were matched but have
    no result left (and no match job waiting) are matched again."""
    from .matching import queue_match
    from .models import MatchJob, Policy, PolicyMatch

    matched = Policy.objects.filter(status=Policy.Status.ACTIVE, matched_at__isnull=False)
    if not matched.exists() or PolicyMatch.objects.exists() or MatchJob.objects.filter(
            status__in=[MatchJob.Status.QUEUED, MatchJob.Status.RUNNING]).exists():
        return False
    queue_match(None)
    return True
