"""Trigger rules of 短板弱项提示函: list, edit (validated against the REGION_RELEASE catalogue, the catalogue
shown as help) and preview (the regions the rule would warn at a release, nothing stored).

Access: every government user of the platform may read the rules; province officers and administrators
edit them (the rules apply province-wide). Changes are audited (auditlog on TriggerRule)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from .models import TriggerRule
from .triggers import MAX_CONSECUTIVE, REGION_RELEASE


class TriggerRuleForm(forms.ModelForm):
    class Meta:
        model = TriggerRule
        fields = ["name", "condition", "description", "indicator", "level", "consecutive", "active"]
        widgets = {"condition": forms.Textarea(attrs={"rows": 3, "class": "font-monospace", "spellcheck": "false"}),
                   "description": forms.Textarea(attrs={"rows": 2})}

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


