"""The visit log (拜访记录), on a phone in the shop: a visit's page, check-in, logging a planned or
an unplanned visit, moving a missed one; the visit photo; the dossier's visits tab."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from crm_site.roles import may_see_full_phones
from retailers.selectors import retailer_top_products, retailers_matching, retailers_visible_to
from visits.forms import UnplannedVisitForm, VisitLogForm, VisitMissForm
from visits.models import VisitStatus
from visits.selectors import (
    retailer_visits_tab,
    visit_followers,
    visit_for_page,
    visit_next_routine,
    visit_stock_checks,
)
from visits.services import (
    VisitError,
    visit_check_in,
    visit_log,
    visit_log_unplanned,
    visit_may_act,
    visit_may_log_unplanned,
    visit_miss,
)


def _planned_visit_to_act_on(request: HttpRequest, pk: int):
    """The visit (404 outside the user's scope), if the user may act on it (else 403) and it is
    still planned (else back to its page with a message)."""
    visit = visit_for_page(user=request.user, pk=pk)
    if not visit_may_act(visit=visit, user=request.user):
        raise PermissionDenied
    return visit


@area_required("visits")
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = visit_for_page(user=request.user, pk=pk)
    context = {
        "visit": visit,
        "stock_checks": visit_stock_checks(visit=visit),
        "followers": visit_followers(visit=visit),
        "next_routine": visit_next_routine(retailer=visit.retailer),
        "may_act": visit.status == VisitStatus.PLANNED and visit_may_act(visit=visit, user=request.user),
    }
    return render(request, "visits/visit_detail.html", context)


@area_required("visits")
@require_POST
def visit_check_in_view(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _planned_visit_to_act_on(request, pk)
    try:
        visit_check_in(visit=visit, user=request.user)
    except VisitError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("visits:visit-detail", pk=visit.pk)
    messages.success(request, _("Checked in. Log the visit when you leave."))
    return redirect("visits:visit-log", pk=visit.pk)


def _log_page(request: HttpRequest, *, form, visit=None, retailer, status: int = 200) -> HttpResponse:
    context = {"form": form, "visit": visit, "retailer": retailer, "error_summary": ""}
    if form.is_bound and form.errors:
        context["error_summary"] = form_errors_message(form)
    return render(request, "visits/visit_log.html", context, status=status)


@area_required("visits")
def visit_log_view(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _planned_visit_to_act_on(request, pk)
    if visit.status != VisitStatus.PLANNED:
        messages.info(request, _("This visit is already “%(status)s”.") % {"status": visit.get_status_display()})
        return redirect("visits:visit-detail", pk=visit.pk)
    products = retailer_top_products(retailer=visit.retailer)
    checked_in = visit.checked_in_at is not None
    if request.method != "POST":
        form = VisitLogForm(products=products, checked_in=checked_in, initial={"purpose": visit.purpose})
        return _log_page(request, form=form, visit=visit, retailer=visit.retailer)
    form = VisitLogForm(request.POST, request.FILES, products=products, checked_in=checked_in)
    if form.is_valid():
        try:
            visit_log(visit=visit, user=request.user, **form.log_arguments())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Visit logged."))
            return redirect("visits:visit-detail", pk=visit.pk)
    return _log_page(request, form=form, visit=visit, retailer=visit.retailer, status=400)


@area_required("visits")
def visit_new(request: HttpRequest) -> HttpResponse:
    """Log a visit that had no plan: ?retailer=<id> names the shop (of the user's scope)."""
    raw = request.GET.get("retailer", "")
    if raw == "":
        return _pick_shop(request)
    if not raw.isdigit() or len(raw) > 18:
        raise Http404
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=int(raw))
    if not visit_may_log_unplanned(retailer=retailer, user=request.user):
        raise PermissionDenied
    products = retailer_top_products(retailer=retailer)
    if request.method != "POST":
        form = UnplannedVisitForm(products=products)
        return _log_page(request, form=form, retailer=retailer)
    form = UnplannedVisitForm(request.POST, request.FILES, products=products)
    if form.is_valid():
        try:
            visit = visit_log_unplanned(
                retailer=retailer, user=request.user, kind=form.cleaned_data["kind"], **form.log_arguments()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Visit logged."))
            return redirect("visits:visit-detail", pk=visit.pk)
    return _log_page(request, form=form, retailer=retailer, status=400)


PICK_LIMIT = 20


def _pick_shop(request: HttpRequest) -> HttpResponse:
    """Without ?retailer: find the shop first (licence number, name, pinyin, phone)."""
    term = request.GET.get("q", "").replace("\x00", "").strip()[:50]
    shops = []
    if term:
        matching = retailers_matching(
            retailers_visible_to(request.user), term, by_phone=may_see_full_phones(request.user)
        )
        shops = list(matching.select_related("service_area").order_by("name", "pk")[:PICK_LIMIT])
    return render(request, "visits/visit_pick_shop.html", {"term": term, "shops": shops})


@area_required("visits")
def visit_miss_view(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _planned_visit_to_act_on(request, pk)
    if visit.status != VisitStatus.PLANNED:
        messages.info(request, _("This visit is already “%(status)s”.") % {"status": visit.get_status_display()})
        return redirect("visits:visit-detail", pk=visit.pk)
    form = VisitMissForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                visit_miss(
                    visit=visit,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    new_date=form.cleaned_data["new_date"],
                )
            except ValidationError as error:
                for key, errors in getattr(error, "error_dict", {None: error.error_list}).items():
                    for message in errors:
                        form.add_error(key if key in form.fields else None, " ".join(message.messages))
            else:
                messages.success(request, _("The visit is marked missed."))
                return redirect("visits:visit-detail", pk=visit.pk)
    context = {"form": form, "visit": visit, "error_summary": form_errors_message(form) if form.errors else ""}
    return render(request, "visits/visit_miss.html", context, status=status)


@area_required("visits")
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit's photo, only to users who see the visit (never a public media URL)."""
    visit = visit_for_page(user=request.user, pk=pk)
    if not visit.photo:
        raise Http404
    response = FileResponse(visit.photo.open("rb"), filename=visit.photo.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@area_required("visits")
def retailer_visits_panel(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    """The dossier's visits tab (loaded by htmx)."""
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    context = {
        "retailer": retailer,
        "tab": retailer_visits_tab(retailer=retailer),
        "may_log": visit_may_log_unplanned(retailer=retailer, user=request.user),
    }
    return render(request, "visits/visit_retailer_tab.html", context)
