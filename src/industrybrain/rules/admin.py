"""Admin for the rules engine: rules, versions (read-only once evaluated or locked), attributes, evaluations."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from industrybrain.core.admin import AdministratorAdmin

from .models import EnterpriseAttribute, Evaluation, FeatureSnapshot, Rule, RuleVersion
from .rulefile import RuleFileError, load_rule


class RuleVersionForm(forms.ModelForm):
    class Meta:
        model = RuleVersion
        fields = ["rule", "version", "valid_from", "valid_to", "document", "text", "status", "locked"]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        try:
            spec = load_rule(text)
        except RuleFileError as err:
            raise ValidationError([p.render() for p in err.problems]) from None
        self.spec = spec
        return text

    def clean(self):
        data = super().clean()
        spec = getattr(self, "spec", None)
        if spec is not None:
            rule = data.get("rule")
            if rule is not None and rule.code != spec.id:
                self.add_error("text", f"规则文本的 id（{spec.id}）与所属规则（{rule.code}）不一致")
            for key in ("version", "valid_from", "valid_to"):
                data[key] = getattr(spec, key)  # the text is the source of truth
        return data

    def save(self, commit: bool = True):
        obj = super().save(commit=False)
        spec = getattr(self, "spec", None)
        if spec is not None:
            obj.checksum = spec.checksum
            obj.version, obj.valid_from, obj.valid_to = spec.version, spec.valid_from, spec.valid_to
            obj.document = str(spec.source.get("document", ""))[:300]
        if commit:
            obj.save()
        return obj


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    fields = ("version", "valid_from", "valid_to", "status", "locked", "document")
    readonly_fields = ("version", "valid_from", "valid_to", "status", "locked", "document")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Rule)
class RuleAdmin(AdministratorAdmin):
    list_display = ["code", "name", "created_at"]
    search_fields = ["code", "name"]
    inlines = [RuleVersionInline]


@admin.register(RuleVersion)
class RuleVersionAdmin(AdministratorAdmin):
    form = RuleVersionForm
    list_display = ["rule", "version", "valid_from", "valid_to", "status", "locked", "evaluated"]
    list_filter = ["rule", "status", "locked"]
    search_fields = ["rule__code", "version", "document"]
    readonly_fields = ["checksum", "loaded_at", "loaded_by", "source_path"]

    @admin.display(boolean=True, description="已评价")
    def evaluated(self, obj: RuleVersion) -> bool:
        return obj.evaluations.exists()

    def frozen(self, obj: RuleVersion | None) -> bool:
        return obj is not None and (obj.locked or obj.evaluations.exists())

    def get_readonly_fields(self, request, obj=None):
        if self.frozen(obj):  # an evaluated version is immutable: load a new version instead
            return ["rule", "version", "valid_from", "valid_to", "document", "text", "status", "locked",
                    *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self.frozen(obj)


@admin.register(EnterpriseAttribute)
class EnterpriseAttributeAdmin(AdministratorAdmin):
    list_display = ["enterprise", "code", "value_number", "value_text", "value_bool", "value_date", "as_of", "source"]
    list_filter = ["code", "source"]
    search_fields = ["enterprise__name", "enterprise__uscc"]
    raw_id_fields = ["enterprise"]
    date_hierarchy = "as_of"

    def save_model(self, request, obj, form, change) -> None:
        obj.full_clean()
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(AdministratorAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["rule_version", "as_of", "trigger", "subset", "enterprise_count", "pass_count", "fail_count",
                    "unknown_count", "duration_ms", "started_at"]
    list_filter = ["trigger", "subset", "rule_version__rule"]


@admin.register(FeatureSnapshot)
class FeatureSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["id", "as_of", "status", "enterprise_count", "feature_count", "built_at", "refreshed_at", "duration_ms"]
    list_filter = ["status"]
