"""Moving an object through its workflow: lock, validate everything, apply, log, audit — in one transaction.

    result = transition(project, PROJECT_FLOW, TransitionRequest(target="started", actor=user, ...),
                        scoped_queryset=scope(user, Project.objects.all()), apply=hook)

- The object row is locked with SELECT … FOR UPDATE (on SQLite the IMMEDIATE transaction mode of the
  settings serialises writers instead), then re-read, so two submissions cannot both move it.
- Every check runs before anything is written; all failures are returned together (Chinese messages).
- A request whose `idempotency_key` was already used on the object returns the earlier transition
  (`result.created is False`): a retried form post is a no-op. A request whose `expected_source` no
  longer matches (someone else moved it, or the same move without a key) raises StaleTransition.
- The move writes a Transition row and a django-auditlog LogEntry carrying the reason and evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .definition import Move, TransitionRequest, Workflow
from .models import Transition


class TransitionError(Exception):
    """The move was refused; `errors` lists every reason."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors))


class StaleTransition(TransitionError):
    """The object is no longer in the state the caller saw (a double or concurrent submission)."""


@dataclass(frozen=True)
class TransitionResult:
    obj: Any
    transition: Transition
    created: bool  # False: an idempotent retry, nothing was changed


# apply hook: (locked object, request, transition row) -> None; runs after the state was set, before save
ApplyHook = Callable[[Any, TransitionRequest, Transition], None]


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate(workflow: Workflow, obj: Any, request: TransitionRequest, today: dt.date | None = None) -> list[str]:
    """Every reason the move cannot be made (empty list: it can)."""
    today = today or timezone.localdate()
    source = getattr(obj, workflow.state_field)
    target = request.target
    errors: list[str] = []
    if target not in workflow.codes:
        return [_("未知的目标状态：%(target)s") % {"target": target}]
    if target == source:
        return [_("当前已处于“%(state)s”，无需重复操作") % {"state": workflow.label(source)}]
    backward = workflow.is_backward(source, target)
    move: Move | None = None
    needs_date = False
    if backward:
        policy = workflow.backward
        if not policy.allowed:
            return [_("不允许从“%(source)s”退回“%(target)s”")
                    % {"source": workflow.label(source), "target": workflow.label(target)}]
        if policy.check is not None and not policy.check(request.actor, obj):
            errors.append(str(policy.denied_message))
        if _empty(request.reason):
            errors.append(_("回退必须填写原因说明"))
        needs_date = policy.requires_date
    else:
        move = workflow.move(source, target)
        if move is None:
            allowed = "、".join(workflow.label(t) for t in workflow.forward_targets(source)) or _("无")
            return [_("不能从“%(source)s”直接进入“%(target)s”（可进入：%(allowed)s）")
                    % {"source": workflow.label(source), "target": workflow.label(target), "allowed": allowed}]
        if move.allowed is not None and not move.allowed(request.actor, obj):
            errors.append(str(move.denied_message))
        needs_date = move.requires_date
        for name in move.required_fields:
            if _empty(request.data.get(name)) and _empty(getattr(obj, name, None)):
                errors.append(_("请填写%(field)s") % {"field": _verbose(obj, name)})
        if move.evidence and not list(request.evidence):
            errors.append(_("请上传佐证材料：%(evidence)s") % {"evidence": move.evidence})
    if needs_date:
        if request.effective_date is None:
            errors.append(_("请填写%(state)s的实际日期") % {"state": workflow.label(target)})
        elif request.effective_date > today:
            errors.append(_("实际日期%(date)s不能晚于今天") % {"date": request.effective_date.isoformat()})
    validators = list(workflow.validators) + (list(move.validators) if move else [])
    for check in validators:
        errors.extend(check(obj, request))
    return errors


def _verbose(obj: Any, name: str) -> str:
    try:
        return str(obj._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a data key that is not a model field
        return name


def transition(obj: models.Model, workflow: Workflow, request: TransitionRequest, *,
               scoped_queryset: models.QuerySet | None = None, apply: ApplyHook | None = None,
               today: dt.date | None = None) -> TransitionResult:
    """Move `obj` as `request` asks, or raise TransitionError with every reason it cannot."""
    model = type(obj)
    content_type = ContentType.objects.get_for_model(model)
    with transaction.atomic():
        # Lock the bare row (no joins: FOR UPDATE on an outer join is refused by PostgreSQL).
        try:
            locked = model._default_manager.select_for_update().get(pk=obj.pk)
        except model.DoesNotExist:  # type: ignore[attr-defined]
            raise TransitionError([_("该记录不存在或已被删除")]) from None
        if scoped_queryset is not None and not scoped_queryset.filter(pk=obj.pk).exists():
            raise TransitionError([_("该记录不在您的管辖范围内")])
        if request.idempotency_key:
            earlier = Transition.objects.filter(content_type=content_type, object_id=obj.pk,
                                                idempotency_key=request.idempotency_key).first()
            if earlier is not None:
                return TransitionResult(locked, earlier, created=False)
        source = getattr(locked, workflow.state_field)
        if request.expected_source is not None and request.expected_source != source:
            raise StaleTransition([
                _("该记录已由“%(before)s”变为“%(after)s”，可能已被他人处理或重复提交，请刷新后再操作")
                % {"before": workflow.label(request.expected_source), "after": workflow.label(source)}])
        errors = validate(workflow, locked, request, today=today)
        if errors:
            raise TransitionError(errors)

        backward = workflow.is_backward(source, request.target)
        setattr(locked, workflow.state_field, request.target)
        if workflow.entered_field:
            setattr(locked, workflow.entered_field, request.effective_date or (today or timezone.localdate()))
        row = Transition(
            workflow=workflow.name, content_type=content_type, object_id=locked.pk,
            source_state=source, target_state=request.target, is_backward=backward,
            actor=request.actor if getattr(request.actor, "pk", None) else None,
            effective_date=request.effective_date, reason=request.reason.strip(),
            evidence=[_describe(e) for e in request.evidence], data=_jsonable(request.data),
            idempotency_key=request.idempotency_key,
        )
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:  # the same key raced in from another request
            raise StaleTransition([_("该操作已提交，请勿重复提交")]) from None
        if apply is not None:
            apply(locked, request, row)
        with disable_auditlog():  # one explicit entry below, carrying the reason and evidence
            locked.save()
        LogEntry.objects.log_create(
            locked, force_log=True, action=LogEntry.Action.UPDATE,
            changes={workflow.state_field: [source, request.target]},
            actor=row.actor,
            additional_data={"workflow": workflow.name, "transition_id": row.pk, "backward": backward,
                             "reason": row.reason, "evidence": row.evidence,
                             "effective_date": row.effective_date.isoformat() if row.effective_date else None},
        )
        return TransitionResult(locked, row, created=True)


def _describe(evidence: Any) -> Any:
    if isinstance(evidence, dict):
        return _jsonable(evidence)
    name = getattr(evidence, "name", None)
    if name is not None:
        return {"name": str(name).rsplit("/", 1)[-1], "size": getattr(evidence, "size", None)}
    return str(evidence)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def history(obj: models.Model) -> models.QuerySet[Transition]:
    return Transition.for_object(obj).select_related("actor")
