"""How a model reaches the things access is decided on (see core/access.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ScopePaths:
    region: str | None = None
    enterprise: str | None = None
    steward: str | None = None
    department: str | None = None
    owner: str | None = None
