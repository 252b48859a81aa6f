"""REST API of the major-projects module; scoped exactly like the pages, actions through services.py.

Register with `projects.api.register(router)` in api_urls.py.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from industrybrain.core.access import get_scoped_or_404, scope, visible_regions
from industrybrain.registry import uscc as uscc_rules
from industrybrain.workflow.services import TransitionError

from . import alerts, crosscheck
from .models import (
    AlertKind,
    AlertRule,
    AlertSubject,
    Blocker,
    MonthlyInvestmentReport,
    Project,
    ProjectAlert,
    ProjectStageEvidence,
)
from .services import ActionError, ReportInput, can_edit, can_edit_rules, move_stage, submit_report
from .stages import STAGES


class ProjectSerializer(serializers.ModelSerializer):
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    programme_code: serializers.RelatedField = serializers.SlugRelatedField(source="programme", slug_field="code", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "code", "name", "enterprise", "investor_uscc", "investor_name", "region", "region_name",
                  "industry", "industry_category", "project_type", "programme", "programme_code",
                  "total_investment", "equipment_investment", "land_parcel", "land_area_mu", "responsible_leader",
                  "service_specialist", "stage", "stage_display", "stage_entered_on", "capacity_reached_on",
                  "description",
                  *[f"{kind}_{s}" for s in STAGES for kind in ("planned", "actual")]]
        read_only_fields = ["stage", "stage_entered_on", *[f"actual_{s}" for s in STAGES if s != "signed"]]

    def validate_region(self, value):
        if not visible_regions(self.context["request"].user).filter(pk=value.pk).exists():
            raise serializers.ValidationError(_("所选区划不在您的管辖范围内"))
        return value

    def validate_investor_uscc(self, value: str) -> str:
        if not value:
            return value
        try:
            return uscc_rules.validate(value)
        except uscc_rules.USCCError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs):
        enterprise = attrs.get("enterprise")
        if enterprise is not None:
            user = self.context["request"].user
            if not scope(user, enterprise.__class__.objects.filter(pk=enterprise.pk)).exists():
                raise serializers.ValidationError({"enterprise": _("该企业不在您的管辖范围内")})
            attrs.setdefault("investor_uscc", enterprise.uscc)
            attrs.setdefault("investor_name", enterprise.name)
        total, equipment = attrs.get("total_investment"), attrs.get("equipment_investment")
        if total is not None and equipment is not None and equipment > total:
            raise serializers.ValidationError({"equipment_investment": _("设备投资不能大于总投资")})
        return attrs


class MoveSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=STAGES)
    effective_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    land_parcel = serializers.CharField(required=False, allow_blank=True, default="")
    expected_stage = serializers.ChoiceField(choices=STAGES, required=False)
    token = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    evidence = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class OfficersWrite(permissions.BasePermission):
    """Reading follows the scope; creating, editing and deleting projects is for officers and admins."""

    message = _("只有经信部门干部可以维护项目")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or getattr(view, "action", None) == "move":
            return True
        return can_edit(request.user)


class ProjectViewSet(viewsets.ModelViewSet):
    serializer_class = ProjectSerializer
    queryset = Project.objects.all()
    permission_classes = [permissions.IsAuthenticated, OfficersWrite]
    filterset_fields = ["stage", "project_type", "programme", "region", "industry_category"]
    ordering_fields = ["code", "total_investment", "stage_entered_on"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return scope(self.request.user, Project.objects.select_related("region", "programme"))

    def perform_create(self, serializer):
        serializer.save(stage="signed", stage_entered_on=serializer.validated_data.get("actual_signed"))

    @action(detail=True, methods=["post"], serializer_class=MoveSerializer)
    def move(self, request, pk=None):
        """Move the project to another list (needs the actual date and evidence forward, a reason back)."""
        project = self.get_object()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            result = move_stage(project, request.user, d["target"], effective_date=d.get("effective_date"),
                                evidence=d["evidence"], reason=d["reason"], expected_stage=d.get("expected_stage"),
                                token=d["token"], data={"land_parcel": d["land_parcel"]})
        except TransitionError as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_409_CONFLICT
                            if exc.__class__.__name__ == "StaleTransition" else status.HTTP_400_BAD_REQUEST)
        return Response({"created": result.created, "transition": result.transition.pk,
                         "project": ProjectSerializer(result.obj, context={"request": request}).data})


class ReportSerializer(serializers.ModelSerializer):
    ytd_completed = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    cumulative_completed = serializers.DecimalField(max_digits=16, decimal_places=2, required=False,
                                                    allow_null=True)

    class Meta:
        model = MonthlyInvestmentReport
        fields = ["id", "project", "year", "month", "month_completed", "ytd_completed", "cumulative_completed",
                  "equipment_completed", "correction_note", "over_total_flag", "progress_note", "submitted_by",
                  "submitted_at", "source"]
        read_only_fields = ["submitted_by", "submitted_at", "source"]
        validators: list = []  # (project, year, month) is a correction, decided by the service


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    """Monthly investment reports; POST creates or corrects one month (validated by the service)."""

    serializer_class = ReportSerializer
    queryset = MonthlyInvestmentReport.objects.all()
    filterset_fields = ["project", "year", "month"]

    def get_queryset(self):
        return scope(self.request.user, MonthlyInvestmentReport.objects.all())

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        project = get_scoped_or_404(request.user, Project.objects.all(), pk=d["project"].pk)
        try:
            with transaction.atomic():
                report = submit_report(project, request.user, ReportInput(
                    year=d["year"], month=d["month"], month_completed=d["month_completed"],
                    ytd_completed=d.get("ytd_completed"), cumulative_completed=d.get("cumulative_completed"),
                    equipment_completed=d.get("equipment_completed"), correction_note=d.get("correction_note", ""),
                    over_total_flag=d.get("over_total_flag", False), progress_note=d.get("progress_note", "")))
        except ActionError as exc:
            raise DRFValidationError({"errors": exc.errors}) from None
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class AlertSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ProjectAlert
        fields = ["id", "kind", "kind_display", "rule", "severity", "project", "region", "programme", "stage",
                  "message", "condition", "values", "status", "first_detected_on", "last_detected_on", "closed_on"]


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AlertSerializer
    queryset = ProjectAlert.objects.all()
    filterset_fields = ["kind", "status", "severity", "project", "region"]

    def get_queryset(self):
        return scope(self.request.user, ProjectAlert.objects.all())


class BlockerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Blocker
        fields = ["id", "project", "raised_on", "description", "help_requested", "status", "resolved_on",
                  "resolution", "raised_by", "service_request_ref"]
        read_only_fields = ["raised_by"]


class BlockerViewSet(viewsets.ModelViewSet):
    serializer_class = BlockerSerializer
    queryset = Blocker.objects.all()
    filterset_fields = ["project", "status"]

    def get_queryset(self):
        return scope(self.request.user, Blocker.objects.all())

    def perform_create(self, serializer):
        project = get_scoped_or_404(self.request.user, Project.objects.all(),
                                    pk=serializer.validated_data["project"].pk)
        serializer.save(raised_by=self.request.user, project=project)

    def perform_update(self, serializer):
        get_scoped_or_404(self.request.user, Project.objects.all(), pk=serializer.validated_data.get(
            "project", serializer.instance.project).pk)
        serializer.save()


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectStageEvidence
        fields = ["id", "project", "stage", "transition", "original_name", "description", "uploaded_by",
                  "uploaded_at"]


class EvidenceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EvidenceSerializer
    queryset = ProjectStageEvidence.objects.all()
    filterset_fields = ["project", "stage"]

    def get_queryset(self):
        return scope(self.request.user, ProjectStageEvidence.objects.all())


@extend_schema_field({"type": "string", "enum": AlertKind.values,
                      "description": "stage_overdue / behind_time_progress / start_rate_below_curve / "
                                     "stage_too_long / other"})
class RuleKindField(serializers.ChoiceField):
    """The alert kind, inlined in the schema (ProjectAlert's `kind` enum keeps its component name)."""


class AlertRuleSerializer(serializers.ModelSerializer):
    kind = RuleKindField(choices=AlertKind.choices, default=AlertKind.OTHER)

    class Meta:
        model = AlertRule
        fields = ["code", "name", "kind", "subject", "condition", "message", "severity", "enabled", "order",
                  "description", "updated_by", "updated_at"]
        read_only_fields = ["updated_by", "updated_at"]

    def validate(self, attrs):
        """The condition and the message template against the subject's catalogue (Chinese, with a caret)."""
        current = self.instance
        subject = attrs.get("subject", current.subject if current else "project")
        errors = {}
        problems = alerts.condition_problems(subject, attrs.get("condition", current.condition if current else ""))
        if problems:
            errors["condition"] = problems
        problems = alerts.message_problems(subject, attrs.get("message", current.message if current else ""))
        if problems:
            errors["message"] = problems
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RulePreviewSerializer(serializers.Serializer):
    subject = serializers.ChoiceField(choices=AlertSubject.choices, default=AlertSubject.PROJECT)
    condition = serializers.CharField()
    message = serializers.CharField(required=False, allow_blank=True, default="")
    as_of = serializers.DateField(required=False, help_text="试算日期，默认今天")

    def validate(self, attrs):
        problems = alerts.condition_problems(attrs["subject"], attrs["condition"])
        if problems:
            raise serializers.ValidationError({"condition": problems})
        problems = alerts.message_problems(attrs["subject"], attrs["message"])
        if problems:
            raise serializers.ValidationError({"message": problems})
        return attrs


class RulesPermission(permissions.BasePermission):
    """Officers and administrators read the alert rules; province officers and administrators change them."""

    message = _("只有省级经信干部和管理员可以修改预警规则")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return can_edit(request.user)
        return can_edit_rules(request.user)


class AlertRuleViewSet(viewsets.ModelViewSet):
    """Alert rules of the shared rules language (by code); `preview` counts what a condition would alert."""

    serializer_class = AlertRuleSerializer
    queryset = AlertRule.objects.all()
    permission_classes = [permissions.IsAuthenticated, RulesPermission]
    lookup_field = "code"
    filterset_fields = ["kind", "subject", "enabled"]

    def perform_create(self, serializer):
        serializer.save(updated_by=self.request.user)

    def perform_update(self, serializer):
        serializer.save(updated_by=self.request.user)

    @extend_schema(request=RulePreviewSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["post"], serializer_class=RulePreviewSerializer)
    def preview(self, request):
        """How many subjects in the user's scope the condition would alert on a date (nothing is saved)."""
        data = RulePreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        rule = AlertRule(code="preview", name=_("试算"), subject=d["subject"], condition=d["condition"],
                         message=d["message"])
        result = alerts.preview(rule, d.get("as_of") or timezone.localdate(),
                                scope(request.user, Project.objects.all()))
        return Response({"total": result.total, "matched": result.matched, "unknown": result.unknown,
                         "sample": [{"message": f.message, "values": f.values, "project": f.project_id,
                                     "region": f.region_id} for f in result.sample]})


class CrossCheckRowSerializer(serializers.Serializer):
    region = serializers.CharField()
    region_name = serializers.CharField()
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    statistics = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True,
                                          help_text="工业投资1-N月（亿元）")
    statistics_growth = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    statistics_basis = serializers.CharField()
    projects = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="重大项目填报本年累计完成投资（亿元）")
    project_count = serializers.IntegerField()
    ratio = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True, help_text="项目/统计，%")
    diverges = serializers.BooleanField()
    direction = serializers.CharField(help_text="high / low / 空")


class CrossCheckSerializer(serializers.Serializer):
    caveat = serializers.CharField(help_text="口径说明")
    rows = CrossCheckRowSerializer(many=True)


class CrossCheckViewSet(viewsets.ViewSet):
    """工业投资 against the roll-up of the major projects' monthly reports (officers; scoped by region)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=[
        OpenApiParameter("region", str, description="区划代码（默认本人区划）；结果含该区划及其下一级"),
        OpenApiParameter("year", int), OpenApiParameter("month", int, description="只看某月（1-12）"),
        OpenApiParameter("low", float, description="比值下限%（默认5）"),
        OpenApiParameter("high", float, description="比值上限%（默认100）")],
        responses=CrossCheckSerializer)
    def list(self, request):
        if not can_edit(request.user):
            raise PermissionDenied(_("只有经信部门干部可以查看工业投资核对"))
        region, year, low, high = crosscheck.params(request.user, request.query_params)
        month = request.query_params.get("month", "")
        months = [int(month)] if month.isdigit() and 1 <= int(month) <= 12 else None
        rows = crosscheck.scoped_rows(request.user, region, year, low, high, months=months)
        return Response(CrossCheckSerializer({"caveat": str(crosscheck.CAVEAT),
                                              "rows": [r.as_dict() for r in rows]}).data)


def register(router) -> None:
    router.register("projects", ProjectViewSet)
    router.register("project-reports", ReportViewSet)
    router.register("project-alerts", AlertViewSet)
    router.register("project-blockers", BlockerViewSet)
    router.register("project-evidence", EvidenceViewSet)
    router.register("project-crosscheck", CrossCheckViewSet, basename="project-crosscheck")
    router.register("project-alert-rules", AlertRuleViewSet)
