"""REST API of 惠企政策直达; scoped exactly like the pages, actions through services.py.

Register with `policies.api.register(router)` in api_urls.py.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from industrybrain.core.access import get_scoped_or_404, scope
from industrybrain.workflow.services import TransitionError

from . import services
from .models import Case, Disbursement, Policy, PolicyMatch
from .views import visible_policies


class PolicySerializer(serializers.ModelSerializer):
    mode_display = serializers.CharField(source="get_mode_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Policy
        fields = ["id", "code", "title", "summary", "document_title", "document_number", "issuer", "issued_on",
                  "published_on", "department", "kind", "kind_display", "region", "valid_from", "valid_to", "mode",
                  "mode_display", "status", "eligibility", "amount_formula", "cap_per_enterprise", "budget",
                  "rule_version", "beneficiaries", "conditions_text", "fulfilment_time", "office_address", "phone",
                  "materials"]


class MatchSerializer(serializers.ModelSerializer):
    policy_title = serializers.CharField(source="policy.title", read_only=True)

    class Meta:
        model = PolicyMatch
        fields = ["id", "policy", "policy_title", "enterprise", "outcome", "amount", "reasons", "values",
                  "rule_version", "as_of"]


class CaseSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Case
        fields = ["id", "policy", "enterprise", "mode", "state", "state_display", "state_entered_on", "department",
                  "review_step", "amount_requested", "amount_approved", "accepted_on", "due_on", "publicity_ends_on",
                  "decided_on", "paid_on", "rating", "snapshot"]


class DisbursementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disbursement
        fields = ["id", "case", "policy", "enterprise", "amount", "paid_on", "batch"]


class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """The policy library (active policies are public; drafts only within the user's scope)."""

    serializer_class = PolicySerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Policy.objects.all()

    def get_queryset(self):
        return visible_policies(self.request.user).order_by("-issued_on", "code")


class MatchViewSet(viewsets.ReadOnlyModelViewSet):
    """Match results (我的政策 for enterprise users); filter with ?policy=&outcome=."""

    serializer_class = MatchSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = PolicyMatch.objects.all()

    def get_queryset(self):
        qs = scope(self.request.user, PolicyMatch.objects.select_related("policy")).order_by("pk")
        for key in ("policy", "outcome", "enterprise"):
            if self.request.query_params.get(key):
                qs = qs.filter(**{key: self.request.query_params[key]})
        return qs

    def paginate_queryset(self, queryset):
        from .matching import hydrate  # rows of the set-based match get their reasons derived here

        page = super().paginate_queryset(queryset)
        return None if page is None else hydrate(page)

    def get_object(self):
        from .matching import hydrate

        return hydrate([super().get_object()])[0]


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Delivery cases; POST /cases/{id}/act/ {action, reason, token, amount, step, bank_name, bank_account}."""

    serializer_class = CaseSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Case.objects.all()

    def get_queryset(self):
        return scope(self.request.user, Case.objects.all()).order_by("-pk")

    @action(detail=True, methods=["post"])
    def act(self, request, pk=None):
        case = get_scoped_or_404(request.user, Case.objects.all(), pk=pk)
        data, user = request.data, request.user
        name, token, reason = data.get("action", ""), str(data.get("token", ""))[:64], data.get("reason", "")
        try:
            if name in ("keep", "remove"):
                services.review_listed(case, user, name == "keep", reason=reason, token=token)
            elif name == "end_publicity":
                services.end_publicity(case, user, token=token)
            elif name == "confirm_account":
                services.confirm_account(case, user, data.get("bank_name", ""), data.get("bank_account", ""), token=token)
            elif name == "submit":
                services.submit(case, user, token=token)
            elif name == "withdraw":
                services.withdraw(case, user, reason, token=token)
            elif name == "accept":
                services.accept(case, user, token=token)
            elif name in ("approve", "reject"):
                amount = Decimal(str(data["amount"])) if data.get("amount") not in (None, "") else None
                services.review(case, user, name == "approve", amount=amount, reason=reason,
                                step=int(data["step"]) if data.get("step") not in (None, "") else None)
            elif name == "pay":
                services.pay(case, user, idempotency_key=token or uuid.uuid4().hex)
            else:
                raise DRFValidationError({"action": [_("未知的操作")]})
        except TransitionError as exc:
            raise DRFValidationError({"errors": exc.errors}) from None
        return Response(CaseSerializer(Case.objects.get(pk=case.pk)).data)


class DisbursementViewSet(viewsets.ReadOnlyModelViewSet):
    """The disbursement ledger (scoped: an enterprise sees its own payments only)."""

    serializer_class = DisbursementSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Disbursement.objects.all()

    def get_queryset(self):
        return scope(self.request.user, Disbursement.objects.all()).order_by("-paid_on", "-pk")


def register(router) -> None:
    router.register("policies", PolicyViewSet, basename="policy")
    router.register("policy-matches", MatchViewSet, basename="policy-match")
    router.register("policy-cases", CaseViewSet, basename="policy-case")
    router.register("policy-disbursements", DisbursementViewSet, basename="policy-disbursement")


