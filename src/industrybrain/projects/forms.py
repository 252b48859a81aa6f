from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from industrybrain.core.access import visible_regions
from industrybrain.core.models import IndustryCategory

from .models import AlertRule, Blocker, Programme, Project, ProjectType
from .stages import PROJECT_FLOW, Stage


def bootstrap(form: forms.BaseForm, small: bool = False) -> None:
    """Bootstrap classes on every widget."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select" + (" form-select-sm" if small else ""))
        else:
            widget.attrs.setdefault("class", "form-control" + (" form-control-sm" if small else ""))


class FilterForm(forms.Form):
    """Filters of the six lists (region subtree, type, programme, industry system, search)."""

    region = forms.ChoiceField(label=_("区划"), required=False)
    project_type = forms.ChoiceField(label=_("项目类型"), required=False,
                                     choices=[("", _("全部类型")), *ProjectType.choices])
    programme = forms.ModelChoiceField(label=_("计划类别"), required=False, queryset=Programme.objects.all(),
                                       empty_label=_("全部计划"), to_field_name="code")
    system = forms.ChoiceField(label=_("产业体系"), required=False)
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        regions = visible_regions(user).order_by("path") if user is not None else []
        self.fields["region"].choices = [("", _("全部区划"))] + [
            (r.code, ("　" * (r.level - 1)) + r.name) for r in regions]
        systems = []
        for cat in IndustryCategory.objects.select_related("system").order_by("system__code", "order"):
            systems.append((cat.code, f"{cat.system.name}·{cat.name}"))
        self.fields["system"].choices = [("", _("全部产业"))] + systems
        bootstrap(self, small=True)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class MoveForm(forms.Form):
    target = forms.ChoiceField(label=_("进入清单"))
    effective_date = forms.DateField(label=_("实际日期"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    land_parcel = forms.CharField(label=_("地块"), required=False, max_length=200)
    evidence = MultipleFileField(label=_("佐证材料"), required=False)
    evidence_description = forms.CharField(label=_("材料名称"), required=False, max_length=200)
    reason = forms.CharField(label=_("原因说明（回退必填）"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    expected_stage = forms.CharField(widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        if project is not None:
            for code in PROJECT_FLOW.forward_targets(project.stage):
                choices.append((code, _("前进：%(stage)s") % {"stage": Stage(code).label}))
            for code in reversed(PROJECT_FLOW.backward_targets(project.stage)):
                choices.append((code, _("回退：%(stage)s") % {"stage": Stage(code).label}))
        # Any stage validates (the workflow decides what is allowed, and a retried post must reach the
        # service to be recognised as a retry); only the moves open now are offered.
        self.fields["target"].choices = list(Stage.choices)
        self.fields["target"].widget.choices = choices
        bootstrap(self)


class ReportForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("月份"), min_value=1, max_value=12)
    month_completed = forms.DecimalField(label=_("本月完成投资（万元）"), max_digits=16, decimal_places=2)
    ytd_completed = forms.DecimalField(label=_("本年累计完成投资（万元，留空自动累加）"), required=False,
                                       max_digits=16, decimal_places=2)
    cumulative_completed = forms.DecimalField(label=_("自开工累计完成投资（万元，留空自动累加）"), required=False,
                                              max_digits=16, decimal_places=2)
    equipment_completed = forms.DecimalField(label=_("本年累计设备投资（万元）"), required=False, max_digits=16,
                                             decimal_places=2)
    progress_note = forms.CharField(label=_("形象进度"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    correction_note = forms.CharField(label=_("更正说明（核减或修改已填报月份时必填）"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))
    over_total_flag = forms.BooleanField(label=_("累计超总投资（已确认）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    @staticmethod
    def initial_for_today() -> dict:
        today = timezone.localdate()
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return {"year": year, "month": month}


class BlockerForm(forms.ModelForm):
    class Meta:
        model = Blocker
        fields = ["raised_on", "description", "help_requested"]
        widgets = {"raised_on": forms.DateInput(attrs={"type": "date"}),
                   "description": forms.Textarea(attrs={"rows": 3}),
                   "help_requested": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ProjectForm(forms.ModelForm):
    """Register or correct a project's particulars. The list a project is on changes only through a stage
    move (date + evidence, audited), so stage and actual dates after signing are not on this form."""

    industry_code = forms.CharField(label=_("行业代码"), required=False, max_length=4,
                                    help_text=_("GB/T 4754-2017 小类代码，如3973"))

    class Meta:
        model = Project
        fields = ["code", "name", "investor_uscc", "investor_name", "region", "industry_category", "project_type",
                  "programme", "total_investment", "equipment_investment", "land_area_mu", "responsible_leader",
                  "actual_signed", "planned_land_acquired", "planned_started", "planned_completed",
                  "planned_in_production", "description"]
        widgets = {name: forms.DateInput(attrs={"type": "date"}) for name in (
            "actual_signed", "planned_land_acquired", "planned_started", "planned_completed", "planned_in_production")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"].queryset = visible_regions(user).order_by("path")
        self.fields["actual_signed"].required = True
        if self.instance.pk:
            self.fields["code"].disabled = True
            if self.instance.industry_id:
                self.fields["industry_code"].initial = self.instance.industry_id
            if self.instance.stage != Stage.SIGNED:
                self.fields["actual_signed"].disabled = True
        bootstrap(self)

    def clean_investor_uscc(self) -> str:
        from industrybrain.registry import uscc

        value = self.cleaned_data.get("investor_uscc", "").strip()
        if not value:
            return ""
        try:
            return uscc.validate(value)
        except uscc.USCCError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_industry_code(self):
        from industrybrain.core.models import Industry

        code = self.cleaned_data.get("industry_code", "").strip()
        if not code:
            return None
        industry = Industry.objects.filter(code=code).first()
        if industry is None:
            raise forms.ValidationError(_("未知的行业代码：%(code)s") % {"code": code})
        return industry

    def clean_actual_signed(self):
        day = self.cleaned_data.get("actual_signed")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("签约日期不能晚于今天"))
        return day

    def save(self, commit: bool = True) -> Project:
        from industrybrain.registry.models import Enterprise

        project = super().save(commit=False)
        project.industry = self.cleaned_data.get("industry_code")
        # An investor already in the registry (and visible to the officer) is linked to its profile.
        if project.investor_uscc:
            from industrybrain.core.access import scope

            project.enterprise = scope(self.user, Enterprise.objects.filter(uscc=project.investor_uscc)).first()
            if project.industry is None and project.enterprise is not None:
                project.industry_id = project.enterprise.industry_id
        if project._state.adding:
            project.stage = Stage.SIGNED
            project.stage_entered_on = project.actual_signed
            project.planned_signed = project.actual_signed
        if commit:
            project.save()
        return project


class AlertRuleForm(forms.ModelForm):
    """An alert rule: the condition and message are validated against the subject's catalogue (model.clean)."""

    preview_on = forms.DateField(label=_("试算日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("按此日期试算会有多少对象预警（默认为最近一次预警检查的日期）"))

    class Meta:
        model = AlertRule
        fields = ["code", "name", "kind", "subject", "severity", "enabled", "order", "condition", "message",
                  "description"]
        widgets = {"condition": forms.Textarea(attrs={"rows": 4, "class": "form-control font-monospace",
                                                      "spellcheck": "false"}),
                   "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True  # alerts' keys carry the code
        bootstrap(self)
