"""Navigation shared by every page: the modules that exist, filtered by what the user may open."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    roles: frozenset[str] | None = None  # None: every signed-in user

    def url(self) -> str:
        return reverse(self.url_name)


OFFICERS = frozenset({"province_officer", "city_officer", "county_officer", "administrator"})
GOVERNMENT = OFFICERS | {"department_reviewer", "steward"}
ENTERPRISE = frozenset({"enterprise_user"})

MODULES: tuple[NavItem, ...] = (
    NavItem(gettext_noop("首页"), "home", "house"),
    NavItem(gettext_noop("企业库"), "registry:enterprise-list", "building"),
    NavItem(gettext_noop("驾驶舱"), "monitoring:cockpit", "speedometer2", OFFICERS),
    NavItem(gettext_noop("运行监测"), "monitoring:board", "graph-up", OFFICERS | {"department_reviewer"}),
    NavItem(gettext_noop("梯度培育"), "cultivation:ladder", "bar-chart-steps", GOVERNMENT),
    NavItem(gettext_noop("培育自评"), "cultivation:self-assessment", "clipboard-check", ENTERPRISE),
    NavItem(gettext_noop("惠企政策"), "policies:policy-list", "gift", GOVERNMENT),
    NavItem(gettext_noop("我的政策"), "policies:my-policies", "gift", ENTERPRISE),
    NavItem(gettext_noop("重大项目"), "projects:project-list", "kanban"),
    NavItem(gettext_noop("数据导入"), "core:import-list", "upload", OFFICERS),
    NavItem(gettext_noop("工作日历"), "core:calendar", "calendar3"),
)


def visible_modules(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    role = "administrator" if user.is_administrator else user.role
    return [m for m in MODULES if m.roles is None or role in m.roles]


def navigation(request) -> dict:
    items = visible_modules(request.user)
    unread = 0
    if request.user.is_authenticated:
        unread = request.user.notifications.filter(read_at__isnull=True).count()
    return {"nav_items": [(m, m.url()) for m in items], "unread_notifications": unread}
