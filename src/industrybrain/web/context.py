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


MODULES: tuple[NavItem, ...] = (
    NavItem(gettext_noop("首页"), "home", "house"),
    NavItem(gettext_noop("企业库"), "registry:enterprise-list", "building"),
    NavItem(gettext_noop("重大项目"), "projects:project-list", "kanban"),
    NavItem(gettext_noop("项目预警"), "projects:alert-list", "exclamation-triangle"),
    NavItem(gettext_noop("数据导入"), "core:import-list", "upload",
            frozenset({"province_officer", "city_officer", "county_officer", "administrator"})),
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
