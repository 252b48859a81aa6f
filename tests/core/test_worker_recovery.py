"""A worker that dies mid-import leaves nothing written; the job goes back to "checked" to be applied again."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from industrybrain.core import imports
from industrybrain.core.models import ImportJob

pytestmark = pytest.mark.django_db


def job(user, status, started_hours_ago=None):
    started = timezone.now() - dt.timedelta(hours=started_hours_ago) if started_hours_ago is not None else None
    return ImportJob.objects.create(kind="enterprises", original_name="x.csv", created_by=user, status=status,
                                    started_at=started, file=ContentFile(b"x", name="x.csv"))


def test_claim_records_when_the_write_started(roles):
    queued = job(roles["county"], ImportJob.Status.QUEUED)
    assert imports.claim_job(queued.pk)
    queued.refresh_from_db()
    assert queued.status == ImportJob.Status.RUNNING and queued.started_at is not None
    assert not imports.claim_job(queued.pk)  # a second claim loses


def test_only_stale_running_jobs_are_recovered(roles):
    stale = job(roles["county"], ImportJob.Status.RUNNING, started_hours_ago=7)
    fresh = job(roles["county"], ImportJob.Status.RUNNING, started_hours_ago=1)
    done = job(roles["county"], ImportJob.Status.DONE, started_hours_ago=30)
    assert imports.recover_stale_jobs() == 1
    for j in (stale, fresh, done):
        j.refresh_from_db()
    assert stale.status == ImportJob.Status.CHECKED and "中断" in stale.message
    assert fresh.status == ImportJob.Status.RUNNING
    assert done.status == ImportJob.Status.DONE


def test_worker_command_recovers_then_hands_over_to_db_worker(roles, capsys, monkeypatch):
    # The real db_worker closes the database connection when it stops, which would end the test's
    # transaction; record the hand-over instead and check its options against db_worker's own parser.
    from django.core.management import load_command_class

    from industrybrain.core.management.commands import ib_worker

    handed_over = []
    monkeypatch.setattr(ib_worker, "call_command", lambda name, **options: handed_over.append((name, options)))
    from industrybrain.cultivation.models import TierRun

    stale = job(roles["county"], ImportJob.Status.RUNNING, started_hours_ago=8)
    run = TierRun.objects.create(tier="innovative_sme", as_of=dt.date(2024, 7, 1), status=TierRun.Status.RUNNING,
                                 started_at=timezone.now() - dt.timedelta(hours=8))
    call_command("ib_worker", batch=True)
    stale.refresh_from_db()
    run.refresh_from_db()
    assert stale.status == ImportJob.Status.CHECKED
    assert run.status == TierRun.Status.FAILED  # every app's tasks.recover_stale() ran
    out = capsys.readouterr().out
    assert "已恢复 1 个中断的导入批次" in out and "1 个中断的梯度评价" in out
    assert handed_over == [("db_worker", {"queue_name": "*", "reload": False, "batch": True})]
    parser = load_command_class("django_tasks_db", "db_worker").create_parser("manage.py", "db_worker")
    known = {action.dest for action in parser._actions}
    assert set(handed_over[0][1]) <= known


def test_periodic_hooks_run_at_start_and_each_failure_is_isolated(roles, capsys, monkeypatch):
    from industrybrain.core.management.commands import ib_worker

    monkeypatch.setattr(ib_worker, "call_command", lambda name, **options: None)
    calls = []

    def boom():
        calls.append("boom")
        raise RuntimeError("broken hook")

    def fine():
        calls.append("fine")
        return "定时任务已运行"

    monkeypatch.setattr(ib_worker, "_task_hooks", lambda name: [boom, fine] if name == "periodic" else [])
    call_command("ib_worker", batch=True)
    assert calls == ["boom", "fine"] and "定时任务已运行" in capsys.readouterr().out
    calls.clear()
    call_command("ib_worker", batch=True, periodic_minutes=0)
    assert calls == []


def test_the_worker_finds_the_policies_escalation_among_the_periodic_hooks():
    from industrybrain.core.management.commands import ib_worker
    from industrybrain.policies import tasks as policy_tasks

    assert policy_tasks.periodic in ib_worker._task_hooks("periodic")


def test_periodic_thread_runs_every_interval_until_stopped():
    import threading

    from industrybrain.core.management.commands.ib_worker import PeriodicThread

    ran = threading.Event()
    count = []

    def once():
        count.append(1)
        if len(count) >= 2:
            ran.set()

    thread = PeriodicThread(0.01, run=once)
    thread.start()
    assert ran.wait(5)
    thread.stop.set()
    thread.join(5)
    assert not thread.is_alive() and len(count) >= 2
