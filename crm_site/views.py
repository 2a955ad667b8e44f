from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from crm_site.exports import UnknownExportKind, export_job_start, list_state
from crm_site.home import home_lines
from crm_site.models import ExportJob
from crm_site.navigation import AREAS_BY_KEY, area_required
from crm_site.notifications import notifications_for, notifications_mark_read


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"lines": home_lines(request.user)})


def area_home(request: HttpRequest, area_key: str) -> HttpResponse:
    """The landing page of an area whose own pages are still to come (one view serves all)."""

    @area_required(area_key)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "area_home.html", {"area": AREAS_BY_KEY[area_key]})

    return view(request)


@login_required
def export_jobs(request: HttpRequest) -> HttpResponse:
    """The user's own background exports; the page polls while one is being written."""
    jobs = list(ExportJob.objects.filter(user=request.user)[:50])
    context = {"jobs": jobs, "busy": any(job.status in ("pending", "running") for job in jobs)}
    template = "exports.html#jobs" if request.htmx else "exports.html"
    return render(request, template, context)


@require_POST
@login_required
def export_job_create(request: HttpRequest) -> HttpResponse:
    params = list_state(QueryDict(request.POST.get("query", "")))
    try:
        export_job_start(user=request.user, kind=request.POST.get("kind", ""), params=params)
    except UnknownExportKind as error:
        raise BadRequest(str(error)) from error
    return redirect("export-jobs")  # the page says the export is being written while it polls it


@login_required
def export_job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(ExportJob, pk=pk, user=request.user, status=ExportJob.Status.SUCCEEDED)
    if not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications; looking changes nothing (marking them read is a POST)."""
    return render(request, "notifications.html", {"items": notifications_for(user=request.user)})


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark the notifications named by `id` read (a damaged id names none), or without `id` all of
    the user's unread ones."""
    values = request.POST.getlist("id")
    ids = [int(value) for value in values if value.isdigit() and len(value) < 19] if values else None
    notifications_mark_read(user=request.user, ids=ids)
    return redirect("notifications")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to: send them to the icon we have
    (resolved per request: the hashed static name exists only after collectstatic)."""
    return redirect(static("favicon.svg"))
