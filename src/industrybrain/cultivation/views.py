"""Pages of the tiered-cultivation module; every queryset goes through core.access.scope."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from industrybrain.core.access import get_scoped_or_404, scope
from industrybrain.core.imports import importers
from industrybrain.core.models import Role
from industrybrain.registry.models import Certification, Enterprise

from . import certificates, exports, figures, services, tiers
from .forms import CertificationFilter, PoolFilter, RunForm
from .models import PoolEntry, TierRun


@login_required
def ladder(request):
    """?as_of=YYYY-MM-DD counts the certificates valid on that day (default today)."""
    day = timezone.localdate()
    with contextlib.suppress(ValueError):
        day = dt.date.fromisoformat(request.GET.get("as_of", "")) if request.GET.get("as_of") else day
    data = figures.ladder(request.user, day)
    return render(request, "cultivation/ladder.html", {**data, "day": day})


def pool_queryset(request) -> tuple[QuerySet[PoolEntry], PoolFilter, str, TierRun | None]:
    form = PoolFilter(request.GET or None, user=request.user)
    tier_code = form.tier_code()
    run = services.latest_run(tier_code)
    entries = scope(request.user, PoolEntry.objects.filter(run=run)) if run else PoolEntry.objects.none()
    return form.narrow(entries), form, tier_code, run


@login_required
def pool(request):
    entries, form, tier_code, run = pool_queryset(request)
    page = Paginator(entries.select_related("enterprise__region", "enterprise__industry"), 50).get_page(
        request.GET.get("page"))
    return render(request, "cultivation/pool.html", {
        "form": form, "page": page, "tier": tiers.get(tier_code), "run": run,
        "query": request.GET.urlencode()})


@login_required
def pool_export(request):
    entries, _form, tier_code, run = pool_queryset(request)
    return exports.pool_response(entries, tier_code, run.as_of if run else None)


def _tier_context(enterprise: Enterprise) -> dict[str, Any]:
    return {"enterprise": enterprise, "explanations": services.tier_explanations(enterprise)}


@login_required
def enterprise_tiers(request, uscc: str):
    enterprise = get_scoped_or_404(request.user, Enterprise.objects.select_related("region", "industry"),
                                   uscc=uscc)
    assert isinstance(enterprise, Enterprise)
    return render(request, "cultivation/enterprise_tiers.html", {**_tier_context(enterprise), "self_view": False})


@login_required
def self_assessment(request):
    """The enterprise user's own tier page (read-only, with hints); nobody else has an own enterprise."""
    if request.user.role != Role.ENTERPRISE_USER or not request.user.enterprise_id:
        raise Http404("仅企业用户可查看本企业自评")
    enterprise = get_scoped_or_404(request.user, Enterprise.objects.select_related("region", "industry"),
                                   pk=request.user.enterprise_id)
    assert isinstance(enterprise, Enterprise)
    return render(request, "cultivation/enterprise_tiers.html", {**_tier_context(enterprise), "self_view": True})


def certification_queryset(request) -> tuple[QuerySet[Certification], CertificationFilter]:
    form = CertificationFilter(request.GET or None, user=request.user)
    certs = scope(request.user, certificates.tier_certifications())
    return form.narrow(certs).order_by("-issued_on", "enterprise__uscc", "pk"), form


@login_required
def certification_list(request):
    certs, form = certification_queryset(request)
    day = timezone.localdate()
    page = Paginator(certs.select_related("enterprise__region", "cultivation"), 50).get_page(request.GET.get("page"))
    for cert in page:
        cert.status_label = certificates.status_of(cert, day)  # type: ignore[attr-defined]
        cert.tier_label = certificates.tier_label(cert.kind)  # type: ignore[attr-defined]
    expiring = scope(request.user, certificates.tier_certifications().filter(certificates.expiring_q(day))).count()
    can_import = "certifications" in importers() and (request.user.is_officer or request.user.is_administrator)
    return render(request, "cultivation/certification_list.html", {
        "form": form, "page": page, "expiring_count": expiring, "can_import": can_import})


@login_required
def certification_export(request):
    certs, _form = certification_queryset(request)
    return exports.certification_response(certs)


@login_required
def certification_expiring(request):
    day = timezone.localdate()
    certs = (scope(request.user, certificates.tier_certifications().filter(certificates.expiring_q(day)))
             .select_related("enterprise__region", "enterprise__steward", "cultivation").order_by("valid_until", "pk"))
    page = Paginator(certs, 50).get_page(request.GET.get("page"))
    for cert in page:
        cert.days_left = (cert.valid_until - day).days if cert.valid_until else None  # type: ignore[attr-defined]
        cert.tier_label = certificates.tier_label(cert.kind)  # type: ignore[attr-defined]
    return render(request, "cultivation/certification_expiring.html", {"page": page, "day": day})


@login_required
@require_http_methods(["GET", "POST"])
def run_list(request):
    runs = scope(request.user, TierRun.objects.select_related("rule_version", "created_by", "region"))
    can_start = services.can_start_runs(request.user)
    form = RunForm(request.POST or None) if can_start else None
    if request.method == "POST":
        if form is None:
            raise Http404("无权发起评价")
        if form.is_valid():
            try:
                run = services.start_run(request.user, form.cleaned_data["tier"], form.cleaned_data["as_of"])
            except services.RunError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已发起评价，后台执行中。"))
                return redirect("cultivation:run-detail", run.uuid)
    page = Paginator(runs, 30).get_page(request.GET.get("page"))
    return render(request, "cultivation/run_list.html", {"page": page, "form": form})


def _run(request, uuid) -> TierRun:
    run = get_scoped_or_404(request.user, TierRun.objects.select_related("rule_version", "created_by", "region",
                                                                            "evaluation"), uuid=uuid)
    assert isinstance(run, TierRun)
    return run


@login_required
def run_detail(request, uuid):
    return render(request, "cultivation/run_detail.html", {"run": _run(request, uuid)})


@login_required
def run_progress(request, uuid) -> HttpResponse:
    """The progress fragment polled by htmx every second while the run is queued or running."""
    return render(request, "cultivation/_run_progress.html", {"run": _run(request, uuid)})
