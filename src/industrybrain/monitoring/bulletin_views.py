"""The 运行简报 page and its .docx download (/monitoring/bulletin/?region=CODE&period=YYYY-MM).

The region must lie in the user's scope (anything else is a 404, like every object of the platform). The
bulletin reads the region's own figures and, for comparisons, the published cumulative rate of its
province and of the reference series (全国, 东部) — public aggregates that a region's bulletin cites.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from industrybrain.core.access import visible_regions
from industrybrain.core.models import Region
from industrybrain.indicators import services

from .bulletin import Bulletin, build_bulletin, figure_rows, render_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _region(request) -> Region:
    regions = visible_regions(request.user)
    code = request.GET.get("region", "")
    if code:
        region = regions.filter(pk=code).first()
        if region is None:
            raise Http404(_("未找到该记录或无权查看"))
        return region
    region = request.user.region if request.user.region_id else regions.filter(level=Region.Level.PROVINCE).first()
    if region is None:
        raise Http404(_("未找到该记录或无权查看"))
    return region


def _period(request, region: Region) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", request.GET.get("period", ""))
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    return services.latest_period(region)


def _bulletin(request) -> tuple[Region, Bulletin | None]:
    region = _region(request)
    period = _period(request, region)
    if period is None:
        return region, None
    return region, build_bulletin(region, *period)


@login_required
def bulletin(request):
    region, result = _bulletin(request)
    regions = visible_regions(request.user).filter(level__lte=Region.Level.COUNTY).order_by("path")
    return render(request, "monitoring/bulletin.html", {
        "region": region, "bulletin": result, "rows": figure_rows(result) if result else [],
        "regions": regions, "period": f"{result.year}-{result.month:02d}" if result else ""})


@login_required
def bulletin_docx(request):
    region, result = _bulletin(request)
    if result is None:
        raise Http404(_("该地区暂无指标数据"))
    data = render_docx(result, issuer=region.name, date_text=timezone.localdate().strftime("%Y年%m月%d日"))
    response = HttpResponse(data, content_type=DOCX)
    name = f"{result.title}.docx"
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename=\"bulletin.docx\"; filename*=UTF-8''{quote(name)}"
    return response
