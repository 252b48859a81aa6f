"""The one access mechanism: every queryset a user reaches goes through `scope()`.

A scoped model declares how it reaches the things access is decided on:

    class Enterprise(models.Model):
        scope_paths = ScopePaths(region="region", enterprise="", steward="steward")

`region` is the path to a Region FK, `enterprise` the path to the Enterprise ("" means the model is the
enterprise), `steward` the path to the steward user, `department` the path to a Department FK, `owner` the path to the user who owns a
personal record (an import job: only its owner and administrators see it). A role
sees rows through exactly one of these; a model that lacks the path a role needs shows that role nothing.
Scopes are composed as ORM Q objects, never as SQL text.
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Region, Role, User
from .scope_paths import ScopePaths


def _join(*parts: str) -> str:
    return "__".join(p for p in parts if p)


def paths_of(model: type[Model]) -> ScopePaths:
    paths = getattr(model, "scope_paths", None)
    if paths is None:
        raise TypeError(f"{model.__name__} declares no scope_paths and cannot be shown to users")
    return paths


def region_q(paths: ScopePaths, region: Region | None) -> Q:
    if paths.region is None or region is None:
        return Q(pk__in=[])
    return region_subtree_q(paths.region, region)


def region_subtree_q(field: str, region: Region) -> Q:
    """Rows whose `field` (a Region FK path) lies in the region's subtree.

    Measured at 1,000,000 enterprises on SQLite (docs/BENCHMARKS.md): a county is fastest as a code list
    (the (region, …) index is searched directly), while a city or a province is fastest as a join on the
    region path, which lets a sorted page walk the sort column's index and stop after one page instead of
    sorting hundreds of thousands of rows.
    """
    if region.level == Region.Level.COUNTY:
        return Q(**{_join(field, "in"): list(region.subtree().values_list("code", flat=True))})
    return Q(**{_join(field, "path", "startswith"): region.path})


def scope_q(user: User, model: type[Model]) -> Q:
    """The Q selecting the rows of `model` that `user` may see."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_administrator:
        return Q()
    paths = paths_of(model)
    if paths.owner is not None:
        return Q(**{_join(paths.owner, "pk"): user.pk})
    return role_q(user, paths)


def role_q(user: User, paths: ScopePaths) -> Q:
    role = user.role
    if role in (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER):
        return region_q(paths, user.region)
    if role == Role.DEPARTMENT_REVIEWER:
        if paths.department is None:
            return region_q(paths, user.region)
        if not user.department_id:
            return Q(pk__in=[])
        return Q(**{_join(paths.department, "pk"): user.department_id})
    if role == Role.STEWARD:
        if paths.steward is None:
            return Q(pk__in=[])
        return Q(**{_join(paths.steward, "pk"): user.pk})
    if role == Role.ENTERPRISE_USER:
        if paths.enterprise is None or not user.enterprise_id:
            return Q(pk__in=[])
        return Q(**{_join(paths.enterprise, "pk"): user.enterprise_id})
    return Q(pk__in=[])


def scope(user: User, queryset: QuerySet) -> QuerySet:
    return queryset.filter(scope_q(user, queryset.model))


def get_scoped_or_404(user: User, queryset: QuerySet, **lookup) -> Model:
    """Fetch one object the user may see; anything else is a 404, never a 403 that confirms existence."""
    try:
        return scope(user, queryset).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404(_("未找到该记录或无权查看")) from None


def can_edit_registry(user: User) -> bool:
    """Officers and administrators maintain the registry; others read it (enterprise users file facts)."""
    return user.is_authenticated and (user.is_administrator or user.is_officer)


def visible_regions(user: User) -> QuerySet[Region]:
    if user.is_administrator:
        return Region.objects.all()
    if user.region is None:
        return Region.objects.none()
    return user.region.subtree()
