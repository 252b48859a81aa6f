"""Small builders for test data: valid enterprises, facts and one user per role."""

from __future__ import annotations

import itertools
from decimal import Decimal

from industrybrain.core.models import Department, Region, Role, User
from industrybrain.registry.models import Enterprise, YearlyFact
from industrybrain.registry.uscc import make_uscc

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_counter = itertools.count(1)


def next_org_body() -> str:
    """A fresh 8-character organisation-code body whose check character is USCC-legal."""
    from industrybrain.registry.uscc import organisation_code_check_char

    while True:
        n = next(_counter)
        body, value = "", n
        for _ in range(7):
            body = _ALPHABET[value % len(_ALPHABET)] + body
            value //= len(_ALPHABET)
        body = "M" + body
        if organisation_code_check_char(body) in "0123456789X":
            return body


def uscc_for(region_code: str) -> str:
    return make_uscc(region_code, next_org_body())


def enterprise(region: str = "330106", industry: str = "3973", name: str | None = None, **kwargs) -> Enterprise:
    code = uscc_for(region)
    return Enterprise.objects.create(uscc=code, name=name or f"测试企业{code[-6:]}", region_id=region,
                                     industry_id=industry, **kwargs)


def yearly_fact(ent: Enterprise, year: int = 2023, **values) -> YearlyFact:
    defaults = {"revenue": Decimal("5000"), "main_business_revenue": Decimal("4800"), "staff": 120}
    defaults.update(values)
    fact = YearlyFact.objects.create(enterprise=ent, year=year, **defaults)
    ent.refresh_classification()
    ent.save(update_fields=["size_class", "above_scale"])
    return fact


def user(username: str, role: str, region: str | None = None, **kwargs) -> User:
    return User.objects.create_user(username=username, password="test-pass-123", role=role,
                                    region=Region.objects.get(pk=region) if region else None, **kwargs)


def role_users(own_enterprise: Enterprise) -> dict[str, User]:
    """One user per role; the county, enterprise and steward users all touch `own_enterprise`."""
    steward = user("steward", Role.STEWARD, "330106")
    own_enterprise.steward = steward
    own_enterprise.save(update_fields=["steward"])
    return {
        "province": user("province", Role.PROVINCE_OFFICER, "330000"),
        "city": user("city", Role.CITY_OFFICER, "330100"),
        "county": user("county", Role.COUNTY_OFFICER, "330106"),
        "reviewer": user("reviewer", Role.DEPARTMENT_REVIEWER, "330000",
                         department=Department.objects.get(code="zj-kjt")),
        "steward": steward,
        "enterprise": user("ent", Role.ENTERPRISE_USER, enterprise=own_enterprise),
        "admin": user("admin", Role.ADMINISTRATOR),
    }
