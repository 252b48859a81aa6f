from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from industrybrain.core.access import get_scoped_or_404, scope

from .models import Enterprise


@login_required
def enterprise_list(request):
    enterprises = scope(request.user, Enterprise.objects.select_related("region", "industry"))
    page = Paginator(enterprises, 50).get_page(request.GET.get("page"))
    return render(request, "registry/enterprise_list.html", {"page": page})


@login_required
def enterprise_detail(request, pk: int):
    enterprise = get_scoped_or_404(request.user, Enterprise.objects.select_related("region", "industry"), pk=pk)
    return render(request, "registry/enterprise_detail.html", {"enterprise": enterprise})
