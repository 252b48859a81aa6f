"""Background tasks of the platform core (django_tasks; the database backend's worker is `db_worker`)."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from . import imports
from .models import ImportJob


@task()
def run_import_job(job_id: int) -> str:
    """Apply a queued import job, all or nothing.

    Safe to run twice (a retried or duplicated task): the job is first claimed with a conditional UPDATE
    queued → running, and only the run that wins the claim does any work.
    """
    if not imports.claim_job(job_id):
        return "skipped"
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    imports.apply_job(job)
    return job.status


def queue_import_job(job: ImportJob) -> bool:
    """Checked → queued and enqueue the task in one transaction (the task row commits with the status).

    Returns False when the job was not in the checked state (already queued, applied or refused).
    """
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
            status=ImportJob.Status.QUEUED, processed_rows=0)
        if moved:
            run_import_job.enqueue(job.pk)
    job.refresh_from_db()
    return bool(moved)


def recover_stale() -> str | None:
    """Called by `industrybrain worker` at start (each app's `tasks.recover_stale()`, see ib_worker)."""
    recovered = imports.recover_stale_jobs()
    return f"已恢复 {recovered} 个中断的导入批次（未写入数据，可重新确认导入）" if recovered else None
