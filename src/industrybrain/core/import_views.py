"""Import pages: upload with an immediate dry run, the report, apply in the background, templates.

Only officers and administrators import (`can_edit_registry`; anyone else gets 403). Jobs are personal
records (`ImportJob.scope_paths.owner`): a job of someone else is a 404, administrators see all.
"""

from __future__ import annotations

from functools import wraps
from pathlib import PurePath
from typing import TYPE_CHECKING, cast
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import imports
from .access import can_edit_registry, get_scoped_or_404, scope
from .exports import xlsx_response
from .models import ImportJob
from .tasks import queue_import_job

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
ALLOWED_SUFFIXES = (".xlsx", ".csv")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def importer_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_edit_registry(request.user):
            raise PermissionDenied(_("仅经信干部和系统管理员可以导入数据"))
        return view(request, *args, **kwargs)

    return wrapper


def kind_choices() -> list[tuple[str, StrOrPromise]]:
    return [(kind, _(importer.label)) for kind, importer in imports.importers().items()]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入类型"))
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name).suffix.lower()
        if suffix == ".xls":
            raise forms.ValidationError(_("不支持.xls旧格式，请用Excel另存为.xlsx（Excel工作簿）后重试"))
        if suffix not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(_("不支持的文件类型“%(suffix)s”，请上传.xlsx或.csv文件")
                                        % {"suffix": suffix or upload.name})
        if upload.size == 0:
            raise forms.ValidationError(_("文件为空"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过100MB，请拆分后分批导入"))
        return upload


def _jobs(request):
    return scope(request.user, ImportJob.objects.select_related("created_by"))


def _job(request, pk: int) -> ImportJob:
    return cast(ImportJob, get_scoped_or_404(request.user, _jobs(request), pk=pk))


@importer_required
def import_list(request):
    page = Paginator(_jobs(request), 30).get_page(request.GET.get("page"))
    labels = dict(kind_choices())
    for job in page:
        job.kind_label = labels.get(job.kind, job.kind)
    return render(request, "core/import_list.html", {"page": page, "kinds": kind_choices()})


@importer_required
def import_new(request):
    form = ImportForm(request.POST or None, request.FILES or None, initial={"kind": request.GET.get("kind")})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob.objects.create(kind=form.cleaned_data["kind"], file=upload,
                                       original_name=PurePath(upload.name).name[:200], created_by=request.user)
        imports.dry_run_job(job)
        return redirect("core:import-detail", pk=job.pk)
    return render(request, "core/import_new.html", {"form": form, "kinds": kind_choices()})


@importer_required
def import_detail(request, pk: int):
    job = _job(request, pk)
    running = job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    if request.htmx and request.GET.get("progress"):
        if not running:  # finished: reload the whole page to show the outcome
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "core/import_progress.html", {"job": job, "running": running})
    errors = Paginator(job.errors, 100).get_page(request.GET.get("page"))
    return render(request, "core/import_detail.html", {
        "job": job, "kind_label": _(imports.kind_label(job.kind)), "errors": errors, "running": running,
        "can_apply": job.status == ImportJob.Status.CHECKED})


@require_POST
@importer_required
def import_apply(request, pk: int):
    job = _job(request, pk)
    if queue_import_job(job):
        messages.success(request, _("已提交后台导入，完成后本页会自动更新。"))
    else:
        messages.warning(request, _("该批次当前状态为“%(status)s”，不能再次导入。") % {"status": job.get_status_display()})
    return redirect("core:import-detail", pk=job.pk)


@importer_required
def import_template(request, kind: str):
    importer = imports.importers().get(kind)
    if importer is None:
        raise Http404(_("未知的导入类型"))
    response = HttpResponse(imports.template_xlsx(importer), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(importer.label + '导入模板.xlsx')}"
    return response


@importer_required
def import_errors(request, pk: int):
    job = _job(request, pk)
    return xlsx_response(f"导入错误报告-{job.pk}.xlsx", "错误明细", imports.error_columns(), job.errors)


@importer_required
def import_file(request, pk: int):
    job = _job(request, pk)
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("原始文件已不存在")) from None
    return FileResponse(handle, as_attachment=True, filename=job.original_name)
