"""Trigger rules of 短板弱项提示函: list (+ .xlsx), edit (validated against the REGION_RELEASE catalogue, the
catalogue shown as help), preview (the regions the rule would warn at a release — nothing stored) and the
month's run.

Access: every government user may read the rules and preview a condition (preview results are limited to
the regions the user may see); province officers and administrators edit them and run the month (the rules
apply province-wide). Changes are audited (auditlog on TriggerRule)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from industrybrain.core import exports
from industrybrain.core.access import visible_regions
from industrybrain.core.models import Role
from industrybrain.rules.language import TYPE_LABELS, Type

from . import letters, triggers
from .models import TriggerRule
from .triggers import MAX_CONSECUTIVE, REGION_RELEASE
from .views import can_publish, government_only, parse_period, user_province

EXAMPLES = ["rank_from_bottom <= 3 AND group_size > 3", "NOT meets_average", "NOT meets_target",
            "gap_to_average < -2 AND NOT lower_is_better", "is_mountain_county AND rank_from_bottom = 1",
            "status = 'red'", "progress_gap < -5", "rank_change <= -3"]


class TriggerRuleForm(forms.ModelForm):
    class Meta:
        model = TriggerRule
        fields = ["name", "condition", "consecutive", "indicator", "level", "province", "active", "description"]
        widgets = {"condition": forms.Textarea(attrs={"rows": 3, "class": "font-monospace", "spellcheck": "false"}),
                   "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, own_province=None, **kwargs):
        """`own_province` (users other than administrators): no choice of province is offered; a new rule is
        bound to it."""
        super().__init__(*args, **kwargs)
        self.fields["indicator"].empty_label = _("所有晾晒指标")
        if "province" in self.fields:
            self.fields["province"].empty_label = _("所有省份")
        if own_province is not None:
            del self.fields["province"]
            if self.instance.pk is None:
                self.instance.province = own_province
        for name, field in self.fields.items():
            if name != "active":
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs["class"] = f"{css} {field.widget.attrs.get('class', '')}".strip()

    def clean_condition(self) -> str:
        text = (self.cleaned_data.get("condition") or "").strip()
        problems = REGION_RELEASE.problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_consecutive(self) -> int:
        value = self.cleaned_data.get("consecutive") or 0
        if not 1 <= value <= MAX_CONSECUTIVE:
            raise forms.ValidationError(_("连续发布期数应在1到%(max)s之间") % {"max": MAX_CONSECUTIVE})
        return value


def visible_rules(request):
    """Administrators: every rule; others: the rules for all provinces and their own province's rules."""
    qs = TriggerRule.objects.select_related("indicator", "province")
    if request.user.is_administrator:
        return qs
    return qs.filter(Q(province__isnull=True) | Q(province=user_province(request)))


def may_edit(user, rule: TriggerRule | None, province) -> bool:
    """Administrators edit every rule; a province officer creates and edits the rules of their province."""
    if user.is_administrator:
        return True
    return user.role == Role.PROVINCE_OFFICER and (rule is None or rule.province_id == province.code)


def _rules(request):
    qs = visible_rules(request)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(condition__icontains=q) | Q(description__icontains=q))
    return qs, q


@login_required
def rule_list(request):
    government_only(request)
    qs, q = _rules(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "monitoring/rule_list.html", {"page": page, "q": q,
                                                         "can_edit": may_edit(request.user, None, None)})


@login_required
def rule_xlsx(request):
    government_only(request)
    qs, _q = _rules(request)
    columns = [exports.Column(_("规则名称"), exports.field("name"), 24),
               exports.Column(_("触发条件"), exports.field("condition"), 48),
               exports.Column(_("连续发布期数"), exports.field("consecutive"), 12),
               exports.Column(_("指标"), lambda r: r.indicator.name if r.indicator else _("所有晾晒指标"), 20),
               exports.Column(_("适用层级"), lambda r: r.get_level_display() or _("全部"), 12),
               exports.Column(_("适用省份"), lambda r: r.province.name if r.province else _("所有省份"), 12),
               exports.Column(_("启用"), lambda r: _("是") if r.active else _("否"), 8),
               exports.Column(_("说明"), exports.field("description"), 40)]
    return exports.xlsx_response(f"{_('提示函触发规则')}.xlsx", _("提示函触发规则"), columns, qs)


def _preview_period(request) -> tuple[int, int] | None:
    """The chosen period, else this month: the province's latest release (else the last run's period)."""
    return (parse_period(request.POST.get("period", "") or request.GET.get("period", "")) or _latest(request)
            or letters.last_period())


def _latest(request) -> tuple[int, int] | None:
    from industrybrain.indicators import services

    return services.latest_period(user_province(request))


@login_required
def rule_edit(request, pk: int | None = None):
    government_only(request)
    rule = get_object_or_404(visible_rules(request), pk=pk) if pk is not None else None
    province = user_province(request)
    editable = may_edit(request.user, rule, province)
    form = TriggerRuleForm(request.POST or None, instance=rule,
                           initial=None if rule else {"consecutive": 2, "active": True},
                           own_province=None if request.user.is_administrator else province)
    period = _preview_period(request)
    preview = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "save" and not editable:
            raise Http404(_("未找到该记录或无权查看"))
        if form.is_valid():
            candidate = form.save(commit=False)
            if action == "save":
                candidate.save()
                messages.success(request, _("已保存"))
                return redirect("monitoring:trigger-rules")
            if period is not None:  # a preview never saves (also for users who may only read the rules)
                preview = _preview(request, candidate, period)
    return render(request, "monitoring/rule_edit.html", {
        "rule": rule, "form": form, "editable": editable, "preview": preview, "catalogue": [{**f, "type": TYPE_LABELS[Type(f["type"])]} for f in REGION_RELEASE.reference()],
        "examples": EXAMPLES, "period": f"{period[0]}-{period[1]:02d}" if period else ""})


def _preview(request, rule: TriggerRule, period: tuple[int, int]) -> dict:
    visible = set(visible_regions(request.user).values_list("code", flat=True))
    province = rule.province or user_province(request)
    hits = [h for h in triggers.preview(rule, *period, [province]) if h.region.code in visible]
    hits.sort(key=lambda h: (h.indicator.code, h.row.group, h.region.code))
    return {"hits": hits, "regions": len({h.region.code for h in hits}), "period": f"{period[0]}-{period[1]:02d}"}


@login_required
@require_POST
def run(request):
    """Run the active rules for a release and store its hits (province officers, administrators)."""
    government_only(request)
    if not can_publish(request.user):
        raise Http404(_("未找到该记录或无权查看"))
    period = parse_period(request.POST.get("period", ""))
    if period is None:
        messages.error(request, _("请选择期别"))
        return redirect("monitoring:hits")
    problems: list[triggers.RuleProblem] = []
    stored = triggers.run_month(*period, [user_province(request)], problems=problems)
    for problem in problems:
        messages.error(request, _("规则“%(name)s”条件无效，已跳过：%(error)s") % {"name": problem.rule.name,
                                                                           "error": problem.message})
    messages.success(request, _("已运行：%(n)s条触发结果") % {"n": len(stored)})
    return redirect(f"{reverse('monitoring:hits')}?period={period[0]}-{period[1]:02d}")
