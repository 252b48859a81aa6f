"""Reference data over the API: regions, industries, industry systems (read-only, all signed-in users)."""

from rest_framework import serializers, viewsets

from .models import Industry, IndustryCategory, Region


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "longitude", "latitude", "tags"]


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name", "level", "parent", "section"]


class IndustryCategorySerializer(serializers.ModelSerializer):
    system: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    industries: serializers.RelatedField = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True)

    class Meta:
        model = IndustryCategory
        fields = ["code", "name", "kind", "system", "industries"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_fields = ["level", "parent"]


class IndustryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    filterset_fields = ["level", "parent", "section"]


class IndustryCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = IndustryCategory.objects.select_related("system").prefetch_related("industries")
    serializer_class = IndustryCategorySerializer
    lookup_field = "code"
    filterset_fields = ["kind"]


def register(router) -> None:
    router.register("regions", RegionViewSet)
    router.register("industries", IndustryViewSet)
    router.register("industry-categories", IndustryCategoryViewSet)
