"""Filters of the pool and certification pages (also used by their exports and the API) and the run form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from industrybrain.core.access import region_subtree_q, visible_regions
from industrybrain.core.models import Industry, Region
from industrybrain.projects.forms import bootstrap

from . import tiers
from .certificates import add_months, expiring_q

SORTS = [("closeness", _("按接近程度")), ("score", _("按得分")), ("name", _("按企业名称"))]
STATUSES = [("", _("全部状态")), ("valid", _("有效")), ("expiring", _("6个月内到期")), ("expired", _("已过期"))]


def _region_choices(user) -> list[tuple[str, Any]]:
    regions = visible_regions(user).order_by("path")
    return [("", _("全部区划"))] + [(r.code, ("　" * (r.level - 1)) + r.name) for r in regions]


class _Filters(forms.Form):
    region = forms.ChoiceField(label=_("区划"), required=False)
    industry = forms.CharField(label=_("行业代码"), required=False, max_length=4,
                               help_text=_("门类字母或2–4位代码，含下级"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _region_choices(user) if user is not None else [("", _("全部区划"))]
        bootstrap(self, small=True)

    def clean_industry(self) -> Industry | None:
        code = (self.cleaned_data.get("industry") or "").strip().upper()
        if not code:
            return None
        industry = Industry.objects.filter(pk=code).first()
        if industry is None:
            raise forms.ValidationError(_("未知的行业代码"))
        return industry

    def narrow(self, qs: QuerySet, enterprise: str = "enterprise") -> QuerySet:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("region"):
            region = Region.objects.filter(pk=data["region"]).first()
            if region is not None:
                qs = qs.filter(region_subtree_q(f"{enterprise}__region", region))
        if data.get("industry") is not None:
            qs = qs.filter(data["industry"].subtree_q(f"{enterprise}__industry"))
        return qs


class PoolFilter(_Filters):
    tier = forms.ChoiceField(label=_("目标层级"), required=False, choices=[(code, _(label)) for code, label in tiers.EVALUATED_CHOICES])
    failed = forms.ChoiceField(label=_("未满足条件数"), required=False,
                               choices=[("", _("一至两项")), ("1", _("仅差一项")), ("2", _("差两项"))])
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORTS)
    field_order = ["tier", "region", "industry", "failed", "sort"]

    def tier_code(self) -> str:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("tier"):
            return self.cleaned_data["tier"]
        return tiers.EVALUATED[1].code

    def narrow(self, qs: QuerySet, enterprise: str = "enterprise") -> QuerySet:
        qs = super().narrow(qs, enterprise)
        if self.is_bound and self.is_valid() and self.cleaned_data.get("failed"):
            qs = qs.filter(failed_count=int(self.cleaned_data["failed"]))
        sort = self.cleaned_data.get("sort") if self.is_bound and self.is_valid() else ""
        if sort == "score":
            return qs.order_by("-score", "failed_count", "relative_gap", "enterprise_id")
        if sort == "name":
            return qs.order_by("enterprise__name", "enterprise_id")
        return qs.order_by("failed_count", "relative_gap", "enterprise_id")


class CertificationFilter(_Filters):
    tier = forms.ChoiceField(label=_("层级"), required=False, choices=[("", _("全部层级")), *[(code, _(label)) for code, label in tiers.TIER_CHOICES]])
    level = forms.ChoiceField(label=_("级别"), required=False,
                              choices=[("", _("全部级别")), *[(v, _(v)) for v in tiers.LEVELS]])
    batch = forms.CharField(label=_("批次"), required=False, max_length=60)
    year = forms.IntegerField(label=_("认定年度"), required=False, min_value=1990, max_value=2100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=STATUSES)
    q = forms.CharField(label=_("企业名称/代码"), required=False, max_length=100)
    field_order = ["tier", "level", "status", "region", "industry", "batch", "year", "q"]

    def narrow(self, qs: QuerySet, enterprise: str = "enterprise") -> QuerySet:
        qs = super().narrow(qs, enterprise)
        if not (self.is_bound and self.is_valid()):
            return qs
        data = self.cleaned_data
        today = timezone.localdate()
        if data.get("tier"):
            qs = qs.filter(kind=data["tier"])
        if data.get("level"):
            qs = qs.filter(level=data["level"])
        if data.get("batch"):
            qs = qs.filter(cultivation__batch__icontains=data["batch"])
        if data.get("year"):
            qs = qs.filter(issued_on__year=data["year"])
        if data.get("q"):
            text = data["q"].strip()
            qs = qs.filter(enterprise__uscc__startswith=text.upper()) if text[:1].isdigit() else qs.filter(
                enterprise__name__icontains=text)
        status = data.get("status")
        if status == "expiring":
            qs = qs.filter(expiring_q(today))
        elif status == "expired":
            qs = qs.filter(valid_until__lt=today)
        elif status == "valid":
            qs = qs.filter(issued_on__lte=today, valid_until__gt=add_months(today, tiers.EXPIRY_WARNING_MONTHS))
        return qs


class RunForm(forms.Form):
    tier = forms.ChoiceField(label=_("梯度层级"), choices=[(code, _(label)) for code, label in tiers.EVALUATED_CHOICES])
    as_of = forms.DateField(label=_("评价日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_of"].initial = timezone.localdate()
        bootstrap(self, small=True)

    def clean_as_of(self) -> dt.date:
        day = self.cleaned_data["as_of"]
        if day.year < 2020 or day > timezone.localdate() + dt.timedelta(days=366):
            raise forms.ValidationError(_("评价日期应在2020年以后，且不晚于一年后"))
        return day
