import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import calendar
from .models import CalendarDay, CalendarYear


@login_required
def notifications(request):
    page = Paginator(request.user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "core/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_mark_read(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("core:notifications")


@login_required
def calendar_view(request):
    """The working-day calendar for a year: exceptions, and a deadline calculator."""
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    result = error = None
    start_text, days_text = request.GET.get("start", ""), request.GET.get("days", "")
    if start_text and days_text:
        try:
            start = dt.date.fromisoformat(start_text)
            days = int(days_text)
            if days < 0 or days > 1000:
                raise ValueError
            result = calendar.add_working_days(start, days)
        except calendar.UnknownCalendarYear as exc:
            error = str(exc)
        except ValueError:
            error = _("请输入正确的起始日期（YYYY-MM-DD）和0–1000之间的工作日天数")
    return render(request, "core/calendar.html", {
        "year": year,
        "days": CalendarDay.objects.filter(date__year=year),
        "known_years": CalendarYear.objects.all(),
        "year_known": CalendarYear.objects.filter(year=year).exists(),
        "start": start_text, "days_count": days_text, "result": result, "error": error,
    })
