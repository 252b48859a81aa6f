"""Forms of the enterprise registry (一企一档): the enterprise profile and one year's facts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from industrybrain.core.access import visible_regions
from industrybrain.core.models import Industry, Region, Role, User

from . import uscc
from .models import YEARLY_FACT_FIELDS, Enterprise, YearlyFact

# Yearly figures that may be negative (a loss); every other figure is a count or an amount ≥ 0.
SIGNED_FACT_FIELDS = frozenset({"profit", "net_profit"})


def bootstrap(form: forms.BaseForm, small: bool = False) -> forms.BaseForm:
    """Give every widget its Bootstrap 5 class (form-select, form-check-input or form-control)."""
    size = " form-control-sm" if small else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select" + (" form-select-sm" if small else "")
        else:
            css = "form-control" + size
        existing = widget.attrs.get("class", "")
        if css.split()[0] not in existing:
            widget.attrs["class"] = f"{existing} {css}".strip()
    return form


def region_label(region: Region) -> str:
    """A region indented by its level, so that a flat <select> reads as the GB/T 2260 tree."""
    return "\u3000" * (region.level - 1) + f"{region.name}（{region.code}）"


def region_line_q(user: User) -> Q:
    """Regions the user may see plus the regions above the user's own (its administrative line)."""
    if user.is_administrator:
        return Q()
    if user.region is None:
        return Q(pk__in=[])
    ancestors = [code for code in user.region.path.split("/") if code]
    return Q(pk__in=visible_regions(user).values("pk")) | Q(pk__in=ancestors)


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return region_label(obj)


class IndustryCodeField(forms.ModelChoiceField):
    """A GB/T 4754 code typed as text ("C", "39", "397", "3973"); unknown codes get a Chinese error."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().upper()
        return super().to_python(value)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class StewardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        region = f"（{obj.region.name}）" if obj.region_id else ""
        return f"{obj}{region}"


def steward_queryset(user: User) -> QuerySet[User]:
    """Active stewards working in the user's region line (its subtree or the regions above it)."""
    stewards = User.objects.filter(role=Role.STEWARD, is_active=True).select_related("region")
    if user.is_administrator:
        return stewards.order_by("username")
    return stewards.filter(region__in=Region.objects.filter(region_line_q(user))).order_by("username")


class EnterpriseForm(forms.ModelForm):
    """Create or correct an enterprise's identity; `warnings` holds non-blocking notes for the page."""

    # Longer than 18 so that a code pasted with spaces or dashes reaches clean_uscc and is normalised.
    uscc = forms.CharField(
        label=_("统一社会信用代码"), max_length=40,
        error_messages={"required": _("请填写统一社会信用代码")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    region = RegionChoiceField(
        queryset=Region.objects.none(), label=_("所在区划"),
        error_messages={"invalid_choice": _("只能选择您有权管理的行政区划")},
    )
    industry = IndustryCodeField(
        queryset=Industry.objects.filter(level=Industry.Level.CLASS), to_field_name="code",
        label=_("所属行业（小类代码）"),
        help_text=_("填写GB/T 4754-2017国民经济行业分类的4位小类代码，例如 3973（集成电路制造）"),
        error_messages={"invalid_choice": _("未知的行业小类代码：%(value)s（请填写GB/T 4754-2017的4位小类代码）")},
    )
    steward = StewardChoiceField(queryset=User.objects.none(), required=False, label=_("服务管家"))

    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "region", "industry", "founded_on", "ownership", "legal_representative",
                  "address", "tags", "steward"]
        widgets = {
            "founded_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "tags": forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.warnings: list[str] = []
        region_field: forms.ModelChoiceField = self.fields["region"]  # type: ignore[assignment]
        region_field.queryset = visible_regions(user).order_by("path")
        steward_field: forms.ModelChoiceField = self.fields["steward"]  # type: ignore[assignment]
        stewards = steward_queryset(user)
        if self.instance.steward_id:
            # Keep the current steward selectable even when assigned by someone with a wider view.
            stewards = User.objects.filter(Q(pk__in=stewards.values("pk")) | Q(pk=self.instance.steward_id)) \
                .select_related("region").order_by("username")
        steward_field.queryset = stewards
        self.fields["uscc"].help_text = _("18位，字母须大写；系统校验第18位校验码，并提示组织机构代码部分的校验位")
        bootstrap(self)

    def clean_uscc(self) -> str:
        try:
            code = uscc.validate(self.cleaned_data.get("uscc", ""))
        except uscc.USCCError as exc:
            raise forms.ValidationError(str(exc), code="uscc") from None
        # Checked against the whole registry (not the user's scope): a code can be registered only once.
        if Enterprise.objects.filter(uscc=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("该统一社会信用代码已登记，请勿重复建档"), code="unique")
        warning = uscc.organisation_code_warning(code)
        if warning:
            self.warnings.append(warning)
        return code

    def clean_founded_on(self):
        founded_on = self.cleaned_data.get("founded_on")
        if founded_on and founded_on > timezone.localdate():
            raise forms.ValidationError(_("成立日期不能晚于今天"), code="future")
        return founded_on


class YearlyFactForm(forms.ModelForm):
    """One year's figures of one enterprise; the view records the source of every changed value."""

    class Meta:
        model = YearlyFact
        fields = [name for name, _label, _unit in YEARLY_FACT_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, unit in YEARLY_FACT_FIELDS:
            field = self.fields[name]
            field.label = _("%(label)s（%(unit)s）") % {"label": _(label), "unit": _(unit)}
            field.widget.attrs.update({"class": "form-control text-end", "inputmode": "decimal"})
            if name not in SIGNED_FACT_FIELDS:
                field.widget.attrs["min"] = "0"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, label, _unit in YEARLY_FACT_FIELDS:
            value = cleaned.get(name)
            places = getattr(self.fields[name], "decimal_places", None)
            if isinstance(value, Decimal) and places is not None:
                # Stored as DECIMAL(16,2): quantize now so that the audit log reads 4800.00 → 1500.00.
                value = cleaned[name] = value.quantize(Decimal(1).scaleb(-places))
            if name not in SIGNED_FACT_FIELDS and value is not None and value < 0:
                self.add_error(name, _("%(label)s不能为负数") % {"label": label})
        staff, rd_staff = cleaned.get("staff"), cleaned.get("rd_staff")
        if staff is not None and rd_staff is not None and rd_staff > staff:
            self.add_error("rd_staff", _("研发人员不能多于从业人员"))
        revenue, main = cleaned.get("revenue"), cleaned.get("main_business_revenue")
        if revenue is not None and main is not None and main > revenue:
            self.add_error("main_business_revenue", _("主营业务收入不能大于营业收入"))
        if not any(cleaned.get(name) is not None for name, _label, _unit in YEARLY_FACT_FIELDS):
            raise forms.ValidationError(_("请至少填写一项数据"), code="empty")
        return cleaned
