"""Pages of 惠企政策直达. Matches, cases and the ledger go through core.access.scope; the library of active
policies is public information (what a government portal publishes) and is shown to every signed-in user,
while drafts and retired items only to the officers and departments whose scope holds them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from industrybrain.core.access import get_scoped_or_404, scope
from industrybrain.core.exports import Column, field, xlsx_response
from industrybrain.core.models import Role
from industrybrain.registry.models import Enterprise
from industrybrain.workflow.services import TransitionError, history

from . import eligibility as E
from . import services, simulation
from .flows import flow_for, is_handler, is_owner
from .forms import FilterForm, PolicyForm, SimulationForm
from .matching import breakdown, hydrate, queue_match
from .models import Case, CaseState, Disbursement, MatchJob, MatchOutcome, Policy, PolicyMatch, TaxReduction


def can_manage(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_administrator or user.is_officer))


def is_staff_side(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_administrator or user.is_officer
                                           or user.role == Role.DEPARTMENT_REVIEWER))


def _home_region(user: Any):
    if user.role == Role.ENTERPRISE_USER:
        return user.enterprise.region if user.enterprise_id else None
    return user.region


def visible_policies(user: Any) -> QuerySet[Policy]:
    """Active policies that apply where the user is (its region and the regions above it: a county sees
    the province's and the city's policies), plus everything its scope holds (drafts included)."""
    mine = scope(user, Policy.objects.all()).values("pk")
    if user.is_administrator:
        return Policy.objects.all()
    region = _home_region(user)
    above = [code for code in (region.path.strip("/").split("/") if region is not None else []) if code]
    return Policy.objects.filter(Q(status=Policy.Status.ACTIVE, region_id__in=above) | Q(pk__in=mine))


def _policy(request, pk: int) -> Policy:
    policy = visible_policies(request.user).select_related("department", "region").filter(pk=pk).first()
    if policy is None:
        raise Http404(_("未找到该政策或无权查看"))
    return policy


@login_required
def policy_list(request):
    form = FilterForm(request.GET or None)
    policies = visible_policies(request.user).select_related("department", "region")
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            policies = policies.filter(Q(title__icontains=d["q"]) | Q(document_title__icontains=d["q"])
                                       | Q(document_number__icontains=d["q"]) | Q(summary__icontains=d["q"]))
        for key in ("kind", "mode", "status"):
            if d[key]:
                policies = policies.filter(**{key: d[key]})
        if d["department"]:
            policies = policies.filter(department=d["department"])
        if d["region"]:
            policies = policies.filter(region=d["region"])
    page = Paginator(policies.order_by("-issued_on", "code"), 30).get_page(request.GET.get("page"))
    staff = is_staff_side(request.user)
    for p in page:  # counts kept by matching (Policy.matched_qualified), not counted per page view
        p.qualified_count = p.matched_qualified if staff else None  # type: ignore[attr-defined]
    jobs = (MatchJob.objects.filter(Q(policy__isnull=True) | Q(policy__in=visible_policies(request.user)))
            .select_related("policy", "import_job").order_by("-pk")[:5] if can_manage(request.user) else [])
    return render(request, "policies/policy_list.html", {"form": form, "page": page, "jobs": jobs,
                                                         "can_manage": can_manage(request.user)})


@login_required
def policy_detail(request, pk: int):
    policy = _policy(request, pk)
    prule = E.build(policy)
    today = timezone.localdate()
    context: dict[str, Any] = {"policy": policy, "conditions": prule.conditions, "clock": policy.publication_clock(today),
                               "can_manage": can_manage(request.user) and scope(request.user, Policy.objects.filter(pk=pk)).exists()}
    user = request.user
    if user.role == Role.ENTERPRISE_USER and user.enterprise_id:
        context["my_match"] = next(iter(hydrate(scope(user, PolicyMatch.objects.filter(policy=policy))[:1])), None)
        context["my_case"] = scope(user, Case.objects.filter(policy=policy)).order_by("-pk").first()
    if is_staff_side(user):
        context.update(
            **breakdown(scope(user, PolicyMatch.objects.filter(policy=policy))),
            cases=services.statistics_of(scope(user, Case.objects.filter(policy=policy))),
            budget_used=services.budget_used(policy) if policy.budget is not None else None,
        )
    return render(request, "policies/policy_detail.html", context)


def _save_policy(request, form: PolicyForm, before: Policy | None) -> Policy:
    policy = form.save(commit=False)
    if before is None:
        policy.created_by = request.user
    elif (before.eligibility, before.amount_formula, before.cap_per_enterprise) != (
            policy.eligibility, policy.amount_formula, policy.cap_per_enterprise):
        policy.rule_version = before.rule_version + 1
    policy.rule_checksum = E.build(policy).checksum
    policy.save()
    form.save_m2m()
    queue_match(policy)
    return policy


@login_required
def policy_create(request):
    if not can_manage(request.user):
        raise Http404(_("无权新增政策"))
    form = PolicyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        policy = _save_policy(request, form, None)
        messages.success(request, _("政策已保存，已排队重新匹配"))
        return redirect("policies:policy-detail", pk=policy.pk)
    return render(request, "policies/policy_form.html", {"form": form, "policy": None})


@login_required
def policy_edit(request, pk: int):
    if not can_manage(request.user):
        raise Http404(_("无权修改政策"))
    policy = get_scoped_or_404(request.user, Policy.objects.all(), pk=pk)
    before = Policy.objects.get(pk=pk)
    form = PolicyForm(request.POST or None, instance=policy, user=request.user)
    if request.method == "POST" and form.is_valid():
        _save_policy(request, form, before)
        messages.success(request, _("政策已保存，已排队重新匹配"))
        return redirect("policies:policy-detail", pk=pk)
    return render(request, "policies/policy_form.html", {"form": form, "policy": policy})


@login_required
def policy_rematch(request, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_manage(request.user):
        raise Http404
    policy = get_scoped_or_404(request.user, Policy.objects.all(), pk=pk)
    queue_match(policy)  # type: ignore[arg-type]
    messages.success(request, _("已排队重新匹配"))
    return redirect("policies:policy-detail", pk=pk)


QUALIFIER_COLUMNS = [
    Column("统一社会信用代码", field("enterprise.uscc"), 22), Column("企业名称", field("enterprise.name"), 30),
    Column("所在区划", field("enterprise.region.name")), Column("所属行业", field("enterprise.industry.name"), 24),
    Column("企业规模", field("enterprise.get_size_class_display")), Column("匹配结果", field("get_outcome_display")),
    Column("测算金额（万元）", field("amount")), Column("数据日期", field("as_of")),
]


@login_required
def policy_qualifiers(request, pk: int):
    """Who qualifies (officers and departments): by region / industry / size, exportable."""
    if not is_staff_side(request.user):
        raise Http404
    policy = _policy(request, pk)
    rows = scope(request.user, PolicyMatch.objects.filter(policy=policy)).select_related(
        "enterprise", "enterprise__region", "enterprise__industry")
    outcome = request.GET.get("outcome", MatchOutcome.QUALIFIED)
    if outcome in MatchOutcome.values:
        rows = rows.filter(outcome=outcome)
    if request.GET.get("region"):
        rows = rows.filter(enterprise__region__path__startswith=request.GET["region"][:6].rstrip("0") or "x")
    if request.GET.get("size"):
        rows = rows.filter(enterprise__size_class=request.GET["size"])
    if request.GET.get("industry"):
        rows = rows.filter(enterprise__industry_id__startswith=request.GET["industry"][:4])
    rows = rows.order_by("enterprise__uscc")
    if request.GET.get("export"):
        return xlsx_response(f"{policy.title}-符合企业.xlsx", "符合企业", QUALIFIER_COLUMNS, rows.iterator(2000))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    page.object_list = hydrate(page.object_list)  # the gap column needs each row's reasons
    return render(request, "policies/qualifiers.html", {"policy": policy, "page": page, "outcome": outcome})


@login_required
def my_policies(request):
    """我的政策: what my enterprise qualifies for (reasons, amount) and almost qualifies for (the gap)."""
    user = request.user
    matches = scope(user, PolicyMatch.objects.all()).select_related("policy", "policy__department", "enterprise")
    if user.role != Role.ENTERPRISE_USER:
        ent = request.GET.get("enterprise")
        if not ent:
            return render(request, "policies/my_policies.html", {"qualified": [], "near": [], "need_enterprise": True})
        matches = matches.filter(enterprise_id=ent)
    rows = hydrate(matches)
    qualified = [m for m in rows if m.outcome == MatchOutcome.QUALIFIED]
    near = [m for m in rows if m.outcome == MatchOutcome.NEAR_MISS]
    cases = {c.policy_id: c for c in scope(user, Case.objects.all()).order_by("pk")}
    for m in qualified + near:
        m.case = cases.get(m.policy_id)  # type: ignore[attr-defined]
    return render(request, "policies/my_policies.html", {
        "qualified": qualified, "near": near,
        "total": sum((m.amount for m in qualified if m.amount is not None), Decimal(0))})


# -- cases ---------------------------------------------------------------------------------------

@login_required
def case_list(request):
    cases = scope(request.user, Case.objects.all()).select_related("policy", "enterprise", "department")
    state = request.GET.get("state", "")
    if state in CaseState.values:
        cases = cases.filter(state=state)
    if request.GET.get("policy"):
        cases = cases.filter(policy_id=request.GET["policy"])
    if request.GET.get("overdue"):
        ids = [c.pk for c in services.overdue_cases(cases)]
        cases = cases.filter(pk__in=ids)
    page = Paginator(cases.order_by("-pk"), 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for c in page:
        c.clock = services.clock(c, today)  # type: ignore[attr-defined]
    return render(request, "policies/case_list.html", {"page": page, "state": state, "states": CaseState.choices,
                                                       "stats": services.statistics_of(cases)})


@login_required
def case_detail(request, pk: int):
    case: Case = get_scoped_or_404(request.user, Case.objects.select_related(
        "policy", "enterprise", "department"), pk=pk)  # type: ignore[assignment]
    flow = flow_for(case.mode)
    return render(request, "policies/case_detail.html", {
        "case": case, "flow": flow, "history": history(case), "reviews": case.reviews.select_related("department", "reviewer"),
        "clock": services.clock(case), "handler": is_handler(request.user, case), "owner": is_owner(request.user, case),
        "chain": case.policy.reviewer_chain(), "token": uuid.uuid4().hex,
        "disbursement": Disbursement.objects.filter(case=case).first(),
    })


@login_required
def case_apply(request, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    policy = _policy(request, pk)
    try:
        case = services.start_application(policy, request.user)
    except TransitionError as exc:
        for e in exc.errors:
            messages.error(request, e)
        return redirect("policies:policy-detail", pk=pk)
    return redirect("policies:case-detail", pk=case.pk)


@login_required
def case_action(request, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    case: Case = get_scoped_or_404(request.user, Case.objects.select_related("policy"), pk=pk)  # type: ignore[assignment]
    user, post = request.user, request.POST
    action, token, reason = post.get("action", ""), post.get("token", "")[:64], post.get("reason", "")
    try:
        if action == "keep":
            services.review_listed(case, user, True, token=token)
        elif action == "remove":
            if case.state == CaseState.PUBLICITY:
                services.object_upheld(case, user, reason, token=token)
            else:
                services.review_listed(case, user, False, reason=reason, token=token)
        elif action == "end_publicity":
            services.end_publicity(case, user, token=token)
        elif action == "confirm_account":
            services.confirm_account(case, user, post.get("bank_name", ""), post.get("bank_account", ""), token=token)
        elif action == "materials":
            services.set_materials(case, user, post.getlist("provided"))
        elif action == "submit":
            services.submit(case, user, token=token)
        elif action == "withdraw":
            services.withdraw(case, user, reason, token=token)
        elif action == "accept":
            services.accept(case, user, token=token)
        elif action == "refuse":
            services.refuse_acceptance(case, user, reason, token=token)
        elif action in ("approve", "reject"):
            amount = Decimal(post["amount"]) if post.get("amount") else None
            services.review(case, user, action == "approve", amount=amount, reason=reason,
                            step=int(post.get("step", case.review_step)))
        elif action == "pay":
            paid_on = dt.date.fromisoformat(post["paid_on"]) if post.get("paid_on") else None
            services.pay(case, user, idempotency_key=token or uuid.uuid4().hex, paid_on=paid_on)
        elif action == "rate":
            services.rate(case, user, int(post.get("rating", "0") or 0), post.get("comment", ""),
                          bool(post.get("complaint")))
        else:
            messages.error(request, _("未知的操作"))
            return redirect("policies:case-detail", pk=pk)
    except (TransitionError, ValueError, ArithmeticError) as exc:
        for e in getattr(exc, "errors", [str(exc)]):
            messages.error(request, e)
        return redirect("policies:case-detail", pk=pk)
    messages.success(request, _("已办理"))
    return redirect("policies:case-detail", pk=pk)


@login_required
def generate_list(request, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    policy = _policy(request, pk)
    try:
        n = services.generate_list(policy, request.user)
    except TransitionError as exc:
        for e in exc.errors:
            messages.error(request, e)
    else:
        messages.success(request, _("已生成兑现名单 %(n)s 户，待执行部门审核") % {"n": n})
    return redirect("policies:policy-detail", pk=pk)


# -- ledger, statistics, simulation, 一指减负 -------------------------------------------------------

LEDGER_COLUMNS = [
    Column("政策", field("policy.title"), 30), Column("统一社会信用代码", field("enterprise.uscc"), 22),
    Column("企业名称", field("enterprise.name"), 30), Column("所在区划", field("enterprise.region.name")),
    Column("执行部门", field("policy.department.name"), 20), Column("兑现金额（万元）", field("amount")),
    Column("兑现日期", field("paid_on")), Column("批次", field("batch.number"), 24),
]


@login_required
def ledger(request):
    if not (is_staff_side(request.user) or request.user.role in (Role.ENTERPRISE_USER, Role.STEWARD)):
        raise Http404
    rows = scope(request.user, Disbursement.objects.all()).select_related(
        "policy", "policy__department", "enterprise", "enterprise__region", "batch")
    if request.GET.get("policy"):
        rows = rows.filter(policy_id=request.GET["policy"])
    if request.GET.get("export"):
        return xlsx_response("兑现台账.xlsx", "兑现台账", LEDGER_COLUMNS, rows.iterator(2000))
    policies = visible_policies(request.user) if is_staff_side(request.user) else Policy.objects.none()
    return render(request, "policies/ledger.html", {
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "total": rows.aggregate(s=Sum("amount"), n=Count("pk")),
        "by_region": services.ledger_totals(rows, "region"), "by_department": services.ledger_totals(rows, "department"),
        "by_policy": services.ledger_totals(rows, "policy"),
        "budgets": services.budget_rows(scope(request.user, policies)) if is_staff_side(request.user) else [],
    })


@login_required
def dashboard(request):
    """兑现统计与超期督办."""
    if not is_staff_side(request.user):
        raise Http404
    cases = scope(request.user, Case.objects.all())
    by_policy = []
    for p in visible_policies(request.user).filter(cases__in=cases).distinct()[:50]:
        by_policy.append({"policy": p, **services.statistics_of(cases.filter(policy=p))})
    overdue = services.overdue_cases(cases.select_related("enterprise", "department"))[:100]
    return render(request, "policies/dashboard.html", {"stats": services.statistics_of(cases), "by_policy": by_policy,
                                                       "overdue": overdue, "today": timezone.localdate()})


@login_required
def simulate(request):
    if not can_manage(request.user):
        raise Http404
    form = SimulationForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        result = simulation.simulate(d["eligibility"], d["amount_formula"] or "", d["cap"], d["budget"],
                                     sweep_condition=d["sweep"] or None)
    return render(request, "policies/simulate.html", {"form": form, "result": result,
                                                      "chart": simulation.chart(result) if result else {}})


@login_required
def reductions(request):
    """一指减负: the reductions and subsidies an enterprise has received (the ledger and imported tax and fee
    reductions), with yearly totals. Officers without ?enterprise= see the totals of their region."""
    user = request.user
    if user.role == Role.ENTERPRISE_USER:
        enterprise = user.enterprise
        if enterprise is None:
            raise Http404
    elif request.GET.get("enterprise"):
        enterprise = get_scoped_or_404(user, Enterprise.objects.all(), pk=request.GET["enterprise"])
    elif is_staff_side(user) or user.role == Role.STEWARD:
        totals = services.reduction_totals(scope(user, Disbursement.objects.all()), scope(user, TaxReduction.objects.all()))
        return render(request, "policies/reduction_totals.html", {"totals": totals})
    else:
        raise Http404
    data = services.reduction_list(scope(user, Disbursement.objects.filter(enterprise_id=enterprise.pk)),
                                   scope(user, TaxReduction.objects.filter(enterprise_id=enterprise.pk)))
    if request.GET.get("export"):
        return xlsx_response(f"一指减负-{enterprise.name}.xlsx", "一指减负", REDUCTION_COLUMNS, data["rows"])
    return render(request, "policies/reductions.html", {"enterprise": enterprise, **data})


REDUCTION_COLUMNS = [
    Column("所属年度", lambda r: r["year"]), Column("日期", lambda r: r["date"]),
    Column("政策/减免项目", lambda r: r["title"], 36), Column("类型", lambda r: r["kind"], 18),
    Column("金额（万元）", lambda r: r["amount"]), Column("来源", lambda r: r["source"], 24),
    Column("依据/批次", lambda r: r["detail"], 36),
]
