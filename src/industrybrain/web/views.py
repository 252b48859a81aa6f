from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from industrybrain.core.access import scope
from industrybrain.registry.models import Enterprise


def scope_label(user) -> str:
    if user.is_administrator:
        return _("全部数据（系统管理员）")
    if user.role == "enterprise_user":
        return _("本企业：%(enterprise)s") % {"enterprise": user.enterprise or _("未绑定企业")}
    if user.role == "steward":
        return _("分管企业（服务管家）")
    return _("%(region)s及下辖地区") % {"region": user.region.full_name if user.region else _("未设置区划")}


@login_required
def home(request):
    enterprises = scope(request.user, Enterprise.objects.all())
    return render(request, "web/home.html", {
        "enterprise_count": enterprises.count(),
        "above_scale_count": enterprises.filter(above_scale=True).count(),
        "scope_label": scope_label(request.user),
    })
