"""The manager's agenda (/visits/): today in route order, this week, overdue, care reminders; the
day's route sheet (printable, exported in the background); a care reminder planned or dismissed."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from crm_site.excel import Column, Sheet
from crm_site.formatting import format_count
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from crm_site.roles import may_see_full_phones
from retailers.selectors import retailers_visible_to
from retailers.templatetags.retailer_tags import masked_phone
from visits.forms import AgendaForm
from visits.models import CareReminder
from visits.selectors import agenda_day_route, agenda_for, agenda_managers_for
from visits.services import VisitError, care_reminder_dismiss, care_reminder_plan

ROUTE_EXPORT_KIND = "visit-route"


def agenda_choice(*, user, params) -> tuple[AgendaForm, object | None, datetime.date | None]:
    """The form over ?manager=&day=, the manager whose agenda it is (the user's own unless a
    supervisor or an admin chose one of theirs) and the day (today unless given); (form, None,
    None) when the choice is refused. The pages and the export read it the same way."""
    form = AgendaForm(params, managers=agenda_managers_for(user))
    if not form.is_valid():
        return form, None, None
    manager = form.cleaned_data.get("manager") or user
    return form, manager, form.cleaned_data.get("day") or timezone.localdate()


@area_required("visits")
@require_GET
def agenda(request: HttpRequest) -> HttpResponse:
    form, manager, _day = agenda_choice(user=request.user, params=request.GET)
    context = {
        "form": form,
        "manager": manager,
        "agenda": agenda_for(viewer=request.user, manager=manager) if manager else None,
        "error_summary": form_errors_message(form) if form.errors else "",
        "query": request.GET.urlencode(),
        "export_kind": ROUTE_EXPORT_KIND,
    }
    return render(request, "visits/agenda.html", context, status=200 if manager else 400)


@area_required("visits")
@require_GET
def route_sheet(request: HttpRequest) -> HttpResponse:
    """A day's route as a sheet to print (any day, today by default)."""
    form, manager, day = agenda_choice(user=request.user, params=request.GET)
    context = {
        "form": form,
        "manager": manager,
        "day": day,
        "route": agenda_day_route(viewer=request.user, manager=manager, day=day) if manager else None,
        "error_summary": form_errors_message(form) if form.errors else "",
        "query": request.GET.urlencode(),
        "export_kind": ROUTE_EXPORT_KIND,
    }
    return render(request, "visits/route_sheet.html", context, status=200 if manager else 400)


def route_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    """The background export of a route sheet (crm_site.exports): the same choice as the page."""
    from crm_site.formatting import format_money

    form, manager, day = agenda_choice(user=user, params=params)
    if manager is None:
        raise VisitError(form_errors_message(form))
    route = agenda_day_route(viewer=user, manager=manager, day=day)
    columns = [
        Column(pgettext("position in a route", "No."), 6, "number"),
        Column(_("Shop"), 24),
        Column(_("Licence number"), 16),
        Column(_("Address"), 36),
        Column(_("Owner"), 10),
        Column(_("Phone"), 14),
        Column(_("Kind"), 10),
        Column(_("Status"), 10),
        Column(_("From the previous shop (km)"), 14),
    ]
    phones = may_see_full_phones(user)
    rows = [
        (
            number,
            visit.retailer.name,
            visit.retailer.license_no,
            visit.retailer.address,
            visit.retailer.owner_name,
            masked_phone(visit.retailer.phone, phones),
            str(visit.get_kind_display()),
            str(visit.get_status_display()),
            format_money(leg, 1) if leg is not None else "",
        )
        for number, (visit, leg) in enumerate(route, start=1)
    ]
    title = _("Route %(day)s") % {"day": day.isoformat()}
    return f"route-{day.isoformat()}", [Sheet(title, columns, rows)]


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _reminder(request: HttpRequest, pk: int) -> CareReminder:
    return get_object_or_404(
        CareReminder.objects.select_related("retailer"),
        pk=pk,
        retailer__in=retailers_visible_to(request.user).values("pk"),
    )


@area_required("visits")
@require_POST
def reminder_plan(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = _reminder(request, pk)
    try:
        visit = care_reminder_plan(reminder=reminder, user=request.user)
    except VisitError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Care visit planned for %(day)s: %(shop)s.")
            % {"day": visit.planned_on.isoformat(), "shop": visit.retailer},
        )
    return _back(request, "visits:index")


@area_required("visits")
@require_POST
def reminder_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = _reminder(request, pk)
    try:
        care_reminder_dismiss(reminder=reminder, user=request.user)
    except VisitError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Reminder dismissed."))
    return _back(request, "visits:index")


@area_required("visits")
@require_POST
def reminders_plan_all(request: HttpRequest) -> HttpResponse:
    """One click for a festival: a care visit for every shop of the manager it reminds of."""
    import datetime

    from visits.models import CareOccasion
    from visits.services import care_reminders_plan_all

    _form, manager, _day = agenda_choice(user=request.user, params=request.POST)
    occasion = request.POST.get("occasion", "")
    try:
        occurs_on = datetime.date.fromisoformat(request.POST.get("occurs_on", ""))
    except ValueError:
        occurs_on = None
    if manager is None or occasion not in CareOccasion.values or occurs_on is None:
        messages.error(request, _("Nothing was planned: the reminders asked for are not there."))
        return _back(request, "visits:index")
    planned = care_reminders_plan_all(user=request.user, manager=manager, occasion=occasion, occurs_on=occurs_on)
    messages.success(request, _("Care visits planned: %(count)s.") % {"count": format_count(planned)})
    return _back(request, "visits:index")
