"""Claiming background work safely: the one pattern every queued job, run and batch uses."""

from __future__ import annotations

from typing import Any

from django.db import models


def claim(model: type[models.Model], pk: Any, **changes: Any) -> bool:
    """queued → running with a conditional UPDATE, so a task delivered twice does the work once.

    `model` has a `Status` with QUEUED and RUNNING; `changes` are written in the same statement (a start
    time, reset progress…). Returns False when another delivery already claimed it.
    """
    status = model.Status  # type: ignore[attr-defined]
    return model._default_manager.filter(pk=pk, status=status.QUEUED).update(
        status=status.RUNNING, **changes) == 1
