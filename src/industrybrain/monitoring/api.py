"""REST API of 运行监测: rankings (published board), warning letters (scoped, moves through the workflow) and
electricity alerts (scoped). Register with `monitoring.api.register(router)` in api_urls.py.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from industrybrain.core.access import scope, visible_regions
from industrybrain.core.models import Region
from industrybrain.indicators.models import Indicator
from industrybrain.workflow.services import StaleTransition, TransitionError

from . import letters, published
from .models import ElectricityAlert, Level, TriggerHit, WarningLetter
from .rankings import build_board, province_of
from .views import GOVERNMENT, parse_period


class Government(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_administrator or user.role in GOVERNMENT))


class RankingRowSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    group = serializers.CharField()
    value = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    group_size = serializers.IntegerField()
    previous_rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    meets_average = serializers.BooleanField(allow_null=True)
    meets_target = serializers.BooleanField(allow_null=True)


class RankingViewSet(viewsets.ViewSet):
    """The board: `?indicator=CODE&period=YYYY-MM&level=city|county` (the user's province) — the newest published
    version when the board was published (`published` says which), else the current figures; `view=current`
    forces the current figures."""

    permission_classes = [permissions.IsAuthenticated, Government]
    serializer_class = RankingRowSerializer

    def list(self, request):
        indicator = Indicator.objects.filter(code=request.query_params.get("indicator", "")).first()
        period = parse_period(request.query_params.get("period", ""))
        level = request.query_params.get("level", Level.COUNTY)
        if indicator is None or period is None or level not in Level.values:
            return Response({"errors": [_("需要 indicator、period（YYYY-MM）和 level（city|county）")]},
                            status=status.HTTP_400_BAD_REQUEST)
        user = request.user
        province = province_of(user.region) if user.region_id else Region.objects.filter(
            pk=request.query_params.get("province", "330000"), level=Region.Level.PROVINCE).first()
        if province is None:
            raise Http404
        board = build_board(indicator, *period, level, province)
        snapshot = published.latest(indicator, board.year, board.month, level, province)
        meta = None
        if snapshot is not None:
            meta = {"version": snapshot.version, "published_at": snapshot.published_at,
                    "published_by": snapshot.published_by.username if snapshot.published_by else None,
                    "differs_from_current": bool(published.differences(published.as_board(snapshot), board))}
            if request.query_params.get("view") != "current":
                board = published.as_board(snapshot)
        visible = set(visible_regions(user).values_list("code", flat=True))
        rows = RankingRowSerializer(board.rows, many=True).data
        for row in rows:
            row["detail_visible"] = row["region"] in visible
        return Response({"indicator": indicator.code, "period": board.period, "level": level,
                         "province": province.code, "province_value": board.province_value,
                         "previous_period": f"{board.previous[0]}-{board.previous[1]:02d}" if board.previous else None,
                         "published": meta, "view": "published" if meta and request.query_params.get("view") != "current"
                         else "current", "rows": rows})


class LetterSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    state_display = serializers.SerializerMethodField()
    indicators: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = WarningLetter
        fields = ["id", "number", "region", "region_name", "year", "month", "indicators", "reasons", "figures",
                  "state", "state_display", "state_entered_on", "issued_on", "acknowledge_due_on", "plan_due_on",
                  "plan_text", "plan_submitted_on", "progress_notes", "closing_note"]
        read_only_fields = fields

    def get_state_display(self, obj) -> str:
        return letters.state_label(obj.state)


LETTER_STATE_CHOICES = letters.LETTER_FLOW.codes


class LetterMoveSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=LETTER_STATE_CHOICES)
    expected_state = serializers.ChoiceField(choices=LETTER_STATE_CHOICES, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    plan_text = serializers.CharField(required=False, allow_blank=True, default="")
    closing_note = serializers.CharField(required=False, allow_blank=True, default="")
    token = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)


class LetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LetterSerializer
    queryset = WarningLetter.objects.all()
    permission_classes = [permissions.IsAuthenticated, Government]
    filterset_fields = ["state", "region", "year", "month"]

    def get_queryset(self):
        return scope(self.request.user, WarningLetter.objects.select_related("region").prefetch_related("indicators"))

    @action(detail=True, methods=["post"], serializer_class=LetterMoveSerializer)
    def move(self, request, pk=None):
        letter = self.get_object()
        data = LetterMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            result = letters.move(letter, d["target"], request.user, scoped_queryset=self.get_queryset(),
                                  reason=d["reason"], expected_source=d.get("expected_state"), token=d["token"],
                                  data={k: d[k] for k in ("plan_text", "closing_note") if d[k]})
        except StaleTransition as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_409_CONFLICT)
        except TransitionError as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": result.created, "letter": LetterSerializer(result.obj).data})


class HitSerializer(serializers.ModelSerializer):
    indicator: serializers.RelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)

    class Meta:
        model = TriggerHit
        fields = ["id", "year", "month", "region", "indicator", "rule", "rule_name", "peer_group", "value", "rank",
                  "group_size", "months", "reason", "condition", "evidence"]


class HitViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = HitSerializer
    queryset = TriggerHit.objects.all()
    permission_classes = [permissions.IsAuthenticated, Government]
    filterset_fields = ["year", "month", "region", "rule"]

    def get_queryset(self):
        return scope(self.request.user, TriggerHit.objects.select_related("indicator", "rule"))


class ElectricityAlertSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = ElectricityAlert
        fields = ["id", "year", "month", "enterprise", "enterprise_name", "region", "industry", "electricity",
                  "baseline", "last_year", "baseline_pct", "yoy_pct", "below_baseline", "yoy_drop", "level"]


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ElectricityAlertSerializer
    queryset = ElectricityAlert.objects.all()
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["year", "month", "region", "industry", "level"]

    def get_queryset(self):
        return scope(self.request.user, ElectricityAlert.objects.select_related("enterprise"))


def register(router) -> None:
    router.register("monitoring/rankings", RankingViewSet, basename="monitoring-rankings")
    router.register("monitoring/letters", LetterViewSet, basename="monitoring-letters")
    router.register("monitoring/trigger-hits", HitViewSet, basename="monitoring-hits")
    router.register("monitoring/electricity-alerts", AlertViewSet, basename="monitoring-alerts")


