"""短板弱项提示函: drafting from a month's trigger hits, the letter's life on the workflow engine, the .docx.

Life (LETTER_FLOW): 起草 draft → 已审核 approved → 已印发 issued → 已签收 acknowledged → 已报送整改方案
plan_submitted → 跟踪整改 tracking → 已销号 closed. The issuing side (officers of a region above the
letter's region — the province for a city, the province or the city for a county — and administrators)
approves, issues, accepts the plan and closes; the addressed region's own officers acknowledge and submit
the plan. Issuing sets the deadlines in working days (core.calendar, Chinese holidays and make-up workdays
honoured): acknowledgement `acknowledge_days` (3) and the 整改 plan `plan_deadline_days` (10) after the
issue date. A plan may be sent back (backward move with a reason) by the issuing side.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from industrybrain.core import calendar
from industrybrain.core.models import OFFICER_ROLES, Notification, Region, User
from industrybrain.indicators import services
from industrybrain.indicators.models import Indicator
from industrybrain.workflow.definition import BackwardPolicy, Move, State, TransitionRequest, Workflow
from industrybrain.workflow.services import TransitionResult, transition

from .models import MonitoringConfig, TriggerHit, WarningLetter
from .rankings import build_board, headline

TEMPLATE = Path(__file__).resolve().parent / "docx_templates" / "warning_letter.docx"
OPEN_STATES = ("draft", "approved", "issued", "acknowledged", "plan_submitted", "tracking")


def is_issuer(user: Any, letter: WarningLetter) -> bool:
    if getattr(user, "is_administrator", False):
        return True
    region = getattr(user, "region", None)
    return bool(getattr(user, "is_officer", False) and region is not None and region.pk != letter.region_id
                and letter.region.path.startswith(region.path))


def is_recipient(user: Any, letter: WarningLetter) -> bool:
    return bool(getattr(user, "is_administrator", False)
                or (getattr(user, "is_officer", False) and getattr(user, "region_id", None) == letter.region_id))


LETTER_FLOW = Workflow(
    name="warning_letter",
    state_field="state",
    entered_field="state_entered_on",
    states=[
        State("draft", _("起草")),
        State("approved", _("已审核")),
        State("issued", _("已印发"), sla_working_days=3),
        State("acknowledged", _("已签收"), sla_working_days=10),
        State("plan_submitted", _("已报送整改方案"), sla_working_days=5),
        State("tracking", _("跟踪整改")),
        State("closed", _("已销号"), final=True),
    ],
    moves=[
        Move("draft", "approved", _("审核通过"), allowed=is_issuer),
        Move("approved", "issued", _("印发"), allowed=is_issuer),
        Move("issued", "acknowledged", _("签收"), allowed=is_recipient,
             denied_message=_("只有受函地区的经信部门可以签收")),
        Move("acknowledged", "plan_submitted", _("报送整改方案"), allowed=is_recipient, required_fields=("plan_text",),
             denied_message=_("只有受函地区的经信部门可以报送整改方案")),
        Move("plan_submitted", "tracking", _("审核方案并跟踪"), allowed=is_issuer),
        Move("tracking", "closed", _("销号"), allowed=is_issuer, required_fields=("closing_note",)),
    ],
    backward=BackwardPolicy(allowed=True, check=is_issuer, denied_message=_("只有发函单位可以退回")),
)


def state_label(code: str) -> str:
    return LETTER_FLOW.label(code)


def next_number(year: int) -> str:
    count = WarningLetter.objects.filter(year=year).count() + 1
    while WarningLetter.objects.filter(number=f"经信提示〔{year}〕{count}号").exists():
        count += 1
    return f"经信提示〔{year}〕{count}号"


def letter_figures(region: Region, year: int, month: int, indicators: Sequence[Indicator]) -> list[dict[str, str]]:
    """The region's figures the letter cites: value, province value, group rank and light, per indicator."""
    out = []
    for indicator in indicators:
        level = "city" if region.level == Region.Level.CITY else "county"
        board = build_board(indicator, year, month, level, _province(region))
        row = board.row(region.code)
        out.append({
            "indicator": indicator.label, "unit": "%" if indicator.growth_is_headline else indicator.unit,
            "period": board.period_label,
            "value": _fmt(row.value if row else None), "province": _fmt(board.province_value),
            "rank": f"{row.rank}/{row.group_size}" if row and row.rank else "—",
            "group": row.group if row else "", "status": row.status_label if row else "—"})
    return out


def _province(region: Region) -> Region:
    node = region
    while node.parent_id is not None and node.level != Region.Level.PROVINCE:
        node = node.parent  # type: ignore[assignment]
    return node


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.1')):f}"


def letter_reasons(hits: Sequence[TriggerHit]) -> list[str]:
    """One line per indicator: its figures once, then every rule it triggered (hit.reason is
    "<figures>；连续N期符合“<rule>”", triggers._reason)."""
    grouped: dict[int, tuple[str, list[str]]] = {}
    for hit in hits:
        figures = hit.reason.split("；")[0]
        grouped.setdefault(hit.indicator_id, (figures, []))[1].append(f"“{hit.rule.name}”")
    return [f"{figures}；触发{''.join(rules)}" for figures, rules in grouped.values()]


def draft_letter(region: Region, year: int, month: int, user: User | None = None,
                 hits: Sequence[TriggerHit] | None = None) -> WarningLetter:
    """A draft letter for a region from its trigger hits of the month (all of them unless given)."""
    if hits is None:
        hits = list(TriggerHit.objects.filter(region=region, year=year, month=month).select_related("indicator", "rule"))
    indicators = list({h.indicator_id: h.indicator for h in hits}.values())
    with transaction.atomic():
        letter = WarningLetter.objects.create(
            number=next_number(year), region=region, year=year, month=month,
            reasons=letter_reasons(hits), figures=letter_figures(region, year, month, indicators),
            body=str(_("请对照问题深入分析原因，制定整改方案，明确目标、举措和责任领导，按期报送。")),
            created_by=user, state="draft", state_entered_on=timezone.localdate())
        letter.indicators.set(indicators)
    return letter


def draft_letter_for_reasons(region: Region, year: int, month: int, user: User | None,
                             reasons: Sequence[str]) -> WarningLetter:
    """A draft letter for reasons found outside the ranking board (e.g. a major project's alert)."""
    with transaction.atomic():
        return WarningLetter.objects.create(
            number=next_number(year), region=region, year=year, month=month, reasons=list(reasons),
            figures=letter_figures(region, year, month, []),
            body=str(_("请对照问题深入分析原因，制定整改方案，明确目标、举措和责任领导，按期报送。")),
            created_by=user, state="draft", state_entered_on=timezone.localdate())


def _apply(letter: WarningLetter, request: TransitionRequest, _row: Any) -> None:
    day = request.effective_date or letter.state_entered_on or timezone.localdate()
    config = MonitoringConfig.get()
    if request.target == "issued":
        letter.issued_on = day
        letter.acknowledge_due_on = calendar.add_working_days(day, config.acknowledge_days)
        letter.plan_due_on = calendar.add_working_days(day, config.plan_deadline_days)
    elif request.target == "plan_submitted":
        letter.plan_text = request.data.get("plan_text") or letter.plan_text
        letter.plan_submitted_on = day
    elif request.target == "closed":
        letter.closing_note = request.data.get("closing_note") or letter.closing_note


def move(letter: WarningLetter, target: str, user: User, *, scoped_queryset=None, reason: str = "",
         data: dict[str, Any] | None = None, expected_source: str | None = None, token: str = "",
         today: dt.date | None = None) -> TransitionResult:
    """Move a letter through LETTER_FLOW (raises workflow.services.TransitionError with every reason)."""
    request = TransitionRequest(target=target, actor=user, expected_source=expected_source, reason=reason,
                                data=data or {}, idempotency_key=token)
    result = transition(letter, LETTER_FLOW, request, scoped_queryset=scoped_queryset, apply=_apply, today=today)
    if result.created:
        _notify(result.obj, target)
    return result


def _notify(letter: WarningLetter, target: str) -> None:
    url = f"/monitoring/letters/{letter.pk}/"
    if target == "issued":
        users = User.objects.filter(region=letter.region, role__in=OFFICER_ROLES, is_active=True)
        Notification.objects.bulk_create([
            Notification(user=u, title=f"收到短板弱项提示函 {letter.number}",
                         body=f"请于{letter.plan_due_on}前报送整改方案", url=url) for u in users])
    elif target == "plan_submitted" and letter.created_by_id:
        Notification.objects.create(user_id=letter.created_by_id, title=f"{letter.region.name}已报送整改方案",
                                    body=letter.number, url=url)


def add_progress(letter: WarningLetter, user: User, text: str) -> None:
    notes = list(letter.progress_notes)
    notes.append({"date": timezone.localdate().isoformat(), "by": str(user), "text": text.strip()})
    WarningLetter.objects.filter(pk=letter.pk).update(progress_notes=notes)
    letter.progress_notes = notes


def plan_overdue(letter: WarningLetter, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return bool(letter.plan_due_on and letter.state in ("issued", "acknowledged") and today > letter.plan_due_on)


def later_figures(letter: WarningLetter) -> list[dict[str, Any]]:
    """The region's releases after the letter's month, per indicator of the letter (newest last)."""
    out = []
    for indicator in letter.indicators.all():
        values = services.current_values(indicator).filter(region=letter.region).filter(
            year__gte=letter.year).order_by("year", "month", "basis")
        seen: dict[tuple[int, int], Any] = {}
        for v in values:
            if (v.year, v.month) <= (letter.year, letter.month):
                continue
            seen.setdefault((v.year, v.month), v)
        province = _province(letter.region)
        rows = []
        for (y, m), v in sorted(seen.items()):
            prov = services.value_for(indicator, province, y, m)
            rows.append({"period": f"{y}-{m:02d}", "value": _fmt(headline(indicator, v)),
                         "province": _fmt(headline(indicator, prov))})
        out.append({"indicator": indicator.label, "rows": rows})
    return out


def last_period() -> tuple[int, int] | None:
    row = TriggerHit.objects.aggregate(y=Max("year"))
    if row["y"] is None:
        return None
    month = TriggerHit.objects.filter(year=row["y"]).aggregate(m=Max("month"))["m"]
    return row["y"], month


def render_docx(letter: WarningLetter, issuer: str = "浙江省经济和信息化厅") -> bytes:
    from docxtpl import DocxTemplate

    doc = DocxTemplate(str(TEMPLATE))
    doc.render({
        "number": letter.number, "region": letter.region.full_name, "issuer": issuer,
        "title": f"关于{letter.region.name}工业经济短板弱项的提示函",
        "period": f"{letter.year}年{letter.month}月",
        "reasons": letter.reasons, "rows": letter.figures, "body": letter.body,
        "deadline": letter.plan_due_on.strftime("%Y年%m月%d日") if letter.plan_due_on else "印发后10个工作日内",
        "date": (letter.issued_on or timezone.localdate()).strftime("%Y年%m月%d日"),
    })
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
