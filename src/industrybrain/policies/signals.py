"""Rematch one enterprise after its data change: queued after the change commits (cheap: one read of the
enterprise's data, every active policy evaluated in Python). Bulk imports write without model signals: after
an import commits, `core.imports.import_applied` lists the enterprises it touched and ONE background match
job rematches them (with progress). No post_delete receivers: they would turn the registry's fast cascading
deletes into per-row deletes."""

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


# imports whose data no policy condition reads (the policies app's own tax and fee reductions)
NO_FEATURES = frozenset({"tax_reductions"})


def _imported(sender: Any, job: Any = None, enterprise_ids: Any = (), **kwargs: Any) -> None:
    if enterprise_ids and getattr(sender, "kind", "") not in NO_FEATURES:
        from .matching import queue_enterprise_rematch

        queue_enterprise_rematch(enterprise_ids, import_job=job)


def connect() -> None:
    from industrybrain.core.imports import import_applied

    import_applied.connect(_imported, dispatch_uid="policies-rematch-after-import")
    from industrybrain.registry.models import Certification, Enterprise, YearlyFact
    from industrybrain.rules.models import EnterpriseAttribute

    for model in (Enterprise, YearlyFact, Certification, EnterpriseAttribute):
        post_save.connect(_changed, sender=model, dispatch_uid=f"policies-rematch-{model.__name__}")
