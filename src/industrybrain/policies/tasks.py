"""Background tasks of the policies module (django_tasks; each claims its work row before doing anything)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_match_job(job_id: int) -> str:
    """Rematch after a policy change; a duplicated task finds the job claimed and does nothing."""
    from .matching import run_job

    return run_job(job_id)


@task()
def rematch_enterprise_task(enterprise_id: int) -> str:
    """Rematch one enterprise after its data changed (queued after the change commits)."""
    from .matching import rematch_enterprise

    result = rematch_enterprise(enterprise_id)
    return f"{result['qualified']} qualified, {result['near_miss']} near misses"


@task()
def run_payment_batch(batch_id: int) -> str:
    from .services import run_batch

    return run_batch(batch_id)
