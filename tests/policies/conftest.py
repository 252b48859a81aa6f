import datetime as dt
import itertools
from decimal import Decimal

import pytest

from industrybrain.core.models import Department
from industrybrain.policies.models import DeliveryMode, Policy, PolicyKind
from tests import factories

AS_OF = dt.date(2024, 3, 31)  # last year = 2023
_seq = itertools.count(1)


def make_policy(**kwargs) -> Policy:
    n = next(_seq)
    defaults = {
        "code": f"test-{n}", "title": kwargs.pop("title", f"测试政策{n}"), "document_title": "《测试文件》",
        "document_number": f"测试〔2024〕{n}号", "issuer": "浙江省经济和信息化厅", "issued_on": dt.date(2024, 1, 10),
        "department": Department.objects.get(code="zj-jxt"), "kind": PolicyKind.SUBSIDY, "region_id": "330000",
        "valid_from": dt.date(2024, 1, 1), "mode": DeliveryMode.AUTO_GRANT, "status": Policy.Status.ACTIVE,
        "eligibility": "rd_ratio_last_year >= 3 AND revenue_last_year >= 2000",
        "amount_formula": "rd_expense_last_year * 0.1", "cap_per_enterprise": Decimal("50"),
        "materials": "营业执照\n研发费用专项审计报告",
    }
    defaults.update(kwargs)
    return Policy.objects.create(**defaults)


def firm(region="330106", revenue="5000", rd="200", name=None, **facts):
    """An enterprise with 2023 accounts (revenue, R&D) — R&D ratio = 100 × rd / revenue."""
    ent = factories.enterprise(region, "3973", name=name)
    factories.yearly_fact(ent, 2023, revenue=Decimal(revenue), rd_expense=Decimal(rd) if rd is not None else None,
                          **facts)
    return ent


@pytest.fixture
def policy_factory(db):
    return make_policy


@pytest.fixture
def firm_factory(db):
    return firm
