"""Rematch one enterprise after its data change: queued after the change commits (cheap: one read of the
enterprise's data, every active policy evaluated in Python). Bulk imports write without signals; run
`industrybrain policies match` after a large import. No post_delete receivers: they would turn the
registry's fast cascading deletes into per-row deletes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save


def _schedule(enterprise_id: int | None) -> None:
    if not enterprise_id:
        return
    from .tasks import rematch_enterprise_task

    transaction.on_commit(lambda: rematch_enterprise_task.enqueue(enterprise_id))


def _changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    _schedule(instance.pk if sender.__name__ == "Enterprise" else getattr(instance, "enterprise_id", None))


def connect() -> None:
    from industrybrain.registry.models import Certification, Enterprise, YearlyFact
    from industrybrain.rules.models import EnterpriseAttribute

    for model in (Enterprise, YearlyFact, Certification, EnterpriseAttribute):
        post_save.connect(_changed, sender=model, dispatch_uid=f"policies-rematch-{model.__name__}")
