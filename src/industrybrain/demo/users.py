"""Demo logins: one per role, each with a region, department, assignment or enterprise that shows its scope.

`make demo`, `industrybrain demo` and the docs print the same table (`login_table_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from industrybrain.core.models import Department, Region, Role, User
from industrybrain.registry.models import Enterprise

DEMO_PASSWORD = "Demo!2023"  # noqa: S105 (published demo login) — passes the configured validators (length ≥ 8, not common, not numeric)
DEMO_URL = "http://127.0.0.1:8000"

# Stewards exist before the province is generated, so that enterprises are assigned as they are written.
# region → usernames; the first is the demo login "steward" (西湖区).
STEWARDS: dict[str, tuple[str, ...]] = {
    "330106": ("steward", "steward-330106-2"),
    "330109": ("steward-330109",),
    "330212": ("steward-330212",),
    "330382": ("steward-330382",),
    "330782": ("steward-330782",),
    "310115": ("steward-310115",),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    display_name: str
    region: str | None = None
    department: str | None = None
    scope: str = ""

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("province", Role.PROVINCE_OFFICER, "省经信厅·王处长", "330000", scope="浙江省全省"),
    DemoLogin("city", Role.CITY_OFFICER, "杭州市经信局·李科长", "330100", scope="杭州市及所辖区县"),
    DemoLogin("county", Role.COUNTY_OFFICER, "西湖区经信局·张科员", "330106", scope="杭州市西湖区"),
    DemoLogin("reviewer", Role.DEPARTMENT_REVIEWER, "省科技厅·陈审核", "330000", "zj-kjt",
              scope="浙江省科学技术厅（送审事项；只读浏览全省企业库）"),
    DemoLogin("steward", Role.STEWARD, "西湖区服务管家·刘管家", "330106", scope="分管的西湖区规上及重点企业"),
    DemoLogin("enterprise", Role.ENTERPRISE_USER, "企业填报员·周会计", scope="本企业"),
    DemoLogin("admin", Role.ADMINISTRATOR, "系统管理员", scope="全部（用户、参考数据、导入、审计）"),
)


def _upsert(username: str, role: str, display_name: str, region: str | None, department: str | None = None,
            enterprise: Enterprise | None = None, admin: bool = False) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"role": role})
    user.role = role
    user.display_name = display_name
    user.region = Region.objects.get(pk=region) if region else None
    user.department = Department.objects.get(code=department) if department else None
    if enterprise is not None:
        user.enterprise = enterprise
    user.is_staff = user.is_superuser = admin
    user.is_active = True
    if created:
        user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def ensure_stewards() -> dict[str, list[int]]:
    """The steward users (idempotent); returns region code → user ids for the generator."""
    out: dict[str, list[int]] = {}
    with transaction.atomic():
        for region, usernames in STEWARDS.items():
            for k, username in enumerate(usernames):
                name = "西湖区服务管家·刘管家" if username == "steward" else f"服务管家{region}-{k + 1}"
                out.setdefault(region, []).append(_upsert(username, Role.STEWARD, name, region).pk)
    return out


def demo_enterprise() -> Enterprise | None:
    """The enterprise user's company: the first 规上 enterprise in 西湖区 (any there if none is 规上)."""
    xihu = Enterprise.objects.filter(region_id="330106", yearly_facts__isnull=False).distinct().order_by("id")
    return xihu.filter(above_scale=True).first() or xihu.first()


def ensure_demo_users() -> list[DemoLogin]:
    """Create or refresh the demo logins (idempotent); passwords are set only when a user is created."""
    ensure_stewards()
    own = demo_enterprise()
    with transaction.atomic():
        for login in DEMO_LOGINS:
            if login.role == Role.STEWARD:
                continue  # created by ensure_stewards
            _upsert(login.username, login.role, login.display_name, login.region, login.department,
                    enterprise=own if login.role == Role.ENTERPRISE_USER else None,
                    admin=login.role == Role.ADMINISTRATOR)
        if own is not None and own.steward_id is None:
            Enterprise.objects.filter(pk=own.pk).update(steward=User.objects.get(username="steward"))
    return list(DEMO_LOGINS)


def login_table_rows() -> list[tuple[str, str, str, str]]:
    """(角色, 用户名, 密码, 可见范围) per demo login; the enterprise row names the bound enterprise."""
    rows = []
    for login in DEMO_LOGINS:
        scope = login.scope
        if login.role == Role.ENTERPRISE_USER:
            user = User.objects.filter(username=login.username).select_related("enterprise").first()
            if user and user.enterprise:
                scope = f"本企业：{user.enterprise.name}"
        elif login.role == Role.STEWARD:
            count = Enterprise.objects.filter(steward__username=login.username).count()
            scope = f"{scope}（{count}家）"
        rows.append((login.role_label, login.username, DEMO_PASSWORD, scope))
    return rows


def login_table_text() -> str:
    rows = [("角色", "用户名", "密码", "可见范围"), *login_table_rows()]
    return "\n".join(" | ".join(row) for row in rows)
