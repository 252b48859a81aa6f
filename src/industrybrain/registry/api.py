"""Enterprises and their facts over the API, scoped exactly like the pages."""

from rest_framework import serializers, viewsets

from industrybrain.core.access import scope

from .models import Enterprise


class EnterpriseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "name", "region", "industry", "founded_on", "ownership", "size_class",
                  "above_scale"]


class EnterpriseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EnterpriseSerializer
    queryset = Enterprise.objects.all()

    def get_queryset(self):
        return scope(self.request.user, Enterprise.objects.select_related("region", "industry"))


def register(router) -> None:
    router.register("enterprises", EnterpriseViewSet)
