"""Enterprises and their facts over the API, scoped exactly like the pages.

Every queryset goes through `core.access.scope`; an enterprise outside the caller's scope is a 404 on
retrieve, update and its facts, and never appears in a list. The enterprise list uses the pages'
`EnterpriseFilter`, so pages and API filter the same way.
"""

from __future__ import annotations

import django_filters
from auditlog.context import set_actor
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from industrybrain.core.access import can_edit_registry, scope
from industrybrain.core.api import ApiPagination

from .filters import EnterpriseFilter
from .models import DailyElectricity, Enterprise, MonthlyFact, YearlyFact
from .serializers import (
    DailyElectricitySerializer,
    EnterpriseSerializer,
    EnterpriseWriteSerializer,
    MonthlyFactSerializer,
    YearlyFactSerializer,
)


class CanEditRegistry(permissions.BasePermission):
    """Everyone signed in reads (within scope); officers and administrators write (`can_edit_registry`)."""

    message = _("您没有维护企业库的权限")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or can_edit_registry(request.user)


class AuditedWritesMixin:
    """Token-authenticated requests are authenticated after the audit middleware ran: name the actor here."""

    def _actor(self):
        request = self.request  # type: ignore[attr-defined]
        return set_actor(request.user, remote_addr=request.META.get("REMOTE_ADDR"))

    def perform_create(self, serializer):
        with self._actor():
            serializer.save()

    def perform_update(self, serializer):
        with self._actor():
            serializer.save()


class ScopedFilterBackend(DjangoFilterBackend):
    """The pages' FilterSets take the user: their region and category choices are the user's own."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {**super().get_filterset_kwargs(request, queryset, view), "user": request.user}


class EnterpriseViewSet(AuditedWritesMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """企业库（一企一档）: the caller's scope only, filtered and sorted like the enterprise list page.

    `q` searches the name or a USCC prefix; `region` includes the regions under it; `industry` takes a
    GB/T 4754 code at any level (C, 39, 397, 3973); `sort` = uscc, name, region, founded_on (prefix `-`
    to reverse). Officers and administrators may create and update enterprises within their regions.
    """

    queryset = Enterprise.objects.all()
    permission_classes = [CanEditRegistry]
    pagination_class = ApiPagination
    filter_backends = [ScopedFilterBackend]
    filterset_class = EnterpriseFilter

    def get_queryset(self):
        queryset = Enterprise.objects.select_related("region", "industry").prefetch_related("tags")
        return scope(self.request.user, queryset)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return EnterpriseWriteSerializer
        return EnterpriseSerializer

    @extend_schema(summary=_("企业年度数据（含各指标来源）"), responses=YearlyFactSerializer(many=True))
    @action(detail=True, url_path="yearly-facts", serializer_class=YearlyFactSerializer,
            filter_backends=[], pagination_class=ApiPagination)
    def yearly_facts(self, request, pk=None):
        enterprise = self.get_object()
        facts = YearlyFact.objects.filter(enterprise=enterprise).select_related("source_department")
        return self._paginated(facts.order_by("year"), YearlyFactSerializer)

    @extend_schema(summary=_("企业月度数据（含各指标来源）"), responses=MonthlyFactSerializer(many=True))
    @action(detail=True, url_path="monthly-facts", serializer_class=MonthlyFactSerializer,
            filter_backends=[], pagination_class=ApiPagination)
    def monthly_facts(self, request, pk=None):
        enterprise = self.get_object()
        facts = MonthlyFact.objects.filter(enterprise=enterprise).select_related("source_department")
        return self._paginated(facts.order_by("year", "month"), MonthlyFactSerializer)

    def _paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


class YearlyFactFilter(django_filters.FilterSet):
    # A plain number, not a model choice: an out-of-scope id gives an empty list, not a "no such choice" error.
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label=_("企业ID"))
    year_min = django_filters.NumberFilter(field_name="year", lookup_expr="gte", label=_("起始年度"))
    year_max = django_filters.NumberFilter(field_name="year", lookup_expr="lte", label=_("截止年度"))

    class Meta:
        model = YearlyFact
        fields = ["enterprise", "year"]


class MonthlyFactFilter(YearlyFactFilter):
    class Meta:
        model = MonthlyFact
        fields = ["enterprise", "year", "month"]


class FactViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]

    def get_queryset(self):
        model = self.serializer_class.Meta.model  # type: ignore[union-attr]
        return scope(self.request.user, model.objects.select_related("source_department"))


class YearlyFactViewSet(FactViewSet):
    """企业年度数据 within the caller's scope; `?enterprise=ID&year=2023`."""

    queryset = YearlyFact.objects.all()
    serializer_class = YearlyFactSerializer
    filterset_class = YearlyFactFilter
    ordering_fields = ["year", "enterprise"]
    ordering = ["enterprise", "year"]


class MonthlyFactViewSet(FactViewSet):
    """企业月度数据 within the caller's scope; `?enterprise=ID&year=2024&month=6`."""

    queryset = MonthlyFact.objects.all()
    serializer_class = MonthlyFactSerializer
    filterset_class = MonthlyFactFilter
    ordering_fields = ["year", "month", "enterprise"]
    ordering = ["enterprise", "year", "month"]


class DailyElectricityFilter(django_filters.FilterSet):
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label=_("企业ID"))
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=_("起始日期"))
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=_("截止日期"))

    class Meta:
        model = DailyElectricity
        fields = ["enterprise", "day"]


class DailyElectricityViewSet(viewsets.ReadOnlyModelViewSet):
    """企业日用电量 within the caller's scope; `?enterprise=ID` is required (a province holds ~10^8 readings),
    optionally `&day_from=2023-12-01&day_to=2023-12-31`."""

    queryset = DailyElectricity.objects.all()
    serializer_class = DailyElectricitySerializer
    filterset_class = DailyElectricityFilter
    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return scope(self.request.user, DailyElectricity.objects.order_by("enterprise_id", "day"))

    def list(self, request, *args, **kwargs):
        if not request.query_params.get("enterprise", "").isdigit():
            raise ValidationError({"enterprise": [_("请指定企业ID（enterprise）；日用电量按企业查询")]})
        return super().list(request, *args, **kwargs)


def register(router) -> None:
    router.register("enterprises", EnterpriseViewSet)
    router.register("yearly-facts", YearlyFactViewSet)
    router.register("monthly-facts", MonthlyFactViewSet)
    router.register("daily-electricity", DailyElectricityViewSet)
