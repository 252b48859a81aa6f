"""The rules admin: every list and form opens; an evaluated rule version is read-only; text is validated."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from industrybrain.rules import evaluate as ev
from industrybrain.rules.loader import LIBRARY, load_library
from industrybrain.rules.models import EnterpriseAttribute, RuleVersion
from tests.rules.cases import build_enterprise, load_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(roles):
    user = roles["admin"]
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def evaluated():
    load_library()
    _spec, suite, _ = load_cases(LIBRARY / "tiers" / "innovative_sme_2022.cases.yaml")
    ent = build_enterprise(suite["base"], datetime.date(2023, 7, 1))
    evaluation = ev.evaluate_rule("innovative_sme", datetime.date(2023, 7, 1))
    return evaluation, ent


def test_every_rules_list_and_form_opens(administrator, evaluated):
    evaluation, ent = evaluated
    attr = EnterpriseAttribute.objects.filter(enterprise=ent).first()
    for name in ("rule", "ruleversion", "enterpriseattribute", "evaluation", "featuresnapshot"):
        assert administrator.get(reverse(f"admin:rules_{name}_changelist")).status_code == 200, name
    for url in (reverse("admin:rules_rule_change", args=[evaluation.rule_version.rule_id]),
                reverse("admin:rules_ruleversion_change", args=[evaluation.rule_version_id]),
                reverse("admin:rules_enterpriseattribute_change", args=[attr.pk]),
                reverse("admin:rules_evaluation_change", args=[evaluation.pk]),
                reverse("admin:rules_ruleversion_add")):
        assert administrator.get(url).status_code == 200, url


def test_evaluated_version_is_read_only_and_drafts_are_validated(administrator, evaluated):
    evaluation, _ent = evaluated
    page = administrator.get(reverse("admin:rules_ruleversion_change", args=[evaluation.rule_version_id])).content.decode()
    assert 'name="text"' not in page  # no editable text area
    draft = RuleVersion.objects.filter(evaluations__isnull=True, rule__code="srdi_sme").first()
    url = reverse("admin:rules_ruleversion_change", args=[draft.pk])
    assert 'name="text"' in administrator.get(url).content.decode()
    bad = draft.text.replace("years_in_niche", "years_in_nich")
    assert bad != draft.text
    response = administrator.post(url, {"rule": draft.rule_id, "version": draft.version, "valid_from": draft.valid_from.isoformat(),
                                        "text": bad, "status": "active", "document": ""})
    assert response.status_code == 200 and "未知字段" in response.content.decode()
    assert RuleVersion.objects.get(pk=draft.pk).text == draft.text
