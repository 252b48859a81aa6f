"""Reference data over the API: regions, industries, industry systems and their categories.

Read-only for every signed-in user (reference data is public within the platform); administrators
maintain it in the admin. Lookups are by official code.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from .models import Industry, IndustryCategory, IndustrySystem, Region


class ApiPagination(PageNumberPagination):
    """?page=N&page_size=M (at most 500) for every list of the API."""

    page_size_query_param = "page_size"
    max_page_size = 500


class RegionSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "full_name", "level", "level_display", "parent", "longitude", "latitude",
                  "tags"]


class IndustrySerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Industry
        fields = ["code", "name", "level", "level_display", "parent", "section"]


class IndustryCategorySerializer(serializers.ModelSerializer):
    system: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    industries: serializers.RelatedField = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text=_("对应的国民经济行业代码（任一层级，含其下级行业）"))

    class Meta:
        model = IndustryCategory
        fields = ["code", "name", "kind", "kind_display", "system", "order", "industries"]


class IndustrySystemSerializer(serializers.ModelSerializer):
    categories: serializers.RelatedField = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text=_("该产业体系下的分类代码"))

    class Meta:
        model = IndustrySystem
        fields = ["code", "name", "jurisdiction", "source", "categories"]


class IndustryCategoryFilter(django_filters.FilterSet):
    system = django_filters.CharFilter(field_name="system__code", label=_("产业体系代码"))

    class Meta:
        model = IndustryCategory
        fields = ["system", "kind"]


class ReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]


class RegionViewSet(ReferenceViewSet):
    """GB/T 2260 行政区划 (province → city → county). `?parent=330100` lists the counties of 杭州市."""

    queryset = Region.objects.select_related("parent__parent")
    serializer_class = RegionSerializer
    filterset_fields = ["level", "parent"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "level"]


class IndustryViewSet(ReferenceViewSet):
    """GB/T 4754-2017 国民经济行业分类: 门类 (level 1) to 小类 (level 4)."""

    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    filterset_fields = ["level", "parent", "section"]
    search_fields = ["^code", "name"]
    ordering_fields = ["code", "name", "level"]


class IndustrySystemViewSet(ReferenceViewSet):
    """产业体系: a jurisdiction's own taxonomy (上海 3+6, 浙江 415X…)."""

    queryset = IndustrySystem.objects.prefetch_related("categories")
    serializer_class = IndustrySystemSerializer
    lookup_field = "code"
    filterset_fields = ["jurisdiction"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class IndustryCategoryViewSet(ReferenceViewSet):
    """产业体系分类 with the system's code and the GB/T 4754 codes mapped to it."""

    queryset = IndustryCategory.objects.select_related("system").prefetch_related("industries")
    serializer_class = IndustryCategorySerializer
    lookup_field = "code"
    filterset_class = IndustryCategoryFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "order"]


def register(router) -> None:
    router.register("regions", RegionViewSet)
    router.register("industries", IndustryViewSet)
    router.register("industry-systems", IndustrySystemViewSet)
    router.register("industry-categories", IndustryCategoryViewSet)


class ObtainTokenView(ObtainAuthToken):
    """POST username and password, get the caller's API token (`Authorization: Token <key>`).

    Authentication goes through django-axes like the login page: after repeated failures the account
    is locked and even the right password gets a 403, not a token.
    """

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # axes marks the request it was given (the DRF request) when the account is locked out.
            if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
                return Response({"detail": _("该账号因连续登录失败已被暂时锁定，请30分钟后再试，或联系系统管理员解锁。")},
                                status=status.HTTP_403_FORBIDDEN)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
