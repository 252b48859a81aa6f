"""Automatic re-evaluation after registry edits and imports — after the writer's transaction commits.

Saving or deleting an enterprise, a yearly fact, a certification or an evaluation attribute records the
enterprise id on the open transaction (one callback per transaction, holding a set of ids). When the
transaction commits, the callback (outside the writer's transaction, its failures logged, never raised):

1. refreshes those enterprises' rows in every ready feature snapshot (so previews stay current), and
2. re-evaluates them with every rule in force today that has been evaluated before
   (`evaluate.reevaluate_enterprises`, one subset Evaluation per rule, trigger "edit").

A rolled-back transaction (or savepoint) discards its callback, so nothing runs for writes that did not
happen. A finished
import job (status "done") re-evaluates the enterprises whose yearly facts it wrote when there are at most
`MAX_IDS` of them; larger imports only mark the snapshots stale (the next whole-base evaluation or preview
rebuilds them — a whole-base evaluation is the right tool for 100,000 changed enterprises).
Writes that bypass model signals (`QuerySet.update`, `bulk_create`, raw SQL) are not seen: run
`ib_rules evaluate` afterwards. Settings: `IB_RULES_AUTO_REEVALUATE` (default True) switches the hook off.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

log = logging.getLogger(__name__)
MAX_IDS = 2000


def enabled() -> bool:
    return bool(getattr(settings, "IB_RULES_AUTO_REEVALUATE", True))


class _AfterCommit:
    """The per-transaction callback; `ids` grows while the transaction is open."""

    ib_rules = True

    def __init__(self, trigger: str = "edit") -> None:
        self.ids: set[int] = set()
        self.trigger = trigger

    def __call__(self) -> None:
        after_commit(self.ids, self.trigger)


def after_commit(ids: set[int], trigger: str = "edit") -> None:
    """Refresh snapshot rows and re-evaluate `ids`; errors are logged (the writer already committed)."""
    from . import evaluate, snapshot

    if not ids:
        return
    try:
        if len(ids) > MAX_IDS:
            snapshot.mark_stale()
            return
        snapshot.refresh(ids)
        evaluate.reevaluate_enterprises(ids, trigger=trigger)
    except Exception:  # noqa: BLE001 - the registry write has committed; never fail the writer
        log.exception("rules: re-evaluation after commit failed for %d enterprises", len(ids))


def touch(enterprise_id: int | None, trigger: str = "edit") -> None:
    """Note that an enterprise changed in the current transaction (or, outside one, act now)."""
    if enterprise_id is None or not enabled():
        return
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        # reuse the callback registered at this savepoint level: a rolled-back savepoint then drops the
        # callback with exactly the ids written inside it (Django discards callbacks by savepoint)
        here = set(conn.savepoint_ids)
        for entry in conn.run_on_commit:
            sids, func = entry[0], entry[1]
            if getattr(func, "ib_rules", False) and func.trigger == trigger and set(sids) == here:
                func.ids.add(int(enterprise_id))
                return
    callback = _AfterCommit(trigger)
    callback.ids.add(int(enterprise_id))
    transaction.on_commit(callback)


def _enterprise_changed(sender, instance, **kwargs: Any) -> None:
    touch(instance.pk)


def _related_changed(sender, instance, **kwargs: Any) -> None:
    touch(getattr(instance, "enterprise_id", None))


def _import_done(sender, instance, update_fields=None, **kwargs: Any) -> None:
    from industrybrain.core.models import ImportJob

    if instance.status != ImportJob.Status.DONE or (update_fields is not None and "status" not in update_fields):
        return
    if not enabled():
        return
    job_id = instance.pk

    def run() -> None:
        from industrybrain.registry.models import YearlyFact

        ids = set(YearlyFact.objects.filter(import_job_id=job_id).values_list("enterprise_id", flat=True)
                  .distinct()[: MAX_IDS + 1])
        if not ids:
            from . import snapshot

            snapshot.mark_stale()  # an enterprise import: rows changed that we cannot list cheaply
            return
        after_commit(ids, "import")

    transaction.on_commit(run)


def _attribute_saved(sender, instance, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    from . import attributes

    if not raw:
        attributes.on_write(instance, created=created)


def _attribute_deleted(sender, instance, **kwargs: Any) -> None:
    from . import attributes

    attributes.on_write(instance, deleted=True)


def connect() -> None:
    from industrybrain.core.models import ImportJob
    from industrybrain.registry.models import Certification, Enterprise, YearlyFact

    from .models import EnterpriseAttribute

    for signal in (post_save, post_delete):
        signal.connect(_enterprise_changed, sender=Enterprise, dispatch_uid=f"ib_rules_enterprise_{signal}")
        for model in (YearlyFact, Certification, EnterpriseAttribute):
            signal.connect(_related_changed, sender=model, dispatch_uid=f"ib_rules_{model.__name__}_{signal}")
    post_save.connect(_import_done, sender=ImportJob, dispatch_uid="ib_rules_import_done")
    # the current-attribute table is maintained on every write, in the writer's transaction (not a hook)
    post_save.connect(_attribute_saved, sender=EnterpriseAttribute, dispatch_uid="ib_rules_attr_current_save")
    post_delete.connect(_attribute_deleted, sender=EnterpriseAttribute, dispatch_uid="ib_rules_attr_current_delete")
