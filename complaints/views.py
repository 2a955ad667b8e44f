from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from complaints.forms import MoveForm, TicketFilter, TicketForm
from complaints.models import Ticket, TicketAttachment
from complaints.selectors import (
    QUEUES,
    complaints_report,
    queue_conditions,
    queue_counts,
    retailer_tickets,
    standard_answers_for,
    ticket_events,
    ticket_owner_choices,
    tickets_visible_to,
)
from complaints.services import (
    TicketMoveRefused,
    moves_for,
    ticket_add_note,
    ticket_assign,
    ticket_attach,
    ticket_create,
    ticket_move,
)
from crm_site.excel import Column, Sheet, xlsx_download
from crm_site.exports import list_state
from crm_site.formatting import format_month
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from crm_site.pagination import keyset_paginate
from crm_site.roles import may_see_full_phones
from retailers.models import Region
from retailers.selectors import retailers_matching, retailers_visible_to, service_areas_visible_to

PAGE_SIZE = 50


def _queue(request: HttpRequest) -> tuple[str, TicketFilter]:
    queue = request.GET.get("queue", "open")
    if queue not in QUEUES:
        queue = "open"
    tickets = tickets_visible_to(request.user).select_related("retailer__service_area", "owner")
    tickets = tickets.filter(queue_conditions(request.user, timezone.now())[queue])
    regions = Region.objects.filter(pk__in=service_areas_visible_to(request.user).values("region_id"))
    return queue, TicketFilter(request.GET, queryset=tickets, regions=regions)


@area_required("complaints")
def ticket_queue(request: HttpRequest) -> HttpResponse:
    queue, ticket_filter = _queue(request)
    context = {
        "queue": queue,
        "queues": QUEUES,
        "counts": queue_counts(tickets=tickets_visible_to(request.user), user=request.user, now=timezone.now()),
        "filter": ticket_filter,
        "page": keyset_paginate(
            ticket_filter.qs, order_by="-created_at", cursor=request.GET.get("after"), size=PAGE_SIZE
        ),
        "now": timezone.now(),
    }
    template = "complaints/queue.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


TICKET_EXPORT_COLUMNS = [
    Column(_l("Ticket"), 16), Column(_l("Licence number"), 16), Column(_l("Shop name"), 22), Column(_l("channel"), 10),
    Column(_l("Category"), 12), Column(_l("Priority"), 8), Column(_l("Step"), 12),
    Column(pgettext_lazy("ticket owner", "Owner"), 10),
    Column(_l("received at"), 16, "datetime"), Column(_l("Step due"), 16, "datetime"),
    Column(_l("closed at"), 16, "datetime"), Column(_l("satisfaction (1–5)"), 8, "number"),
    Column(_l("description"), 40),
]  # fmt: skip


@area_required("complaints")
def ticket_export(request: HttpRequest) -> HttpResponse:
    _queue_name, ticket_filter = _queue(request)
    rows = (
        (
            t.number,
            t.retailer.license_no,
            t.retailer.name,
            t.get_channel_display(),
            t.get_category_display(),
            t.get_priority_display(),
            t.get_status_display(),
            str(t.owner or ""),
            t.created_at,
            t.step_due_at,
            t.closed_at,
            t.satisfaction,
            t.description,
        )
        for t in ticket_filter.qs.order_by("-created_at").iterator(chunk_size=2000)
    )
    return xlsx_download(
        user=request.user,
        kind="tickets",
        filename="tickets",
        sheets=[Sheet(_("Tickets"), TICKET_EXPORT_COLUMNS, rows)],
        filters=list_state(request.GET),
    )


@area_required("complaints")
def retailer_lookup(request: HttpRequest) -> HttpResponse:
    """As the clerk types a licence number, name or phone: the matching shops (htmx)."""
    term = request.GET.get("q", "")
    shops = (
        retailers_matching(
            retailers_visible_to(request.user), term, by_phone=may_see_full_phones(request.user)
        ).select_related("service_area")[:10]
        if len(term.strip()) >= 2
        else []
    )
    return render(request, "complaints/partials/retailer_choices.html", {"shops": shops})


@area_required("complaints")
def ticket_create_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("complaints.add_ticket"):
        raise PermissionDenied
    form = TicketForm(request.POST or None, initial={"retailer": request.GET.get("retailer")})
    if request.method == "POST" and form.is_valid():
        retailer = get_object_or_404(retailers_visible_to(request.user), pk=form.cleaned_data.pop("retailer"))
        try:
            ticket = ticket_create(retailer=retailer, data=form.cleaned_data, created_by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Ticket %(number)s logged.") % {"number": ticket.number})
            return redirect("complaints:ticket-detail", pk=ticket.pk)
    preset = None
    if str(form["retailer"].value() or "").isdigit():
        preset = retailers_visible_to(request.user).filter(pk=form["retailer"].value()).first()
    return render(request, "complaints/ticket_form.html", {"form": form, "preset": preset})


def _visible_ticket_or_404(request: HttpRequest, pk: int) -> Ticket:
    return get_object_or_404(
        tickets_visible_to(request.user).select_related("retailer__service_area__region", "owner", "created_by"), pk=pk
    )


@area_required("complaints")
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket_or_404(request, pk)
    context = {
        "ticket": ticket,
        "events": ticket_events(ticket=ticket),
        "moves": moves_for(ticket=ticket, user=request.user),
        "move_form": MoveForm(),
        "answers": standard_answers_for(ticket=ticket),
        "attachments": list(ticket.attachments.all()),
        "owners": ticket_owner_choices(ticket=ticket)
        if request.user.has_perm("complaints.work_ticket") and ticket.is_open
        else [],
        "now": timezone.now(),
    }
    return render(request, "complaints/ticket_detail.html", context)


def _refusal(request: HttpRequest, error: Exception) -> None:
    messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error))


@require_POST
@area_required("complaints")
def ticket_move_view(request: HttpRequest, pk: int, move: str) -> HttpResponse:
    ticket = _visible_ticket_or_404(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_message(form, with_details=True))
        return redirect("complaints:ticket-detail", pk=pk)
    try:
        ticket = ticket_move(ticket=ticket, move=move, user=request.user, data=form.cleaned_data)
    except (TicketMoveRefused, ValidationError) as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Ticket moved to “%(step)s”.") % {"step": ticket.get_status_display()})
    return redirect("complaints:ticket-detail", pk=pk)


@require_POST
@area_required("complaints")
def ticket_note_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket_or_404(request, pk)
    try:
        ticket_add_note(ticket=ticket, text=request.POST.get("text", ""), user=request.user)
    except (TicketMoveRefused, ValidationError) as error:
        _refusal(request, error)
    return redirect("complaints:ticket-detail", pk=pk)


@require_POST
@area_required("complaints")
def ticket_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket_or_404(request, pk)
    owner_id = request.POST.get("owner", "")
    owner = get_object_or_404(ticket_owner_choices(ticket=ticket), pk=owner_id) if owner_id.isdigit() else None
    if owner is None:
        messages.error(request, _("Choose who takes the ticket."))
        return redirect("complaints:ticket-detail", pk=pk)
    try:
        ticket_assign(ticket=ticket, owner=owner, assigned_by=request.user)
    except (TicketMoveRefused, ValidationError) as error:
        _refusal(request, error)
    return redirect("complaints:ticket-detail", pk=pk)


@require_POST
@area_required("complaints")
def ticket_attach_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket_or_404(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to attach."))
    else:
        try:
            ticket_attach(ticket=ticket, upload=upload, user=request.user)
        except (TicketMoveRefused, ValidationError) as error:
            _refusal(request, error)
        else:
            messages.success(request, _("Attached “%(file)s”.") % {"file": upload.name})
    return redirect("complaints:ticket-detail", pk=pk)


@area_required("complaints")
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Uploaded files are never served from a public URL: only to users who see the ticket."""
    attachment = get_object_or_404(TicketAttachment, pk=pk, ticket__in=tickets_visible_to(request.user))
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"  # the browser keeps to the type; never renders it as a page
    return response


@area_required("complaints")
def retailer_tickets_panel(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    return render(
        request,
        "complaints/retailer_tickets.html",
        {"retailer": retailer, "tickets": retailer_tickets(retailer=retailer)},
    )


def _report(request: HttpRequest) -> dict:
    if not request.user.has_perm("complaints.view_ticket_report"):
        raise PermissionDenied
    return complaints_report(tickets=tickets_visible_to(request.user))


@area_required("complaints")
def report(request: HttpRequest) -> HttpResponse:
    return render(request, "complaints/report.html", {"report": _report(request)})


@area_required("complaints")
def report_export(request: HttpRequest) -> HttpResponse:
    data = _report(request)
    months = [format_month(month) for month in data["months"]]
    by_category = Sheet(
        _("By category and month"),
        [
            Column(_("Category"), 20),
            *[Column(month, 10, "number") for month in months],
            Column(_("Total"), 10, "number"),
        ],
        [(entry["label"], *entry["counts"], entry["total"]) for entry in data["by_category"]],
    )
    in_time = Sheet(
        _("Steps done within the deadline"),
        [Column(_("Step"), 16), Column(_("Done in time"), 10, "number"), Column(_("Total"), 10, "number"),
         Column(_("Share in time"), 10, "percent")],
        [(str(row["step"]), row["in_time"], row["total"], row["share"]) for row in data["in_time"]],
    )  # fmt: skip
    mean_close, satisfaction = data["mean_time_to_close"], data["satisfaction"]
    summary = Sheet(  # one row, so that each figure has its own number format
        _("Summary"),
        [
            Column(_("Mean time from received to closed (hours)"), 18, "money"),
            Column(_("Satisfaction at follow-up"), 14, "money"),
            Column(_("Follow-ups"), 10, "number"),
            Column(_("Unsatisfied follow-ups"), 14, "percent"),
        ],
        [
            (
                mean_close and mean_close.total_seconds() / 3600,
                satisfaction["mean"],
                satisfaction["n"],
                satisfaction["unsatisfied_share"],
            )
        ],
    )
    return xlsx_download(
        user=request.user, kind="tickets-report", filename="complaints-report", sheets=[by_category, in_time, summary]
    )
