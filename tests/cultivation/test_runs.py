"""Tier runs: started by province officers, executed as a background task claimed once, with progress."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from industrybrain.cultivation import services
from industrybrain.cultivation.models import PoolEntry, TierRun
from industrybrain.rules.models import Evaluation
from tests.cultivation.conftest import AS_OF
from tests.cultivation.test_gaps import RD_SHORT

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_province_starts_a_run_from_the_page(maker, roles):
    maker(RD_SHORT, name="差一项")
    client = login(roles["province"])
    response = client.post(reverse("cultivation:run-list"), {"tier": "srdi_sme", "as_of": AS_OF.isoformat()})
    run = TierRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cultivation:run-detail", args=[run.uuid])
    assert run.status == "done" and run.progress == 100 and run.pool_count == 1
    assert run.rule_version is not None and run.rule_version.version == "2022.1"
    assert run.evaluation is not None and run.evaluation.as_of == AS_OF
    assert run.region_id == "330000" and run.created_by == roles["province"]
    # counts are within the starter's province: the 西湖 enterprise without facts is 数据不足
    assert (run.pass_count, run.fail_count, run.unknown_count) == (0, 1, 1)
    html = client.get(reverse("cultivation:run-detail", args=[run.uuid])).content.decode()
    assert "100%" in html and "hx-get" not in html  # finished: no more polling


def test_progress_fragment_polls_while_running(roles, library):
    run = services.start_run(roles["province"], "srdi_sme", AS_OF, enqueue=False)
    client = login(roles["province"])
    html = client.get(reverse("cultivation:run-progress", args=[run.uuid])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "排队中" in html
    TierRun.objects.filter(pk=run.pk).update(status="running", progress=63, stage="正在计算后备库：1260/2000")
    html = client.get(reverse("cultivation:run-progress", args=[run.uuid])).content.decode()
    assert "63%" in html and "1260/2000" in html and "hx-get" in html


def test_a_run_is_claimed_once(maker, roles):
    maker(RD_SHORT)
    run = services.start_run(roles["province"], "srdi_sme", AS_OF, enqueue=False)
    first = services.execute_run(run.pk)
    assert first is not None and first.status == "done"
    assert services.execute_run(run.pk) is None  # a duplicated task does nothing
    # one evaluation of the tier and one of the tier below (the pool needs it), from one snapshot
    assert Evaluation.objects.count() == 2 and PoolEntry.objects.filter(run=run).count() == 1
    assert Evaluation.objects.values("snapshot").distinct().count() == 1


def test_progress_is_reported_while_the_pool_is_computed(maker, roles, monkeypatch):
    for n in range(5):
        maker(RD_SHORT, name=f"企业{n}")
    seen: list[int] = []
    original = services._progress

    def spy(run, percent, stage):
        seen.append(percent)
        original(run, percent, stage)

    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(services, "_progress", spy)
    run = services.execute_run(services.start_run(roles["province"], "srdi_sme", AS_OF, enqueue=False).pk)
    assert run is not None and run.status == "done" and run.pool_count == 5
    assert seen[0] == 60 and len(seen) >= 3 and seen == sorted(seen) and seen[-1] < 100


def test_a_failed_run_records_why_and_leaves_no_pool(maker, roles, monkeypatch):
    maker(RD_SHORT)

    def boom(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(services, "write_pool", boom)
    run = services.execute_run(services.start_run(roles["province"], "srdi_sme", AS_OF, enqueue=False).pk)
    assert run is not None and run.status == "failed" and "磁盘已满" in run.message
    assert not PoolEntry.objects.exists()


def test_only_province_officers_and_admins_start_runs(roles, library):
    for role in ("city", "county", "steward", "enterprise", "reviewer"):
        response = login(roles[role]).post(reverse("cultivation:run-list"), {"tier": "srdi_sme",
                                                                             "as_of": AS_OF.isoformat()})
        assert response.status_code == 404, role
    assert not TierRun.objects.exists()


def test_runs_are_seen_within_the_starters_region(roles, library):
    run = services.start_run(roles["province"], "srdi_sme", AS_OF)
    assert login(roles["province"]).get(reverse("cultivation:run-detail", args=[run.uuid])).status_code == 200
    assert login(roles["admin"]).get(reverse("cultivation:run-detail", args=[run.uuid])).status_code == 200
    for role in ("city", "county", "steward", "enterprise"):
        client = login(roles[role])
        assert client.get(reverse("cultivation:run-detail", args=[run.uuid])).status_code == 404, role
        assert client.get(reverse("cultivation:run-progress", args=[run.uuid])).status_code == 404, role


def test_unknown_rule_is_refused_in_chinese(roles, library):
    with pytest.raises(services.RunError, match="规则不存在|没有生效的版本"):
        services.start_run(roles["province"], "single_champion", AS_OF) if not _has_rule("single_champion") \
            else services.start_run(roles["province"], "srdi_sme", AS_OF.replace(year=2021))
    with pytest.raises(services.RunError, match="人工认定"):
        services.start_run(roles["province"], "leading_enterprise", AS_OF)


def _has_rule(code: str) -> bool:
    from industrybrain.rules.models import Rule

    return Rule.objects.filter(code=code).exists()
