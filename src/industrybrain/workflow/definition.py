"""Declarative state machines: states with working-day SLAs, allowed moves, who may make them, what they need.

A module describes its workflow once:

    PROJECT_FLOW = Workflow(
        name="project",
        state_field="stage", entered_field="stage_entered_on",
        states=[State("signed", "签约", sla_working_days=120), ...],
        moves=[Move("signed", "land_acquired", requires_date=True, evidence="土地证", ...)],
        backward=BackwardPolicy(allowed=True),
    )

and calls `workflow.services.transition(...)` to move an object. Everything here is plain data; the service
does the locking, validation, logging and auditing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from industrybrain.core import calendar

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# who: (user, obj) -> True when the user may make the move; scope is checked separately by the service.
Check = Callable[[Any, Any], bool]
# extra validation: (obj, TransitionRequest) -> list of Chinese error messages
Validator = Callable[[Any, "TransitionRequest"], list[str]]


@dataclass(frozen=True)
class State:
    code: str
    label: StrOrPromise
    sla_working_days: int | None = None  # how long an object may stay in this state; None: no clock
    final: bool = False


@dataclass(frozen=True)
class Move:
    """An allowed forward move `source → target`."""

    source: str
    target: str
    label: StrOrPromise = ""
    allowed: Check | None = None  # None: anyone the caller lets through
    denied_message: StrOrPromise = _("您没有执行该操作的权限")
    required_fields: tuple[str, ...] = ()  # names that must be non-empty in the request data or on the object
    requires_date: bool = False  # the actual date of the event (e.g. 开工日期)
    evidence: StrOrPromise = ""  # name of the evidence document required ("" = none required)
    validators: tuple[Validator, ...] = ()


@dataclass(frozen=True)
class BackwardPolicy:
    """Moves to an earlier state: allowed to whom, always with a reason."""

    allowed: bool = True
    check: Check | None = None
    denied_message: StrOrPromise = _("您没有回退该流程的权限")
    requires_date: bool = False


@dataclass(frozen=True)
class TransitionRequest:
    """What a caller asks for; the service validates it against the workflow before anything is written."""

    target: str
    actor: Any
    expected_source: str | None = None  # the state the caller saw; a mismatch is a stale/double submission
    effective_date: dt.date | None = None
    reason: str = ""
    evidence: Sequence[Any] = ()  # anything describing the uploaded documents (files, dicts)
    data: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str = ""  # the same key twice on one object: the second call returns the first result


@dataclass(frozen=True)
class Workflow:
    name: str
    states: Sequence[State]
    moves: Sequence[Move]
    state_field: str = "state"
    entered_field: str | None = None  # DateField set to the date the object entered its state
    backward: BackwardPolicy = BackwardPolicy(allowed=False)
    validators: tuple[Validator, ...] = ()  # run for every move

    def __post_init__(self) -> None:
        codes = [s.code for s in self.states]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.name}: duplicate state codes")
        for move in self.moves:
            if move.source not in codes or move.target not in codes:
                raise ValueError(f"{self.name}: move {move.source}→{move.target} names an unknown state")

    # -- look-ups -------------------------------------------------------------------------------------
    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.states]

    def state(self, code: str) -> State:
        for s in self.states:
            if s.code == code:
                return s
        raise KeyError(code)

    def label(self, code: str) -> str:
        try:
            return str(self.state(code).label)
        except KeyError:
            return code

    def choices(self) -> list[tuple[str, StrOrPromise]]:
        return [(s.code, s.label) for s in self.states]

    def order(self, code: str) -> int:
        return self.codes.index(code)

    def move(self, source: str, target: str) -> Move | None:
        for m in self.moves:
            if m.source == source and m.target == target:
                return m
        return None

    def is_backward(self, source: str, target: str) -> bool:
        return target in self.codes and source in self.codes and self.order(target) < self.order(source)

    def forward_targets(self, source: str) -> list[str]:
        return [m.target for m in self.moves if m.source == source]

    def backward_targets(self, source: str) -> list[str]:
        if not self.backward.allowed or source not in self.codes:
            return []
        return self.codes[: self.order(source)]

    # -- SLA clock ------------------------------------------------------------------------------------
    def sla_deadline(self, code: str, entered_on: dt.date, sla_days: int | None = None) -> dt.date | None:
        """The last working day the object may stay in `code` (raises calendar.UnknownCalendarYear)."""
        days = self.state(code).sla_working_days if sla_days is None else sla_days
        if days is None:
            return None
        return calendar.add_working_days(entered_on, days)

    def sla_status(self, obj: Any, today: dt.date, sla_days: int | None = None) -> SlaStatus:
        code = getattr(obj, self.state_field)
        entered = getattr(obj, self.entered_field) if self.entered_field else None
        days = self.state(code).sla_working_days if sla_days is None else sla_days
        if entered is None or days is None:
            return SlaStatus(code, entered, days, None, None)
        try:
            elapsed = calendar.working_days_between(entered, today)
        except calendar.UnknownCalendarYear as exc:
            return SlaStatus(code, entered, days, None, None, calendar_error=str(exc))
        return SlaStatus(code, entered, days, elapsed, elapsed > days)


@dataclass(frozen=True)
class SlaStatus:
    state: str
    entered_on: dt.date | None
    sla_working_days: int | None
    elapsed_working_days: int | None
    overdue: bool | None
    calendar_error: str = ""
