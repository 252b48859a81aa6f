import datetime as dt
from decimal import Decimal

import pytest

from industrybrain.projects.models import AnnualPlan, Programme, Project

_seq = iter(range(1, 10**6))


def make_project(region="330106", enterprise=None, stage="signed", total=Decimal("50000"), **kwargs) -> Project:
    n = next(_seq)
    defaults = {
        "code": f"T{n:06d}", "name": kwargs.pop("name", f"测试项目{n}"), "region_id": region,
        "enterprise": enterprise,
        "investor_name": enterprise.name if enterprise else "新落地投资有限公司",
        "investor_uscc": enterprise.uscc if enterprise else "",
        "stage": stage, "total_investment": total, "actual_signed": dt.date(2026, 1, 10),
        "stage_entered_on": dt.date(2026, 1, 10),
    }
    defaults.update(kwargs)
    return Project.objects.create(**defaults)


@pytest.fixture
def project_factory(db):
    return make_project


@pytest.fixture
def xihu_project(db, xihu_enterprise):
    return make_project("330106", xihu_enterprise, name="西湖芯片扩产项目",
                        programme=Programme.objects.get(code="qxwy-manufacturing"))


@pytest.fixture
def plan(db):
    def build(project, amount, year=2026):
        return AnnualPlan.objects.create(project=project, year=year, amount=Decimal(amount))
    return build
