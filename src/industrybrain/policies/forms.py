"""Forms of the policies module; expressions are validated exactly as rule files are (shared validator)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from industrybrain.core.models import Department, Region

from . import eligibility as E
from .models import DeliveryMode, Policy, PolicyKind


def bootstrap(form: forms.BaseForm, small: bool = False) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select" + (" form-select-sm" if small else ""))
        else:
            widget.attrs.setdefault("class", "form-control" + (" form-control-sm" if small else ""))


def _expression_errors(text: str, kind: str) -> None:
    problems = E.problems(text, kind)
    if problems:
        raise forms.ValidationError(problems)


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = ["code", "title", "summary", "document_title", "document_number", "issuer", "issued_on",
                  "published_on", "department", "kind", "region", "valid_from", "valid_to", "mode", "status",
                  "eligibility", "amount_formula", "cap_per_enterprise", "budget", "beneficiaries",
                  "conditions_text", "fulfilment_time", "office_address", "phone", "materials", "publicity_days",
                  "review_departments", "decision_working_days"]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "eligibility": forms.Textarea(attrs={"rows": 3, "class": "form-control font-monospace"}),
            "amount_formula": forms.Textarea(attrs={"rows": 2, "class": "form-control font-monospace"}),
            "summary": forms.Textarea(attrs={"rows": 2}), "beneficiaries": forms.Textarea(attrs={"rows": 2}),
            "conditions_text": forms.Textarea(attrs={"rows": 3}), "materials": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not user.is_administrator and user.region is not None:
            self.fields["region"].queryset = user.region.subtree()  # type: ignore[attr-defined]
        bootstrap(self)

    def clean_eligibility(self) -> str:
        text = self.cleaned_data["eligibility"]
        _expression_errors(text, "eligibility")
        return text

    def clean_amount_formula(self) -> str:
        text = self.cleaned_data.get("amount_formula") or ""
        if text.strip():
            _expression_errors(text, "formula")
        return text

    def clean(self):
        data = super().clean()
        if data.get("valid_to") and data.get("valid_from") and data["valid_to"] < data["valid_from"]:
            self.add_error("valid_to", _("有效期止早于有效期起"))
        if data.get("published_on") and data.get("issued_on") and data["published_on"] < data["issued_on"]:
            self.add_error("published_on", _("公开发布日期早于发文日期"))
        if data.get("mode") == DeliveryMode.AUTO_GRANT and not (data.get("amount_formula") or "").strip() \
                and data.get("kind") == PolicyKind.SUBSIDY:
            self.add_error("amount_formula", _("免申即享的奖补类政策须填写金额公式"))
        return data


class FilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("政策类型"), required=False, choices=[("", _("全部类型")), *PolicyKind.choices])
    mode = forms.ChoiceField(label=_("兑现方式"), required=False, choices=[("", _("全部方式")), *DeliveryMode.choices])
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部状态")), *Policy.Status.choices])
    department = forms.ModelChoiceField(label=_("执行部门"), required=False, queryset=Department.objects.all(),
                                        empty_label=_("全部部门"))
    region = forms.ModelChoiceField(label=_("适用区划"), required=False,
                                    queryset=Region.objects.filter(level__lte=2), empty_label=_("全部区划"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self, small=True)


class SimulationForm(forms.Form):
    eligibility = forms.CharField(label=_("享受条件（规则表达式）"), widget=forms.Textarea(attrs={"rows": 3}),
                                  initial="rd_ratio_last_year >= 3 AND revenue_last_year >= 2000")
    amount_formula = forms.CharField(label=_("金额公式（万元）"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                     initial="rd_expense_last_year * 0.1")
    cap = forms.DecimalField(label=_("单户上限（万元）"), required=False, min_value=0, decimal_places=2, max_digits=16)
    budget = forms.DecimalField(label=_("资金总额（万元）"), required=False, min_value=0, decimal_places=2, max_digits=16)
    sweep = forms.CharField(label=_("阈值扫描条件"), required=False, max_length=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        for name in ("eligibility", "amount_formula"):
            self.fields[name].widget.attrs["class"] += " font-monospace"

    def clean_eligibility(self) -> str:
        text = self.cleaned_data["eligibility"]
        _expression_errors(text, "eligibility")
        return text

    def clean_amount_formula(self) -> str:
        text = self.cleaned_data.get("amount_formula") or ""
        if text.strip():
            _expression_errors(text, "formula")
        return text
