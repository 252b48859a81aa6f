"""The certification registry as the cultivation module shows it: tier certificates with batch, expiry
and re-review status; the expiring-certificate alerts (list + notifications, sent once per certificate)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_noop

from industrybrain.core.models import Notification, User
from industrybrain.registry.models import Certification

from . import tiers
from .models import CertificationInfo, ExpiryAlert, ReviewStatus


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_valid_until(issued_on: dt.date) -> dt.date:
    """Three years from the issue date, the day before (tiers.md: 有效期3年)."""
    return add_months(issued_on, 12 * tiers.VALIDITY_YEARS) - dt.timedelta(days=1)


def tier_certifications(queryset: QuerySet[Certification] | None = None) -> QuerySet[Certification]:
    qs = queryset if queryset is not None else Certification.objects.all()
    return qs.filter(kind__in=tiers.TIER_CODES)


def expiring_q(day: dt.date, months: int = tiers.EXPIRY_WARNING_MONTHS) -> Q:
    return Q(valid_until__gte=day, valid_until__lte=add_months(day, months))


def status_of(cert: Certification, day: dt.date) -> str:
    if cert.issued_on > day:
        return gettext_noop("未生效")
    if cert.valid_until is not None and cert.valid_until < day:
        return gettext_noop("已过期")
    if cert.valid_until is not None and cert.valid_until <= add_months(day, tiers.EXPIRY_WARNING_MONTHS):
        return gettext_noop("6个月内到期")
    return gettext_noop("有效")


def info_of(cert: Certification) -> CertificationInfo | None:
    try:
        return cert.cultivation  # type: ignore[attr-defined]
    except CertificationInfo.DoesNotExist:
        return None


def batch_of(cert: Certification) -> str:
    info = info_of(cert)
    return info.batch if info else ""


def review_of(cert: Certification) -> str:
    info = info_of(cert)
    return str(ReviewStatus(info.review_status).label) if info else str(ReviewStatus.NONE.label)


def tier_label(kind: str) -> str:
    tier = tiers.tier_of_kind(kind)
    return tier.label if tier else kind


@dataclass
class AlertResult:
    certificates: int = 0
    notifications: int = 0


def recipients(cert: Certification) -> list[User]:
    """The enterprise's steward and its active enterprise users."""
    enterprise = cert.enterprise
    people = list(User.objects.filter(enterprise=enterprise, is_active=True))
    if enterprise.steward_id and enterprise.steward is not None and enterprise.steward.is_active:
        people.append(enterprise.steward)
    seen: set[int] = set()
    return [u for u in people if not (u.pk in seen or seen.add(u.pk))]  # type: ignore[func-returns-value]


def send_expiry_alerts(day: dt.date) -> AlertResult:
    """Notify the steward and users of every enterprise whose tier certificate expires within 6 months.

    Each certificate is notified once per expiry date (ExpiryAlert is unique on both), so the check can run
    daily; a renewed certificate (new expiry date) is notified again when its turn comes.
    """
    result = AlertResult()
    due = (tier_certifications().filter(expiring_q(day)).select_related("enterprise", "enterprise__steward")
           .order_by("valid_until", "pk"))
    done = set(ExpiryAlert.objects.filter(certification__in=due).values_list("certification_id", "valid_until"))
    notices: list[Notification] = []
    alerts: list[ExpiryAlert] = []
    for cert in due:
        if (cert.pk, cert.valid_until) in done:
            continue
        assert cert.valid_until is not None
        people = recipients(cert)
        days = (cert.valid_until - day).days
        title = f"资质即将到期：{cert.enterprise.name}的{tier_label(cert.kind)}将于{cert.valid_until}到期"
        body = (f"{cert.enterprise.name}（{cert.enterprise.uscc}）的“{cert.name}”（{cert.level or '—'}，"
                f"认定日期{cert.issued_on}）有效期至{cert.valid_until}，还有{days}天。请及时准备复核（复评）材料。")
        url = reverse("cultivation:enterprise-tiers", args=[cert.enterprise.uscc])
        notices.extend(Notification(user=u, title=title[:200], body=body, url=url) for u in people)
        alerts.append(ExpiryAlert(certification=cert, valid_until=cert.valid_until, checked_on=day,
                                  recipients=len(people)))
    Notification.objects.bulk_create(notices, batch_size=1000)
    ExpiryAlert.objects.bulk_create(alerts, batch_size=1000, ignore_conflicts=True)
    result.certificates, result.notifications = len(alerts), len(notices)
    return result
