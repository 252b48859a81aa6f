"""REST API of the indicator cube. Register with `indicators.api.register(router)` in api_urls.py.

- /api/indicators/            catalogue (lookup by code); every signed-in user reads it; officers add their
                              own indicators, edit and delete those (official ones only in the admin).
- /api/indicator-values/      the cube, scoped by region: ?indicator=CODE&region=CODE&subtree=1&year=&month=
                              &period=YYYY-MM&basis=official|derived&history=1 (all revisions; default current).
                              POST records a figure: a new revision when it differs from the current one.
- /api/reference-series/      全国, 东部… ; /api/reference-values/ ?series=&indicator=&year=&month=&period=
- /api/indicator-targets/     targets, scoped by region: ?indicator=&region=&year=
"""

from __future__ import annotations

import re

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from industrybrain.core.access import can_edit_registry, region_subtree_q, scope, visible_regions
from industrybrain.core.models import Region

from .models import Basis, Indicator, IndicatorTarget, IndicatorValue, ReferenceSeries, ReferenceValue
from .services import Figure, record_values


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "code", "name", "short_name", "unit", "frequency", "aggregation", "direction", "first_month",
                  "cumulative_only", "source_department", "derived_field", "description", "is_official", "order"]
        read_only_fields = ["is_official"]


class OfficersWriteCustom(permissions.BasePermission):
    """Reading is for every signed-in user; officers and administrators add indicators; official
    indicators are changed only by administrators."""

    message = _("只有经信部门干部可以维护自定义指标，官方指标只能由系统管理员修改")

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or can_edit_registry(request.user)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.is_administrator or not obj.is_official


class IndicatorViewSet(viewsets.ModelViewSet):
    """指标目录 (catalogue). Reference data: the same list for every signed-in user."""

    serializer_class = IndicatorSerializer
    queryset = Indicator.objects.all()
    lookup_field = "code"
    permission_classes = [permissions.IsAuthenticated, OfficersWriteCustom]
    filterset_fields = ["is_official", "frequency", "aggregation"]

    def perform_create(self, serializer):
        serializer.save(is_official=False, created_by=self.request.user)

    def destroy(self, request, *args, **kwargs):
        indicator = self.get_object()
        if indicator.values.exists() or indicator.reference_values.exists():
            return Response({"detail": _("该指标已有数据，不能删除")}, status=status.HTTP_409_CONFLICT)
        return super().destroy(request, *args, **kwargs)


def _period_filter(queryset: QuerySet, name: str, value: str) -> QuerySet:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value or "")
    if not match:
        return queryset.none()
    return queryset.filter(year=int(match.group(1)), month=int(match.group(2)))


class ValueFilter(django_filters.FilterSet):
    indicator = django_filters.CharFilter(field_name="indicator__code", label=_("指标代码"))
    region = django_filters.CharFilter(method="filter_region", label=_("区划代码"))
    subtree = django_filters.CharFilter(method="filter_noop", label=_("含下级区划（1）"))
    period = django_filters.CharFilter(method="filter_period", label=_("期别（YYYY-MM）"))
    history = django_filters.CharFilter(method="filter_noop", label=_("含历史修订版本（1）"))

    class Meta:
        model = IndicatorValue
        fields = ["indicator", "region", "year", "month", "basis", "period"]

    def filter_region(self, queryset, name, value):
        if self.data.get("subtree") in ("1", "true", "True"):
            region = Region.objects.filter(pk=value).first()
            return queryset.filter(region_subtree_q("region", region)) if region else queryset.none()
        return queryset.filter(region_id=value)

    def filter_period(self, queryset, name, value):
        return _period_filter(queryset, name, value)

    def filter_noop(self, queryset, name, value):
        return queryset


class ValueSerializer(serializers.ModelSerializer):
    indicator: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code",
                                                                       queryset=Indicator.objects.all())
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = IndicatorValue
        fields = ["id", "indicator", "region", "region_name", "year", "month", "basis", "month_value", "ytd_value",
                  "yoy_pct", "ytd_yoy_pct", "revision", "is_current", "source", "received_at", "base_enterprises",
                  "note"]
        read_only_fields = ["revision", "is_current", "source", "received_at", "base_enterprises", "basis"]
        validators: list = []  # a second figure for a key is a revision, decided by services.record_values

    def validate_region(self, value):
        if not visible_regions(self.context["request"].user).filter(pk=value.pk).exists():
            raise serializers.ValidationError(_("所选区划不在您的管辖范围内"))
        return value

    def validate(self, attrs):
        indicator, month = attrs["indicator"], attrs["month"]
        if month not in indicator.release_months():
            raise serializers.ValidationError({"month": _("该指标在此月份没有发布期（固定资产投资类无1月数据，季度指标为3、6、9、12月）")})
        if all(attrs.get(k) is None for k in ("month_value", "ytd_value", "yoy_pct", "ytd_yoy_pct")):
            raise serializers.ValidationError(_("本月、累计、同比%、累计同比%至少填写一项"))
        return attrs


class ValueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """指标数据 in the caller's region subtree; current revisions unless `history=1`."""

    serializer_class = ValueSerializer
    queryset = IndicatorValue.objects.all()
    filterset_class = ValueFilter
    ordering_fields = ["year", "month", "region", "ytd_yoy_pct", "ytd_value"]
    ordering = ["indicator", "region", "year", "month", "basis", "-revision"]

    def get_queryset(self):
        qs = IndicatorValue.objects.select_related("indicator", "region")
        if self.action == "list" and self.request.query_params.get("history") not in ("1", "true", "True"):
            qs = qs.filter(is_current=True)
        return scope(self.request.user, qs)

    def create(self, request, *args, **kwargs):
        if not can_edit_registry(request.user):
            return Response({"detail": _("只有经信部门干部可以报送指标数据")}, status=status.HTTP_403_FORBIDDEN)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        result = record_values([Figure(indicator_id=d["indicator"].pk, region_id=d["region"].pk, year=d["year"],
                                       month=d["month"], month_value=d.get("month_value"),
                                       ytd_value=d.get("ytd_value"), yoy_pct=d.get("yoy_pct"),
                                       ytd_yoy_pct=d.get("ytd_yoy_pct"), basis=Basis.OFFICIAL,
                                       note=d.get("note", ""))],
                               source=f"API：{request.user.username}"[:100])
        if not result.objects:
            current = IndicatorValue.objects.get(indicator=d["indicator"], region=d["region"], year=d["year"],
                                                 month=d["month"], basis=Basis.OFFICIAL, is_current=True)
            return Response(ValueSerializer(current, context={"request": request}).data, status=status.HTTP_200_OK)
        return Response(ValueSerializer(result.objects[0], context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class ReferenceSeriesSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReferenceSeries
        fields = ["id", "code", "name", "short_name", "style", "order"]


class ReferenceSeriesViewSet(viewsets.ReadOnlyModelViewSet):
    """参照系列: areas outside the region tree (全国, 东部地区); public reference data."""

    serializer_class = ReferenceSeriesSerializer
    queryset = ReferenceSeries.objects.all()
    lookup_field = "code"


class ReferenceValueFilter(django_filters.FilterSet):
    series = django_filters.CharFilter(field_name="series__code", label=_("参照系列代码"))
    indicator = django_filters.CharFilter(field_name="indicator__code", label=_("指标代码"))
    period = django_filters.CharFilter(method="filter_period", label=_("期别（YYYY-MM）"))

    class Meta:
        model = ReferenceValue
        fields = ["series", "indicator", "year", "month", "period"]

    def filter_period(self, queryset, name, value):
        return _period_filter(queryset, name, value)


class ReferenceValueSerializer(serializers.ModelSerializer):
    series: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    indicator: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ReferenceValue
        fields = ["id", "series", "indicator", "year", "month", "month_value", "ytd_value", "yoy_pct", "ytd_yoy_pct",
                  "revision", "source", "received_at"]


class ReferenceValueViewSet(viewsets.ReadOnlyModelViewSet):
    """参照数据 (current revisions): the same for every signed-in user."""

    serializer_class = ReferenceValueSerializer
    queryset = ReferenceValue.objects.current().select_related("series", "indicator")
    filterset_class = ReferenceValueFilter
    ordering = ["series", "indicator", "year", "month"]


class TargetSerializer(serializers.ModelSerializer):
    indicator: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = IndicatorTarget
        fields = ["id", "indicator", "region", "year", "target_value", "target_growth_pct", "note"]


class TargetViewSet(viewsets.ReadOnlyModelViewSet):
    """指标目标 in the caller's region subtree."""

    serializer_class = TargetSerializer
    queryset = IndicatorTarget.objects.all()
    filterset_fields = {"indicator__code": ["exact"], "region": ["exact"], "year": ["exact"]}
    ordering = ["indicator", "region", "year"]

    def get_queryset(self):
        return scope(self.request.user, IndicatorTarget.objects.select_related("indicator"))


def register(router) -> None:
    router.register("indicators", IndicatorViewSet)
    router.register("indicator-values", ValueViewSet)
    router.register("reference-series", ReferenceSeriesViewSet)
    router.register("reference-values", ReferenceValueViewSet)
    router.register("indicator-targets", TargetViewSet)
