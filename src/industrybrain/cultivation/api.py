"""REST API of the cultivation module; scoped exactly like the pages.

Register with `cultivation.api.register(router)` in api_urls.py:

    cultivation-runs              list, retrieve (by uuid), create {tier, as_of} (province officers, admins)
    cultivation-pool              list ?tier=&region=&industry=&failed=&sort=
    cultivation-certifications    list ?tier=&level=&status=&region=&industry=&batch=&year=&q=
    cultivation-tiers/<uscc>/     every tier's explanation for one enterprise
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from industrybrain.core.access import get_scoped_or_404, scope
from industrybrain.registry.models import Certification, Enterprise

from . import certificates, services
from .forms import CertificationFilter, PoolFilter
from .models import PoolEntry, TierRun


class RunSerializer(serializers.ModelSerializer):
    tier_display = serializers.CharField(source="get_tier_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    rule_version: serializers.Field = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = TierRun
        fields = ["uuid", "tier", "tier_display", "as_of", "rule_version", "region", "status", "status_display",
                  "progress", "stage", "enterprise_count", "pass_count", "fail_count", "unknown_count",
                  "pool_count", "duration_ms", "created_at", "started_at", "finished_at", "message"]
        read_only_fields = [f for f in fields if f not in ("tier", "as_of")]


class StartRunPermission(permissions.BasePermission):
    message = _("只有省级经信干部和系统管理员可以发起梯度评价")

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or services.can_start_runs(request.user)


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                 viewsets.GenericViewSet):
    serializer_class = RunSerializer
    permission_classes = [permissions.IsAuthenticated, StartRunPermission]
    lookup_field = "uuid"
    queryset = TierRun.objects.select_related("rule_version")

    def get_queryset(self):
        return scope(self.request.user, TierRun.objects.select_related("rule_version"))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run = services.start_run(request.user, serializer.validated_data["tier"],
                                     serializer.validated_data["as_of"])
        except services.RunError as exc:
            raise DRFValidationError({"tier": [str(exc)]}) from None
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class PoolSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc")
    name = serializers.CharField(source="enterprise.name")
    region = serializers.CharField(source="enterprise.region_id")
    industry = serializers.CharField(source="enterprise.industry_id")
    as_of = serializers.DateField(source="run.as_of")

    class Meta:
        model = PoolEntry
        fields = ["uscc", "name", "region", "industry", "tier", "as_of", "failed_count", "relative_gap",
                  "unknown_count", "score", "gaps"]


class PoolViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The cultivation pool of a tier's latest finished run (?tier=, default srdi_sme), closest first."""

    serializer_class = PoolSerializer
    queryset = PoolEntry.objects.none()

    def get_queryset(self):
        form = PoolFilter(self.request.query_params or None, user=self.request.user)
        if form.is_bound and not form.is_valid():
            raise DRFValidationError(form.errors)
        run = services.latest_run(form.tier_code())
        if run is None:
            return PoolEntry.objects.none()
        entries = scope(self.request.user, PoolEntry.objects.filter(run=run))
        return form.narrow(entries).select_related("enterprise", "run")


class CertificationSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc")
    enterprise_name = serializers.CharField(source="enterprise.name")
    region = serializers.CharField(source="enterprise.region_id")
    tier = serializers.CharField(source="kind")
    tier_display = serializers.SerializerMethodField()
    batch = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    review_status = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = ["id", "uscc", "enterprise_name", "region", "tier", "tier_display", "level", "batch", "issued_on",
                  "valid_until", "status", "review_status", "issuer", "document_no"]

    def get_tier_display(self, obj) -> str:
        return certificates.tier_label(obj.kind)

    def get_batch(self, obj) -> str:
        return certificates.batch_of(obj)

    def get_status(self, obj) -> str:
        return certificates.status_of(obj, self.context["today"])

    def get_review_status(self, obj) -> str:
        return certificates.review_of(obj)


class CertificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CertificationSerializer
    queryset = Certification.objects.none()

    def get_queryset(self):
        form = CertificationFilter(self.request.query_params or None, user=self.request.user)
        if form.is_bound and not form.is_valid():
            raise DRFValidationError(form.errors)
        certs = scope(self.request.user, certificates.tier_certifications())
        return form.narrow(certs).select_related("enterprise", "cultivation").order_by("-issued_on", "pk")

    def get_serializer_context(self):
        from django.utils import timezone

        return {**super().get_serializer_context(), "today": timezone.localdate()}


def _jsonable(value):
    import datetime as dt

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class TierExplanationViewSet(viewsets.ViewSet):
    """Every tier for one enterprise (by USCC): outcome, each criterion with value, threshold, result, gap."""

    lookup_field = "uscc"
    lookup_value_regex = "[0-9A-Z]{18}"

    @extend_schema(responses=OpenApiTypes.OBJECT,
                   description="每个层级的结论、每项条件的数值/门槛/结果与差距（按统一社会信用代码）")
    def retrieve(self, request, uscc=None):
        enterprise = get_scoped_or_404(request.user, Enterprise.objects.all(), uscc=uscc)
        assert isinstance(enterprise, Enterprise)
        out = []
        for x in services.tier_explanations(enterprise):
            out.append({
                "tier": x.tier.code, "tier_display": x.tier.label, "status": x.status,
                "as_of": x.as_of.isoformat() if x.as_of else None,
                "rule_version": str(x.version) if x.version else None, "message": x.message,
                "certifications": [{"level": c.level, "issued_on": c.issued_on.isoformat(),
                                    "valid_until": c.valid_until.isoformat() if c.valid_until else None}
                                   for c in x.certifications or []],
                "explanation": _jsonable(x.explanation),
                "gaps": [u.as_dict() for u in x.analysis.units] if x.analysis else [],
                "hints": x.hints or [],
            })
        return Response({"uscc": enterprise.uscc, "name": enterprise.name, "tiers": out})


def register(router) -> None:
    router.register("cultivation-runs", RunViewSet, basename="cultivation-run")
    router.register("cultivation-pool", PoolViewSet, basename="cultivation-pool")
    router.register("cultivation-certifications", CertificationViewSet, basename="cultivation-certification")
    router.register("cultivation-tiers", TierExplanationViewSet, basename="cultivation-tier")

