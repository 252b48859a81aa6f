"""Pages of 运行监测: ranking board (+ .xlsx, .docx), trigger runs, warning letters, region plans, electricity,
cockpit.

Access: the ranking board is published to every region of the province, so any officer (province, city,
county), department reviewer or administrator sees the whole board of their province; only regions inside
their own subtree (core.access.visible_regions) link to detail. Letters, hits, plans and alerts are scoped
by region through core.access.scope — anything outside is a 404. Enterprise users and stewards see none of
these pages (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from industrybrain.core import exports
from industrybrain.core.access import get_scoped_or_404, scope, visible_regions
from industrybrain.core.models import Region, Role
from industrybrain.indicators import services
from industrybrain.indicators.models import Direction, Indicator
from industrybrain.workflow.services import TransitionError
from industrybrain.workflow.services import history as transition_history

from . import electricity, letters, published
from .models import ElectricityAlert, Level, PublishedBoard, RegionPlan, TriggerHit, WarningLetter
from .rankings import Board, board_indicators, build_board, province_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
GOVERNMENT = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.DEPARTMENT_REVIEWER)


def government_only(request) -> None:
    user = request.user
    if not (user.is_administrator or user.role in GOVERNMENT):
        raise Http404(_("未找到该记录或无权查看"))


def user_province(request) -> Region:
    user = request.user
    if user.region_id:
        return province_of(user.region)
    code = request.GET.get("province", "330000")
    province = Region.objects.filter(pk=code, level=Region.Level.PROVINCE).first()
    if province is None:
        raise Http404(_("未找到该记录或无权查看"))
    return province


def parse_period(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text or "")
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    return None


def _board_from_request(request, params=None) -> tuple[Board | None, list[Indicator], Region]:
    government_only(request)
    params = request.GET if params is None else params
    province = user_province(request)
    indicators = board_indicators()
    code = params.get("indicator") or (indicators[0].code if indicators else "")
    indicator = next((i for i in indicators if i.code == code), None)
    if indicator is None:
        if code and indicators:
            raise Http404(_("未找到该指标"))
        return None, indicators, province
    level = params.get("level", Level.COUNTY)
    if level not in Level.values:
        level = Level.COUNTY
    period = parse_period(params.get("period", "")) or services.latest_period(province)
    if period is None:
        return None, indicators, province
    year, month = period
    if month not in indicator.release_months():
        earlier = [m for m in indicator.release_months() if m <= month]
        month = earlier[-1] if earlier else month
    return build_board(indicator, year, month, level, province), indicators, province


def _fmt(value, places: int = 1) -> str:
    return "" if value is None else f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def can_publish(user) -> bool:
    """Province officers and administrators publish the province's board (and edit trigger rules)."""
    return bool(user.is_administrator or user.role == Role.PROVINCE_OFFICER)


@dataclass
class Shown:
    board: Board | None                      # what the page / exports show
    current: Board | None                    # computed from the current cube
    snapshot: PublishedBoard | None          # the newest published version, if any
    differences: list[published.Difference]
    viewing_current: bool


def _shown(request) -> tuple[Shown, list[Indicator], Region]:
    """The published version of the requested board by default; `?view=current` for the current figures."""
    current, indicators, province = _board_from_request(request)
    snapshot = None
    if current is not None:
        snapshot = published.latest(current.indicator, current.year, current.month, current.level, province)
    if snapshot is None or current is None:
        return Shown(current, current, None, [], True), indicators, province
    stored = published.as_board(snapshot)
    viewing_current = request.GET.get("view") == "current"
    return (Shown(current if viewing_current else stored, current, snapshot, published.differences(stored, current),
                  viewing_current), indicators, province)


@login_required
def board(request):
    shown, indicators, province = _shown(request)
    visible = set(visible_regions(request.user).values_list("code", flat=True))
    return render(request, "monitoring/board.html", {
        "board": shown.board, "shown": shown, "indicators": indicators, "province": province, "visible": visible,
        "levels": Level.choices, "query": request.GET.urlencode(), "can_publish": can_publish(request.user)})


@login_required
@require_POST
def board_publish(request):
    """Store the current board of (indicator, period, level) as published; the page then shows it."""
    government_only(request)
    if not can_publish(request.user):
        raise Http404(_("未找到该记录或无权查看"))
    if not request.POST.get("indicator") or parse_period(request.POST.get("period", "")) is None \
            or request.POST.get("level") not in Level.values:
        messages.error(request, _("请指定要发布的指标、期别和层级"))
        return redirect("monitoring:board")
    current, _i, _p = _board_from_request(request, request.POST)  # the same parameters as the page
    if current is None or not any(r.value is not None for r in current.rows):
        messages.error(request, _("该期没有可发布的数据"))
        return redirect("monitoring:board")
    snapshot = published.publish(current, request.user, request.POST.get("note", "").strip())
    messages.success(request, _("已发布第%(version)s版") % {"version": snapshot.version})
    query = f"indicator={current.indicator.code}&period={current.period}&level={current.level}"
    return redirect(f"{reverse('monitoring:board')}?{query}")


def _board_rows(result: Board) -> list[dict]:
    return [{"group": r.group, "rank": r.rank or "", "region": r.region.name, "code": r.region.code,
             "value": _fmt(r.value, result.places), "previous_rank": r.previous_rank or "",
             "change": "" if r.rank_change is None else (f"+{r.rank_change}" if r.rank_change > 0 else str(r.rank_change)),
             "status": r.status_label, "target": r.target_text} for r in result.rows]


def _version_suffix(shown: Shown) -> str:
    if shown.snapshot is None or shown.viewing_current:
        return "_当前数据" if shown.snapshot is not None else ""
    return f"_发布第{shown.snapshot.version}版"


@login_required
def board_xlsx(request):
    shown, _i, _p = _shown(request)
    result = shown.board
    if result is None:
        raise Http404(_("暂无数据"))
    columns = [exports.Column(h, exports.field(k), w) for h, k, w in (
        ("比较组", "group", 22), ("排名", "rank", 8), ("地区", "region", 14), ("区划代码", "code", 10),
        ("数值", "value", 10), ("上期排名", "previous_rank", 10), ("排名变化", "change", 10),
        ("晾晒状态", "status", 10), ("目标", "target", 22))]
    rows = [type("Row", (), r) for r in _board_rows(result)]
    name = f"指标晾晒_{result.indicator.name}_{result.period}{_version_suffix(shown)}.xlsx"
    return exports.xlsx_response(name, "指标晾晒", columns, rows)


def publication_note(shown: Shown) -> str:
    snapshot = shown.snapshot
    if snapshot is None or shown.viewing_current:
        return "本表按当前数据生成，尚未发布。" if snapshot is None else "本表按当前数据生成，与已发布版本可能不同。"
    who = (snapshot.published_by.get_full_name() or snapshot.published_by.username) if snapshot.published_by else ""
    when = timezone.localtime(snapshot.published_at).strftime("%Y年%m月%d日 %H:%M")
    return f"本表为{when}{('由' + who) if who else ''}发布的第{snapshot.version}版。"


def board_docx_bytes(result: Board, note: str = "") -> bytes:
    import io

    from docxtpl import DocxTemplate

    from .make_monitoring_templates import BOARD

    groups: dict[str, list[dict]] = {}
    for row in _board_rows(result):
        groups.setdefault(row["group"], []).append(row)
    doc = DocxTemplate(str(BOARD))
    unit = "累计同比%" if result.indicator.growth_is_headline else result.indicator.unit
    doc.render({
        "title": f"{result.province.name}{result.indicator.name}指标晾晒",
        "subtitle": f"{result.period_label}（{unit}）", "date": timezone.localdate().strftime("%Y年%m月%d日"),
        "groups": [{"name": name, "rows": rows} for name, rows in groups.items()],
        "note": (f"全省平均：{_fmt(result.province_value, result.places)}。状态：绿＝同时好于全省平均和目标，黄＝其一，红＝均未达到；"
                 f"排名变化为较上期上升（+）或下降（−）的位次。{note}")})
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


@login_required
def board_docx(request):
    shown, _i, _p = _shown(request)
    result = shown.board
    if result is None:
        raise Http404(_("暂无数据"))
    response = HttpResponse(board_docx_bytes(result, publication_note(shown)), content_type=DOCX)
    name = f"指标晾晒_{result.indicator.name}_{result.period}{_version_suffix(shown)}.docx"
    response["Content-Disposition"] = f"attachment; filename=\"board.docx\"; filename*=UTF-8''{quote(name)}"
    return response


# ------------------------------------------------------------------------------------------ triggers


@login_required
def hits(request):
    government_only(request)
    period = parse_period(request.GET.get("period", "")) or letters.last_period()
    qs = scope(request.user, TriggerHit.objects.select_related("region", "indicator", "rule"))
    if period:
        qs = qs.filter(year=period[0], month=period[1])
    regions: dict[str, dict] = {}
    for hit in qs.order_by("region", "indicator", "rule"):
        regions.setdefault(hit.region_id, {"region": hit.region, "hits": []})["hits"].append(hit)
    drafted = set(scope(request.user, WarningLetter.objects.all()).filter(
        year=period[0], month=period[1]).values_list("region_id", flat=True)) if period else set()
    return render(request, "monitoring/hits.html", {
        "period": f"{period[0]}-{period[1]:02d}" if period else "", "groups": list(regions.values()),
        "drafted": drafted, "can_draft": request.user.is_administrator or request.user.role == Role.PROVINCE_OFFICER
        or request.user.role == Role.CITY_OFFICER, "can_run": can_publish(request.user)})


@login_required
@require_POST
def draft(request):
    government_only(request)
    period = parse_period(request.POST.get("period", ""))
    region = visible_regions(request.user).filter(pk=request.POST.get("region", "")).first()
    if period is None or region is None or region.pk == request.user.region_id:
        raise Http404(_("未找到该记录或无权查看"))
    hits_qs = list(scope(request.user, TriggerHit.objects.filter(region=region, year=period[0], month=period[1]))
                   .select_related("indicator", "rule"))
    if not hits_qs:
        raise Http404(_("该地区本期没有触发提示函"))
    letter = letters.draft_letter(region, period[0], period[1], request.user, hits_qs)
    return redirect("monitoring:letter-detail", pk=letter.pk)


# ------------------------------------------------------------------------------------------- letters


@login_required
def letter_list(request):
    government_only(request)
    qs = scope(request.user, WarningLetter.objects.select_related("region"))
    state = request.GET.get("state", "")
    if state == "open":
        qs = qs.filter(state__in=letters.OPEN_STATES)
    elif state in LETTERS_STATES:
        qs = qs.filter(state=state)
    counts = dict(scope(request.user, WarningLetter.objects.all()).values_list("state").annotate(n=Count("pk")))
    rows = [(letter, letters.state_label(letter.state), letters.plan_overdue(letter)) for letter in qs[:500]]
    return render(request, "monitoring/letter_list.html", {
        "rows": rows, "state": state,
        "states": [(c, letters.state_label(c), counts.get(c, 0)) for c in LETTERS_STATES]})


LETTERS_STATES = letters.LETTER_FLOW.codes


def _letter(request, pk: int) -> WarningLetter:
    government_only(request)
    return get_scoped_or_404(request.user, WarningLetter.objects.select_related("region"), pk=pk)  # type: ignore[return-value]


@login_required
def letter_detail(request, pk: int):
    letter = _letter(request, pk)
    user = request.user
    actions = []
    for target in letters.LETTER_FLOW.forward_targets(letter.state):
        move = letters.LETTER_FLOW.move(letter.state, target)
        if move and (move.allowed is None or move.allowed(user, letter)):
            actions.append((target, str(move.label)))
    back = [(c, letters.state_label(c)) for c in letters.LETTER_FLOW.backward_targets(letter.state)
            if letters.is_issuer(user, letter) and c != "draft" and letter.state != "closed"][-1:]
    plan = RegionPlan.objects.filter(region=letter.region, year=letter.year).first()
    state_label = {c: letters.state_label(c) for c in letters.LETTER_FLOW.codes}
    return render(request, "monitoring/letter_detail.html", {
        "letter": letter, "state_label": letters.state_label(letter.state), "actions": actions, "back": back,
        "transitions": [(t, state_label.get(t.source_state, t.source_state), state_label.get(t.target_state, ""))
                        for t in transition_history(letter)],
        "later": letters.later_figures(letter), "plan": plan, "overdue": letters.plan_overdue(letter),
        "deadlines": _deadline_days(letter),
        "token": f"{letter.pk}-{letter.state}-{timezone.now().timestamp():.0f}",
        "can_progress": letter.state == "tracking" and (letters.is_recipient(user, letter)
                                                        or letters.is_issuer(user, letter))})


def _deadline_days(letter: WarningLetter) -> dict[str, int]:
    """The deadlines as working days after the issue date (what the letter set, whatever the settings are now)."""
    from industrybrain.core import calendar

    if letter.issued_on is None:
        return {}
    out = {}
    if letter.acknowledge_due_on:
        out["acknowledge"] = calendar.working_days_between(letter.issued_on, letter.acknowledge_due_on)
    if letter.plan_due_on:
        out["plan"] = calendar.working_days_between(letter.issued_on, letter.plan_due_on)
    return out


@login_required
@require_POST
def letter_move(request, pk: int):
    letter = _letter(request, pk)
    target = request.POST.get("target", "")
    data = {k: request.POST.get(k, "") for k in ("plan_text", "closing_note") if request.POST.get(k)}
    try:
        letters.move(letter, target, request.user, scoped_queryset=scope(request.user, WarningLetter.objects.all()),
                     reason=request.POST.get("reason", ""), data=data,
                     expected_source=request.POST.get("expected") or None, token=request.POST.get("token", "")[:64])
    except TransitionError as exc:
        for error in exc.errors:
            messages.error(request, error)
    return redirect("monitoring:letter-detail", pk=letter.pk)


@login_required
@require_POST
def letter_progress(request, pk: int):
    letter = _letter(request, pk)
    text = request.POST.get("text", "").strip()
    if letter.state == "tracking" and text and (letters.is_recipient(request.user, letter)
                                                or letters.is_issuer(request.user, letter)):
        letters.add_progress(letter, request.user, text)
    return redirect("monitoring:letter-detail", pk=letter.pk)


@login_required
def letter_docx(request, pk: int):
    letter = _letter(request, pk)
    response = HttpResponse(letters.render_docx(letter), content_type=DOCX)
    response["Content-Disposition"] = (f"attachment; filename=\"letter.docx\"; "
                                       f"filename*=UTF-8''{quote(letter.number + '.docx')}")
    return response


# --------------------------------------------------------------------------------------------- plans


@login_required
def plans(request):
    government_only(request)
    qs = scope(request.user, RegionPlan.objects.select_related("region"))
    return render(request, "monitoring/plans.html", {"plans": qs[:500]})


@login_required
def plan_edit(request, code: str):
    government_only(request)
    region = visible_regions(request.user).filter(pk=code).first()
    if region is None:
        raise Http404(_("未找到该记录或无权查看"))
    year = int(request.GET.get("year") or request.POST.get("year") or timezone.localdate().year)
    plan = RegionPlan.objects.filter(region=region, year=year).first() or RegionPlan(region=region, year=year)
    if request.method == "POST" and (request.user.is_officer or request.user.is_administrator):
        for name in ("targets", "measures", "responsible_leader", "notes"):
            setattr(plan, name, request.POST.get(name, "").strip()[:2000])
        plan.save()
        messages.success(request, _("已保存"))
        return redirect("monitoring:plans")
    return render(request, "monitoring/plan_form.html", {"plan": plan, "region": region, "year": year})


# -------------------------------------------------------------------------------------------- cockpit

HEADLINES = ("above_scale_value_added", "industrial_investment", "manufacturing_investment",
             "digital_core_value_added", "industrial_electricity")


@login_required
def cockpit(request):
    government_only(request)
    province = user_province(request)
    region = request.user.region or province
    period = services.latest_period(region) or services.latest_period(province)
    visible = set(visible_regions(request.user).values_list("code", flat=True))
    ctx: dict = {"region": region, "province": province, "period": "", "visible": visible}
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=HEADLINES)}
    if period:
        year, month = period
        ctx["period"] = f"{year}-{month:02d}"
        cards = []
        for code in HEADLINES:
            ind = indicators.get(code)
            if ind is None:
                continue
            latest = services.latest_release(ind, region, year, month)
            series = list(services.current_values(ind).filter(region=region, ytd_yoy_pct__isnull=False)
                          .order_by("-year", "-month", "basis").values_list("year", "month", "ytd_yoy_pct")[:40])
            seen: dict[str, float] = {}
            for y, m, v in series:
                seen.setdefault(f"{y}-{m:02d}", float(v))
            points = sorted(seen.items())[-12:]
            cards.append({"indicator": ind, "latest": latest, "spark": {"x": [p[0] for p in points],
                                                                        "y": [p[1] for p in points]}})
        ctx["cards"] = cards
        map_code = request.GET.get("indicator", "above_scale_value_added")
        map_ind = Indicator.objects.filter(code=map_code).first() or indicators.get("above_scale_value_added")
        map_level = request.GET.get("level", Level.COUNTY if region.level >= Region.Level.CITY else Level.CITY)
        if map_level not in Level.values:
            map_level = Level.CITY
        if map_ind is not None:
            m = month
            if m not in map_ind.release_months():
                earlier = [x for x in map_ind.release_months() if x <= month]
                m = earlier[-1] if earlier else month
            board = build_board(map_ind, year, m, map_level, province)
            ctx["highlight"] = board
            ctx["top"] = [r for r in board.rows if r.rank is not None][:3]
            ctx["bottom"] = [r for r in board.rows if r.rank is not None][-3:]
            ctx["map"] = map_payload(board, visible)
            ctx["map_indicator"] = map_ind
            ctx["map_level"] = map_level
            ctx["board_query"] = f"indicator={map_ind.code}&period={year}-{m:02d}&level={map_level}"
        alerts = scope(request.user, ElectricityAlert.objects.filter(year=year, month=month))
        ctx["alert_total"] = alerts.count()
        ctx["alert_regions"] = electricity.by_region(alerts)[:8]
    ctx["open_letters"] = list(scope(request.user, WarningLetter.objects.select_related("region"))
                               .filter(state__in=letters.OPEN_STATES)[:10])
    ctx["letter_labels"] = {c: letters.state_label(c) for c in letters.LETTER_FLOW.codes}
    ctx["map_indicators"] = board_indicators()
    ctx.update(project_alert_summary(request.user))
    ctx["relief"] = relief_summary(request.user)
    return render(request, "monitoring/cockpit.html", ctx)


GOOD, MIDDLE, BAD = "#198754", "#ffc107", "#dc3545"


def map_payload(board: Board, visible: set[str]) -> dict:
    """The cockpit's schematic map: points at region centres, coloured so that green is always "good" — for a
    lower-is-better indicator the scale is reversed (low values green) and the legend says so."""
    lower = board.indicator.direction == Direction.LOWER_BETTER
    colors = [GOOD, MIDDLE, BAD] if lower else [BAD, MIDDLE, GOOD]  # ECharts inRange runs from min to max
    unit = _("累计同比%") if board.indicator.growth_is_headline else board.indicator.unit
    return {
        "indicator": board.indicator.name, "unit": unit, "lower_is_better": lower, "colors": colors,
        # visualMap `text` is [the high end, the low end]
        "legend": [_("高（较差）"), _("低（较好）")] if lower else [_("高（较好）"), _("低（较差）")],
        "note": (_("该指标越低越好：色阶已反向，数值越低越绿。") if lower else _("该指标越高越好：数值越高越绿。"))
        + _("绿色表示较好，红色表示较差。"),
        "points": [
            {"name": r.region.name, "code": r.region.code,
             "value": [r.region.longitude, r.region.latitude, float(r.value) if r.value is not None else None],
             "status": r.status,
             "url": (f"{reverse('monitoring:bulletin')}?region={r.region.code}&period={board.period}"
                     if r.region.code in visible else "")}
            for r in board.rows if r.region.longitude is not None]}


def project_alert_summary(user) -> dict:
    """Open major-project alerts the user may see, by kind (the projects module raises them)."""
    from django.db.models import Count

    from industrybrain.projects.models import ProjectAlert

    open_alerts = scope(user, ProjectAlert.objects.filter(status="open"))
    labels = dict(ProjectAlert._meta.get_field("kind").choices or [])
    kinds = [{"label": labels.get(row["kind"], row["kind"]), "n": row["n"]}
             for row in open_alerts.values("kind").annotate(n=Count("pk")).order_by("-n")]
    return {"project_alert_total": sum(k["n"] for k in kinds), "project_alert_kinds": kinds}


def relief_summary(user) -> dict:
    """一指减负 within the user's scope ("减负超3300亿" style): subsidies paid plus tax and fee reductions."""
    from industrybrain.policies.models import Disbursement, TaxReduction
    from industrybrain.policies.services import reduction_totals

    return reduction_totals(scope(user, Disbursement.objects.all()), scope(user, TaxReduction.objects.all()))
