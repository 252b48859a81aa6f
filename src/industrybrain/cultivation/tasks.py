"""Background task of the cultivation module (django-tasks; the database backend's worker is `db_worker`)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def run_tier_evaluation(run_id: int) -> str:
    """Execute a queued tier run. Safe to deliver twice: the run is claimed with a conditional UPDATE
    (queued → running) and only the delivery that wins the claim evaluates."""
    run = services.execute_run(run_id)
    return "skipped" if run is None else run.status


def recover_stale() -> str | None:
    """Called by `industrybrain worker` at start: runs a dead worker left running are marked failed."""
    failed = services.recover_stale_runs()
    return f"已将 {failed} 个中断的梯度评价标记为失败（可重新发起）" if failed else None
