from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .access import scope
from .models import ImportJob


@login_required
def import_list(request):
    jobs = scope(request.user, ImportJob.objects.select_related("created_by"))
    page = Paginator(jobs, 30).get_page(request.GET.get("page"))
    return render(request, "core/import_list.html", {"page": page})
