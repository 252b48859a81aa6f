"""Pages of the major-projects module; every queryset goes through core.access.scope."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from industrybrain.core.access import get_scoped_or_404, scope, visible_regions
from industrybrain.core.models import IndustryCategory, Region
from industrybrain.workflow.services import TransitionError, history

from . import alerts as alert_rules
from . import catalogue, crosscheck, exports, figures
from .forms import AlertRuleForm, BlockerForm, FilterForm, MoveForm, ProjectForm, ReportForm
from .models import (
    AlertRule,
    AnnualPlan,
    Project,
    ProjectAlert,
    ProjectStageEvidence,
)
from .services import (
    ActionError,
    ReportInput,
    can_edit,
    can_edit_rules,
    can_report,
    move_stage,
    submit_report,
)
from .stages import PROJECT_FLOW, STAGES, Stage


def _get(request, queryset: QuerySet, pk: int) -> Any:
    """get_scoped_or_404 typed for the callers below (a 404 outside the user's scope)."""
    return get_scoped_or_404(request.user, queryset, pk=pk)


def filtered_projects(request) -> tuple[QuerySet[Project], FilterForm, int]:
    """The user's projects narrowed by the filter form (everything but the stage tab)."""
    form = FilterForm(request.GET or None, user=request.user)
    projects = scope(request.user, Project.objects.all())
    year = figures.default_year()
    if form.is_valid():
        data = form.cleaned_data
        if data["region"]:
            region = Region.objects.filter(pk=data["region"]).first()
            if region is not None:
                projects = projects.filter(region__path__startswith=region.path)
        if data["project_type"]:
            projects = projects.filter(project_type=data["project_type"])
        if data["programme"]:
            projects = projects.filter(programme=data["programme"])
        if data["system"]:
            category = IndustryCategory.objects.filter(code=data["system"]).first()
            if category is not None:
                projects = projects.filter(industry_category=category)
        if data["q"]:
            projects = projects.filter(Q(name__icontains=data["q"]) | Q(code__icontains=data["q"])
                                       | Q(investor_name__icontains=data["q"]))
        year = data["year"] or year
    return projects, form, year


@login_required
def project_list(request):
    projects, form, year = filtered_projects(request)
    stage = request.GET.get("stage", "")
    if stage and stage not in STAGES:
        stage = ""
    lists = figures.six_lists(projects)
    shown = projects.filter(stage=stage) if stage else projects
    month = figures.latest_report_month(shown, year)
    rows = figures.with_year_figures(shown, year, month or 12).select_related(
        "region", "programme", "industry_category").order_by("code")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("stage", None)
    return render(request, "projects/project_list.html", {
        "form": form, "lists": lists, "stage": stage, "page": page, "year": year,
        "year_figures": figures.year_figures(shown, year),
        "total_count": sum(f.count for f in lists),
        "total_yi": figures.to_yi(sum((f.total_investment for f in lists), Decimal(0))),
        "shown_yi": figures.to_yi(sum((f.total_investment for f in lists if not stage or f.stage == stage),
                                      Decimal(0))),
        "base_query": query.urlencode(), "can_edit": can_edit(request.user),
    })


@login_required
def project_export(request):
    projects, _form, year = filtered_projects(request)
    stage = request.GET.get("stage", "")
    if stage in STAGES:
        projects = projects.filter(stage=stage)
    return exports.response(projects, year)


def _timeline(project: Project) -> dict:
    return {"stages": [s.label for s in Stage],
            "planned": [d.isoformat() if (d := project.planned(s)) else None for s in STAGES],
            "actual": [d.isoformat() if (d := project.actual(s)) else None for s in STAGES]}


def _investment_curve(project: Project, year: int) -> dict:
    plan = AnnualPlan.objects.filter(project=project, year=year).first()
    reports = {r.month: r.ytd_completed for r in project.reports.filter(year=year)}
    return {"year": year, "months": [_("%(month)s月") % {"month": m} for m in range(1, 13)],
            "planned": [float(v) for v in plan.planned_cumulative()] if plan else [],
            "actual": [float(reports[m]) if m in reports else None for m in range(1, 13)],
            "plan_amount": float(plan.amount) if plan else None}


@login_required
def project_detail(request, pk: int):
    project = _get(request, Project.objects.select_related(
        "region", "enterprise", "programme", "industry", "industry_category", "service_specialist"), pk)
    year = figures.default_year()
    reports = list(project.reports.order_by("-year", "-month"))
    plan = AnnualPlan.objects.filter(project=project, year=year).first()
    latest = next((r for r in reports if r.year == year), None)
    rate = figures.completion_rate(latest.ytd_completed if latest else 0, plan.amount if plan else None)
    gap_phrase = (figures.progress_phrase(figures.progress_gap(rate, latest.month))
                  if rate is not None and latest else "")
    sla = PROJECT_FLOW.sla_status(project, timezone.localdate())
    return render(request, "projects/project_detail.html", {
        "project": project, "stage_rows": project.stage_rows(), "reports": reports, "plan": plan,
        "completion_rate": rate, "gap_phrase": gap_phrase, "sla": sla,
        "transitions": history(project), "evidence": project.evidence.all(),
        "blockers": project.blockers.all(), "alerts": project.alerts.filter(status="open"),
        "timeline": _timeline(project), "curve": _investment_curve(project, year),
        "can_edit": can_edit(request.user), "can_report": can_report(request.user, project),
        "stage_label": {s.value: s.label for s in Stage},
    })


@login_required
def project_move(request, pk: int):
    project = _get(request, Project.objects.all(), pk)
    if not can_edit(request.user):
        raise Http404(_("未找到该记录或无权操作"))
    if request.method == "POST":
        form = MoveForm(request.POST, request.FILES, project=project)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = move_stage(project, request.user, data["target"], effective_date=data["effective_date"],
                                    evidence=data["evidence"], reason=data["reason"],
                                    expected_stage=data["expected_stage"], token=data["token"],
                                    data={"land_parcel": data["land_parcel"],
                                          "evidence_description": data["evidence_description"]})
            except TransitionError as exc:
                for error in exc.errors:
                    form.add_error(None, error)
            else:
                if result.created:
                    messages.success(request, _("已进入%(stage)s清单") % {"stage": Stage(result.obj.stage).label})
                else:
                    messages.info(request, _("该操作已提交过，未重复处理"))
                return redirect("projects:project-detail", pk=project.pk)
    else:
        form = MoveForm(project=project, initial={"expected_stage": project.stage, "token": uuid.uuid4().hex,
                                                  "land_parcel": project.land_parcel,
                                                  "effective_date": timezone.localdate()})
    return render(request, "projects/project_move.html", {"project": project, "form": form})


@login_required
def project_create(request):
    if not can_edit(request.user):
        raise PermissionDenied(_("只有经信部门干部可以登记项目"))
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        project = form.save()
        messages.success(request, _("已登记项目，进入签约清单"))
        return redirect("projects:project-detail", pk=project.pk)
    return render(request, "projects/project_edit.html", {"form": form, "heading": _("登记重大项目")})


@login_required
def project_edit(request, pk: int):
    project = _get(request, Project.objects.all(), pk)
    if not can_edit(request.user):
        raise Http404(_("未找到该记录或无权操作"))
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存项目信息"))
        return redirect("projects:project-detail", pk=project.pk)
    return render(request, "projects/project_edit.html", {"form": form, "project": project,
                                                          "heading": _("修改项目信息")})


@login_required
def project_report(request, pk: int):
    project = _get(request, Project.objects.all(), pk)
    if not can_report(request.user, project):
        raise Http404(_("未找到该记录或无权操作"))
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                submit_report(project, request.user, ReportInput(
                    year=d["year"], month=d["month"], month_completed=d["month_completed"],
                    ytd_completed=d["ytd_completed"], cumulative_completed=d["cumulative_completed"],
                    equipment_completed=d["equipment_completed"], correction_note=d["correction_note"],
                    over_total_flag=d["over_total_flag"], progress_note=d["progress_note"]))
            except ActionError as exc:
                for error in exc.errors:
                    form.add_error(None, error)
            else:
                messages.success(request, _("已保存%(year)s年%(month)s月投资完成情况") % {"year": d["year"], "month": d["month"]})
                return redirect("projects:project-detail", pk=project.pk)
    else:
        form = ReportForm(initial=ReportForm.initial_for_today())
    return render(request, "projects/project_form.html", {
        "project": project, "form": form, "heading": _("填报月度投资完成情况")})


@login_required
def blocker_add(request, pk: int):
    project = _get(request, Project.objects.all(), pk)
    if not can_report(request.user, project):
        raise Http404(_("未找到该记录或无权操作"))
    form = BlockerForm(request.POST or None, initial={"raised_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        blocker = form.save(commit=False)
        blocker.project, blocker.raised_by = project, request.user
        blocker.save()
        messages.success(request, _("已登记问题与协调事项"))
        return redirect("projects:project-detail", pk=project.pk)
    return render(request, "projects/project_form.html", {
        "project": project, "form": form, "heading": _("登记问题与协调事项")})


@login_required
def evidence_download(request, pk: int):
    item = _get(request, ProjectStageEvidence.objects.all(), pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("文件不存在")) from None
    return FileResponse(handle, as_attachment=True, filename=item.original_name)


@login_required
def alert_list(request):
    status = request.GET.get("status", "open")
    alerts = scope(request.user, ProjectAlert.objects.select_related("project", "region", "programme", "rule"))
    if status in ("open", "closed"):
        alerts = alerts.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind in ProjectAlert.Kind.values:
        alerts = alerts.filter(kind=kind)
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    for alert in page:
        alert.values_text = catalogue.describe(alert.rule.subject if alert.rule else "project", alert.values)
    return render(request, "projects/alert_list.html", {
        "page": page, "status": status, "kind": kind, "kinds": ProjectAlert.Kind.choices,
        "can_raise": can_edit(request.user), "own_region": request.user.region_id})


@login_required
def alert_raise(request, pk: int):
    """Raise a project alert to a 短板弱项提示函 (draft) addressed to the alert's region."""
    from industrybrain.monitoring import letters

    alert = _get(request, ProjectAlert.objects.select_related("project", "region"), pk)
    if request.method != "POST" or not can_edit(request.user) or alert.region_id == request.user.region_id:
        raise Http404(_("未找到该记录或无权操作"))
    today = timezone.localdate()
    subject = alert.project.name if alert.project else alert.region.name
    letter = letters.draft_letter_for_reasons(alert.region, today.year, today.month, request.user,
                                              [_("重大项目预警：%(subject)s：%(message)s")
                                               % {"subject": subject, "message": alert.message}])
    messages.success(request, _("已起草提示函%(number)s") % {"number": letter.number})
    return redirect("monitoring:letter-detail", pk=letter.pk)


@login_required
def rollup(request):
    projects, form, year = filtered_projects(request)
    by = request.GET.get("by", "city")
    if by not in ("city", "system", "programme"):
        by = "city"
    month = figures.latest_report_month(projects, year)
    return render(request, "projects/rollup.html", {
        "form": form, "by": by, "year": year, "rows": figures.rollup(projects, by, year, month or 12),
        "month": month, "today": dt.date.today()})


@login_required
def alert_rule_list(request):
    if not can_edit(request.user):
        raise PermissionDenied(_("只有经信部门干部可以查看预警规则"))
    counts = dict(scope(request.user, ProjectAlert.objects.filter(status="open", rule__isnull=False))
                  .values("rule").annotate(n=Count("pk")).values_list("rule", "n"))
    rules = list(AlertRule.objects.all())
    for rule in rules:
        rule.open_count = counts.get(rule.pk, 0)  # type: ignore[attr-defined]
    return render(request, "projects/alert_rule_list.html", {
        "rules": rules, "can_edit_rules": can_edit_rules(request.user)})


def _last_check_date() -> dt.date:
    last = ProjectAlert.objects.aggregate(d=Max("last_detected_on"))["d"]
    return last or timezone.localdate()


@login_required
def alert_rule_edit(request, code: str | None = None):
    """Create or edit an alert rule; "试算" evaluates the unsaved rule over the user's projects."""
    if not can_edit_rules(request.user):
        raise PermissionDenied(_("只有省级经信干部和管理员可以修改预警规则"))
    rule = None
    if code is not None:
        rule = AlertRule.objects.filter(code=code).first()
        if rule is None:
            raise Http404(_("未找到该预警规则"))
    form = AlertRuleForm(request.POST or None, instance=rule,
                         initial={"preview_on": _last_check_date()})
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "preview":
            as_of = form.cleaned_data["preview_on"] or _last_check_date()
            preview = alert_rules.preview(form.instance, as_of, scope(request.user, Project.objects.all()))
        else:
            saved = form.save(commit=False)
            saved.updated_by = request.user
            saved.save()
            messages.success(request, _("已保存预警规则%(name)s；下次预警检查时生效") % {"name": saved.name})
            return redirect("projects:alert-rule-list")
    subject = (form.data.get("subject") if form.is_bound else None) or (rule.subject if rule else "project")
    if subject not in catalogue.CATALOGUES:
        subject = "project"
    return render(request, "projects/alert_rule_edit.html", {
        "form": form, "rule": rule, "preview": preview,
        "catalogues": [{"subject": key, "label": cat.label, "features": catalogue.reference(key),
                        "current": key == subject} for key, cat in catalogue.CATALOGUES.items()],
    })


@login_required
def crosscheck_page(request):
    """工业投资 (statistics) against the roll-up of the major projects' monthly reports, by region and month."""
    if not can_edit(request.user):
        raise PermissionDenied(_("只有经信部门干部可以查看工业投资核对"))
    region, year, low, high = crosscheck.params(request.user, request.GET)
    rows = crosscheck.scoped_rows(request.user, region, year, low, high)
    month_param = request.GET.get("month", "")
    month = int(month_param) if month_param.isdigit() and 1 <= int(month_param) <= 12 else crosscheck.latest_month(rows)
    default_low, default_high = crosscheck.band()
    return render(request, "projects/crosscheck.html", {
        "region": region, "year": year, "month": month, "months": range(1, 13),
        "by_region": [r for r in rows if r.month == month],
        "series": [r for r in rows if r.region_code == region.code],
        "regions": visible_regions(request.user).filter(level__lte=Region.Level.CITY).order_by("path"),
        "low": low if low is not None else default_low, "high": high if high is not None else default_high,
        "caveat": crosscheck.CAVEAT, "query": request.GET.urlencode()})


@login_required
def crosscheck_export(request):
    if not can_edit(request.user):
        raise PermissionDenied(_("只有经信部门干部可以查看工业投资核对"))
    region, year, low, high = crosscheck.params(request.user, request.GET)
    rows = crosscheck.scoped_rows(request.user, region, year, low, high)
    return crosscheck.response(rows, crosscheck.title_for(region, year), f"工业投资核对_{region.code}_{year}.xlsx")
