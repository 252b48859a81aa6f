"""Model field helpers shared by every app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def money(verbose: StrOrPromise, **kwargs) -> models.DecimalField:
    """An amount in 万元 (the unit of the official forms): DECIMAL(16,2), optional unless told otherwise."""
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    return models.DecimalField(verbose, max_digits=16, decimal_places=2, **kwargs)
