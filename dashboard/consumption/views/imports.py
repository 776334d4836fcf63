"""The import history: every run, newest first; a run's files; a file's turned-away rows.

Each page has one table, paged; a page link swaps that table alone through htmx and pushes the URL.
"""
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..forms import ImportFileParamsForm, ImportRunParamsForm, ImportRunsParamsForm
from ..models import ImportFile, ImportRun
from .paging import no_such_page, with_links

RUNS_PER_PAGE = 25
FILES_PER_PAGE = 50
ROWS_PER_PAGE = 100


@require_safe
def import_runs(request: HttpRequest) -> HttpResponse:
    form = ImportRunsParamsForm(request.GET)
    # files_skipped counts every file not imported; the rejected ones are told apart from the others.
    runs = ImportRun.objects.annotate(files_passed_over=F("files_skipped") - F("files_rejected")).order_by("-pk")
    page, notices = _page(runs, form, "page", RUNS_PER_PAGE)
    ctx = {"runs": page, "notices": form.notices() + notices}
    return _render(request, "consumption/imports.html", ctx, targets={"runs"})


@require_safe
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=run_id)
    form = ImportRunParamsForm(request.GET, statuses=ImportFile.Status.choices)
    form.is_valid()
    status = form.cleaned_data.get("status") or ""
    files = run.files.order_by("pk")
    if status:
        files = files.filter(status=status)
    page, notices = _page(files, form, "page", FILES_PER_PAGE)
    ctx = {
        "run": run,
        "files": page,
        "status": status,
        "status_choices": [("", "All"), *ImportFile.Status.choices],
        "notes": [line for line in run.message.splitlines() if line],
        "notices": form.notices() + notices,
    }
    return _render(request, "consumption/import_run.html", ctx, targets={"files"})


@require_safe
def import_file(request: HttpRequest, run_id: int, file_id: int) -> HttpResponse:
    record = get_object_or_404(ImportFile.objects.select_related("run"), pk=file_id, run_id=run_id)
    form = ImportFileParamsForm(request.GET)
    rejected, rejected_notices = _page(record.rejected_rows.order_by("line_number"), form, "page", ROWS_PER_PAGE)
    superseded, superseded_notices = _page(
        record.superseded.order_by("superseded_line"), form, "superseded_page", ROWS_PER_PAGE)
    ctx = {
        "run": record.run,
        "file": record,
        "rejected": rejected,
        "superseded": superseded,
        "notices": form.notices() + rejected_notices + superseded_notices,
    }
    return _render(request, "consumption/import_file.html", ctx, targets={"rejected", "superseded"})


def _page(rows: QuerySet, form, name: str, per_page: int) -> tuple[Page, list[str]]:
    """The page of `rows` the form's `name` asks for; past the last page, the last, with a notice.
    The page carries `links`: the query strings of its neighbours, the request's other parameters kept."""
    form.is_valid()
    number = form.cleaned_data.get(name) or 1
    paginator = Paginator(rows, per_page)
    try:
        page, notices = paginator.page(number), []
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
        notices = [no_such_page(number, paginator.num_pages)]
    return with_links(page, form.data, name), notices


def _render(request: HttpRequest, template: str, ctx: dict, targets: set[str]) -> HttpResponse:
    """The whole page, or for htmx the partial its target names."""
    htmx = request.htmx
    if htmx and not htmx.history_restore_request and htmx.target in targets:
        template = f"{template}#{htmx.target}"
    response = render(request, template, ctx)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
