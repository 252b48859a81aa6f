"""Serializers of the registry API: enterprises and their yearly / monthly facts with per-field sources."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from industrybrain.core.access import visible_regions

from . import uscc
from .models import (
    MONTHLY_FACT_FIELDS,
    YEARLY_FACT_FIELDS,
    DailyElectricity,
    Enterprise,
    MonthlyFact,
    Tag,
    YearlyFact,
)


class EnterpriseSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    industry_name = serializers.CharField(source="industry.name", read_only=True)
    ownership_display = serializers.CharField(source="get_ownership_display", read_only=True)
    size_class_display = serializers.CharField(source="get_size_class_display", read_only=True)
    tags: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "name", "region", "region_name", "industry", "industry_name", "founded_on",
                  "ownership", "ownership_display", "size_class", "size_class_display", "above_scale", "tags",
                  "address", "legal_representative", "created_at", "updated_at"]
        read_only_fields = fields


@extend_schema_field({
    "type": "object",
    "description": _("每个指标的数据来源与接收时间：{字段: {source, at}}"),
    "additionalProperties": {
        "type": "object",
        "properties": {"source": {"type": "string"}, "at": {"type": "string", "format": "date-time",
                                                              "nullable": True}},
    },
})
class FieldSourcesField(serializers.Field):
    """`{field: {"source": …, "at": …}}` for every fact field of the row (SourceMixin.source_of)."""

    def __init__(self, fields: tuple[tuple[str, str, str], ...], **kwargs):
        self.fact_fields = [name for name, _label, _unit in fields]
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, value):
        return {name: value.source_of(name) for name in self.fact_fields}


class FactSerializer(serializers.ModelSerializer):
    source_department: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)


class YearlyFactSerializer(FactSerializer):
    sources = FieldSourcesField(YEARLY_FACT_FIELDS)

    class Meta:
        model = YearlyFact
        fields = ["id", "enterprise", "year", *[name for name, _l, _u in YEARLY_FACT_FIELDS],
                  "source", "source_department", "import_job", "received_at", "sources"]
        read_only_fields = fields


class MonthlyFactSerializer(FactSerializer):
    sources = FieldSourcesField(MONTHLY_FACT_FIELDS)

    class Meta:
        model = MonthlyFact
        fields = ["id", "enterprise", "year", "month", *[name for name, _l, _u in MONTHLY_FACT_FIELDS],
                  "source", "source_department", "import_job", "received_at", "sources"]
        read_only_fields = fields


class DailyElectricitySerializer(serializers.ModelSerializer):
    class Meta:
        model = DailyElectricity
        fields = ["id", "enterprise", "day", "electricity"]
        read_only_fields = fields


class EnterpriseWriteSerializer(serializers.ModelSerializer):
    """Create / update an enterprise: USCC checked with Chinese reasons, region within the caller's scope.

    Size class and 规上 flag are never written: they are computed from the yearly facts.
    """

    tags: serializers.RelatedField = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Tag.objects.all(), required=False)

    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "region", "industry", "founded_on", "ownership", "tags", "address",
                  "legal_representative"]
        extra_kwargs: dict[str, dict] = {"uscc": {"validators": []}}  # checked (normalized, then unique) in validate_uscc

    def validate_uscc(self, value: str) -> str:
        try:
            code = uscc.validate(value)
        except uscc.USCCError as exc:
            raise serializers.ValidationError(str(exc)) from None
        others = Enterprise.objects.filter(uscc=code)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(_("该统一社会信用代码已登记在企业库中"))
        return code

    def validate_region(self, value):
        user = self.context["request"].user
        if not visible_regions(user).filter(pk=value.pk).exists():
            raise serializers.ValidationError(_("所选区划不在您的管辖范围内"))
        return value

    def to_representation(self, instance):
        return EnterpriseSerializer(instance, context=self.context).data
