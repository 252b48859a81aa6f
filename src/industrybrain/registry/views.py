"""Enterprise registry pages (一企一档): list, export, profile, create/edit and yearly facts.

Every enterprise reached here comes through `core.access.scope` or `get_scoped_or_404`; editing also
needs `can_edit_registry`. Views stay thin: filtering lives in filters.py, columns in tables.py,
validation in forms.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import ForeignObjectRel, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from industrybrain.core.access import can_edit_registry, get_scoped_or_404, scope
from industrybrain.core.exports import xlsx_response
from industrybrain.core.models import Industry, User

from .filters import EnterpriseFilter
from .forms import EnterpriseForm, YearlyFactForm, bootstrap
from .models import MONTHLY_FACT_FIELDS, YEARLY_FACT_FIELDS, Enterprise, SourceMixin, YearlyFact
from .tables import export_columns, list_columns


class AuthedRequest(HttpRequest):
    """A request behind @login_required: its user is one of ours, never AnonymousUser."""

    user: User


PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 20
MONTHS_SHOWN = 36
# The yearly figures drawn in the chart by default; the others can be switched on in its legend.
CHART_DEFAULT_FIELDS = ("revenue", "main_business_revenue", "profit", "tax", "rd_expense")
FIRST_FACT_YEAR = 1949


def _enterprises(request: AuthedRequest) -> QuerySet[Enterprise]:
    return scope(request.user, Enterprise.objects.all())


def _require_editor(request: AuthedRequest) -> None:
    if not can_edit_registry(request.user):
        raise PermissionDenied(_("您没有维护企业库的权限"))


# ---------------------------------------------------------------- list and export

@login_required
def enterprise_list(request: AuthedRequest) -> HttpResponse:
    filterset = EnterpriseFilter(request.GET or None, queryset=_enterprises(request), user=request.user)
    enterprises = filterset.filtered().select_related("region", "industry").prefetch_related("tags")
    page = Paginator(enterprises, PAGE_SIZE).get_page(request.GET.get("page"))
    bootstrap(filterset.form, small=True)
    return render(request, "registry/enterprise_list.html", {
        "filter": filterset,
        "page": page,
        "headers": _headers(request.GET.get("sort", "")),
        "can_edit": can_edit_registry(request.user),
    })


def _headers(sort: str) -> list[dict[str, Any]]:
    """Column headers with the `sort` value a click sets: ascending first, then descending."""
    headers = []
    for column in list_columns():
        direction = ""
        if column.sort and sort == column.sort:
            direction = "asc"
        elif column.sort and sort == f"-{column.sort}":
            direction = "desc"
        next_sort = f"-{column.sort}" if direction == "asc" else column.sort
        headers.append({"column": column, "direction": direction, "next_sort": next_sort})
    return headers


@login_required
def enterprise_export(request: AuthedRequest) -> HttpResponseBase:
    """The list's current filter and scope, every row, as .xlsx with Chinese headers."""
    filterset = EnterpriseFilter(request.GET or None, queryset=_enterprises(request), user=request.user)
    enterprises = (filterset.filtered().select_related("industry", "steward").prefetch_related("tags")
                   .iterator(chunk_size=2000))
    filename = _("企业名录_%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
    return xlsx_response(filename, "企业名录", export_columns(), enterprises)


# ---------------------------------------------------------------- detail (一企一档)

def _source_text(record: SourceMixin, field: str) -> dict[str, Any]:
    info = record.source_of(field) or {}
    at = info.get("at")
    when = ""
    if at:
        try:
            when = timezone.localtime(dt.datetime.fromisoformat(at)).strftime("%Y-%m-%d %H:%M")
        except (TypeError, ValueError):
            when = str(at)
    source = info.get("source") or ""
    return {"source": source, "at": when, "title": _("来源：%(source)s；时间：%(at)s") % {
        "source": source or _("未知"), "at": when or _("未知")}}


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _yearly_context(enterprise: Enterprise) -> dict[str, Any]:
    facts = list(enterprise.yearly_facts.order_by("year"))
    rows = []
    for name, label, unit in YEARLY_FACT_FIELDS:
        cells = []
        for fact in facts:
            value = getattr(fact, name)
            source = _source_text(fact, name)
            cells.append({"value": value, "decimal": isinstance(value, Decimal), **source,
                          "overridden": name in fact.field_sources})
        rows.append({"name": name, "label": _(label), "unit": _(unit), "cells": cells})
    row_sources = [_source_text(fact, "") | {"year": fact.year} for fact in facts]
    money = [(n, _(label)) for n, label, unit in YEARLY_FACT_FIELDS if unit == "万元"]
    chart = {
        "categories": [str(f.year) for f in facts],
        "yAxes": [{"name": _("万元")}, {"name": _("人")}],
        "series": [
            {"name": label, "type": "bar" if n in ("revenue", "main_business_revenue") else "line",
             "data": [_number(getattr(f, n)) for f in facts]}
            for n, label in money
        ] + [
            {"name": _(label), "type": "line", "yAxisIndex": 1, "data": [_number(getattr(f, n)) for f in facts]}
            for n, label, unit in YEARLY_FACT_FIELDS if unit == "人"
        ],
        "selected": {_(label): n in CHART_DEFAULT_FIELDS for n, label, _u in YEARLY_FACT_FIELDS},
    }
    return {"yearly_facts": facts, "yearly_rows": rows, "yearly_sources": row_sources, "yearly_chart": chart}


def _monthly_context(enterprise: Enterprise) -> dict[str, Any]:
    months = list(enterprise.monthly_facts.order_by("-year", "-month")[:MONTHS_SHOWN])
    months.reverse()
    rows = []
    for fact in reversed(months):  # newest first in the table
        rows.append({"period": f"{fact.year}-{fact.month:02d}", "cells": [
            {"value": getattr(fact, name), **_source_text(fact, name)} for name, _l, _u in MONTHLY_FACT_FIELDS]})
    chart = {
        "categories": [f"{f.year}-{f.month:02d}" for f in months],
        "yAxes": [{"name": _("万元")}, {"name": _("万千瓦时")}],
        "series": [
            {"name": _(label), "type": "bar" if unit == "万元" and name == "output" else "line",
             "yAxisIndex": 0 if unit == "万元" else 1, "data": [_number(getattr(f, name)) for f in months]}
            for name, label, unit in MONTHLY_FACT_FIELDS
        ],
    }
    return {"monthly_rows": rows, "monthly_chart": chart, "monthly_fields": [(n, _(label), _(unit)) for n, label, unit in MONTHLY_FACT_FIELDS],
            "show_monthly": enterprise.above_scale or bool(months)}


def _certifications(enterprise: Enterprise) -> list[dict[str, Any]]:
    today = timezone.localdate()
    soon = today + dt.timedelta(days=90)
    result = []
    for cert in enterprise.certifications.order_by("-issued_on"):
        if cert.issued_on > today:
            status, css = _("未生效"), "secondary"
        elif not cert.is_valid_on(today):
            status, css = _("已过期"), "danger"
        elif cert.valid_until and cert.valid_until <= soon:
            status, css = _("即将到期"), "warning"
        else:
            status, css = _("有效"), "success"
        result.append({"cert": cert, "status": status, "css": css})
    return result


ACTIONS = {
    LogEntry.Action.CREATE: (gettext_lazy("新增"), "success"),
    LogEntry.Action.UPDATE: (gettext_lazy("修改"), "primary"),
    LogEntry.Action.DELETE: (gettext_lazy("删除"), "danger"),
}


# Bookkeeping columns that say nothing to a reader of the history (the enterprise is the page itself).
HIDDEN_HISTORY_FIELDS = frozenset({"id", "enterprise", "field_sources", "received_at", "import_job",
                                   "created_at", "updated_at"})


def _display_value(field: Any, value: Any, related_cache: dict) -> str:
    """A value as auditlog stored it (a string) made readable: choices, dates, related objects."""
    if value in (None, "", "None"):
        return ""
    if getattr(field, "choices", None):
        return str(dict(field.choices).get(value, value))
    internal = field.get_internal_type() if hasattr(field, "get_internal_type") else ""
    if internal == "BooleanField":
        return _("是") if value in (True, "True", "true", "1") else _("否")
    if internal == "DateTimeField":
        with contextlib.suppress(TypeError, ValueError):
            return timezone.localtime(dt.datetime.fromisoformat(str(value))).strftime("%Y-%m-%d %H:%M")
    if field.is_relation and field.many_to_one:
        key = (field.related_model, value)
        if key not in related_cache:
            related = field.related_model._default_manager.filter(pk=value).first()
            related_cache[key] = str(related) if related is not None else str(value)
        return related_cache[key]
    return str(value)


def describe_changes(entry: LogEntry, related_cache: dict | None = None) -> list[dict[str, str]]:
    """One entry's changes as (field, before, after) in Chinese, tags (many-to-many) included.

    A creation lists only the values it set; bookkeeping columns are left out.
    """
    cache: dict = {} if related_cache is None else related_cache
    model = entry.content_type.model_class()
    rows = []
    for name, change in (entry.changes or {}).items():
        if name in HIDDEN_HISTORY_FIELDS:
            continue
        field = None
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                field = model._meta.get_field(name)
        if isinstance(field, ForeignObjectRel):
            continue  # reverse relations (facts, projects…) that auditlog lists on creation: not values
        label = str(getattr(field, "verbose_name", name))
        if isinstance(change, dict):  # many-to-many: {"type": "m2m", "operation": "add", "objects": [...]}
            objects = "、".join(str(o) for o in change.get("objects", []))
            if change.get("operation") == "add":
                rows.append({"field": label, "before": "", "after": _("添加：%(o)s") % {"o": objects}})
            else:
                rows.append({"field": label, "before": _("移除：%(o)s") % {"o": objects}, "after": ""})
            continue
        if not isinstance(change, list | tuple) or len(change) != 2:
            continue
        before, after = (_display_value(field, v, cache) if field is not None else _blank(v) for v in change)
        if entry.action == LogEntry.Action.CREATE and not after:
            continue
        rows.append({"field": label, "before": before, "after": after})
    return rows


def _blank(value: Any) -> str:
    return "" if value in (None, "", "None") else str(value)


def _object_label(entry: LogEntry, enterprise: Enterprise) -> str:
    """Facts print as "<enterprise id> 2024-03"; on the enterprise's own page the period is enough."""
    prefix = f"{enterprise.pk} "
    if entry.object_repr.startswith(prefix) and entry.content_type.model in ("yearlyfact", "monthlyfact"):
        return entry.object_repr[len(prefix):]
    return entry.object_repr


def history_entries(enterprise: Enterprise) -> QuerySet[LogEntry]:
    """Audit entries of the enterprise itself and of its facts and certifications (by `enterprise_id`)."""
    content_type = ContentType.objects.get_for_model(Enterprise)
    return (LogEntry.objects
            .filter(Q(content_type=content_type, object_id=enterprise.pk)
                    | Q(additional_data__enterprise_id=enterprise.pk))
            .select_related("actor", "content_type")
            .order_by("-timestamp", "-pk"))


def _history_context(request: AuthedRequest, enterprise: Enterprise) -> dict[str, Any]:
    page = Paginator(history_entries(enterprise), HISTORY_PAGE_SIZE).get_page(request.GET.get("hpage"))
    rows = []
    related_cache: dict = {}
    for entry in page:
        model = entry.content_type.model_class()
        action, css = ACTIONS.get(entry.action, (_("访问"), "secondary"))
        rows.append({
            "entry": entry,
            "object": str(model._meta.verbose_name) if model else entry.content_type.model,
            "action": action, "css": css,
            "actor": str(entry.actor) if entry.actor else (entry.actor_email or _("系统")),
            "label": _object_label(entry, enterprise),
            "changes": describe_changes(entry, related_cache),
        })
    return {"history_page": page, "history_rows": rows}


@login_required
def enterprise_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    enterprise = get_scoped_or_404(
        request.user,
        Enterprise.objects.select_related("region__parent__parent", "industry__parent__parent__parent",
                                          "steward").prefetch_related("tags"),
        pk=pk)
    assert isinstance(enterprise, Enterprise)
    industry_line: list[Industry] = []
    node: Industry | None = enterprise.industry
    while node is not None:
        industry_line.append(node)
        node = node.parent
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "industry_line": list(reversed(industry_line)),
        "can_edit": can_edit_registry(request.user),
        "certifications": _certifications(enterprise),
        "next_year": timezone.localdate().year - 1,
    }
    context.update(_yearly_context(enterprise))
    context.update(_monthly_context(enterprise))
    context.update(_history_context(request, enterprise))
    return render(request, "registry/enterprise_detail.html", context)


# ---------------------------------------------------------------- create and edit

def _save_enterprise(request: AuthedRequest, form: EnterpriseForm, created: bool) -> HttpResponse:
    enterprise = form.save()
    if created:
        messages.success(request, _("已建档：%(name)s") % {"name": enterprise.name})
    else:
        messages.success(request, _("已保存：%(name)s") % {"name": enterprise.name})
    for warning in form.warnings:
        messages.warning(request, _("请核对统一社会信用代码：%(w)s") % {"w": warning})
    return redirect("registry:enterprise-detail", pk=enterprise.pk)


@login_required
def enterprise_create(request: AuthedRequest) -> HttpResponse:
    _require_editor(request)
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        return _save_enterprise(request, form, created=True)
    return render(request, "registry/enterprise_form.html", {"form": form, "enterprise": None})


@login_required
def enterprise_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    enterprise = get_scoped_or_404(request.user, Enterprise.objects.select_related("region", "industry"), pk=pk)
    _require_editor(request)
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    if request.method == "POST" and form.is_valid():
        return _save_enterprise(request, form, created=False)
    return render(request, "registry/enterprise_form.html", {"form": form, "enterprise": enterprise})


# ---------------------------------------------------------------- yearly facts

def manual_source(user: Any) -> str:
    return _("手工录入（%(user)s）") % {"user": user}


@login_required
def yearly_fact_edit(request: AuthedRequest, pk: int, year: int) -> HttpResponse:
    enterprise = get_scoped_or_404(request.user, Enterprise.objects.select_related("region"), pk=pk)
    assert isinstance(enterprise, Enterprise)
    _require_editor(request)
    if not FIRST_FACT_YEAR <= year <= timezone.localdate().year:
        raise Http404(_("年度超出范围"))
    fact = enterprise.yearly_facts.filter(year=year).first()
    is_new = fact is None
    instance = fact or YearlyFact(enterprise=enterprise, year=year)
    form = YearlyFactForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        if not form.has_changed():
            messages.info(request, _("数据未发生变化"))
            return redirect("registry:enterprise-detail", pk=enterprise.pk)
        source = manual_source(request.user)
        with transaction.atomic():
            fact = form.save(commit=False)
            if is_new:
                fact.source = source
            # The row keeps its received_at; each value typed here records its own source and time.
            fact.record_field_source(list(form.changed_data), source, timezone.now().isoformat())
            fact.save()
            enterprise.refresh_classification()
            enterprise.save(update_fields=["size_class", "above_scale", "updated_at"])
        if is_new:
            messages.success(request, _("已录入%(year)s年度数据") % {"year": year})
        else:
            messages.success(request, _("已更正%(year)s年度数据（原值保留在变更记录中）") % {"year": year})
        return redirect("registry:enterprise-detail", pk=enterprise.pk)
    sources = {name: _source_text(instance, name) for name, _l, _u in YEARLY_FACT_FIELDS} if not is_new else {}
    fields = [(form[name], sources.get(name)) for name, _l, _u in YEARLY_FACT_FIELDS]
    return render(request, "registry/yearly_fact_form.html", {
        "form": form, "enterprise": enterprise, "year": year, "is_new": is_new, "fields": fields,
    })
