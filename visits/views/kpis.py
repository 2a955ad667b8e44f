"""Visit KPIs for a chosen period, per manager and per service area, and their Excel export."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm_site.excel import Column, Sheet, xlsx_download
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from crm_site.roles import Role, user_roles
from retailers.models import Region
from retailers.selectors import service_areas_visible_to
from visits.forms import KpiPeriodForm
from visits.models import MissReason
from visits.selectors import MISS_KEYS, visit_kpi_scope, visit_kpis_from_rollup

# Lines per table on the page (a province has ~1,000 managers); the export holds every line.
PAGE_LINES = 100


def _regions(request: HttpRequest):
    """The regions a supervisor or an admin may narrow the KPIs to (none for a manager)."""
    roles = user_roles(request.user)
    if Role.ADMIN not in roles and Role.SUPERVISOR not in roles:
        return None
    return Region.objects.filter(pk__in=service_areas_visible_to(request.user).values("region_id")).order_by("name")


def _kpis(request: HttpRequest) -> tuple[KpiPeriodForm, dict | None]:
    regions = _regions(request)
    form = KpiPeriodForm(request.GET or {"period": "this_month"}, regions=regions)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    scope = visit_kpi_scope(request.user)
    if data.get("region"):
        scope &= Q(service_area__region=data["region"])
    return form, visit_kpis_from_rollup(scope=scope, start=data["start"], end=data["end"])


@area_required("visits")
@require_GET
def kpis(request: HttpRequest) -> HttpResponse:
    form, figures = _kpis(request)
    context = {
        "form": form,
        "kpis": figures,
        "page_lines": PAGE_LINES,
        "reasons": MissReason.choices,
        "error_summary": form_errors_message(form) if form.errors else "",
        "query": request.GET.urlencode(),
    }
    return render(request, "visits/kpis.html", context, status=200 if figures is not None else 400)


def _sheet(title: str, first: str, rows: list[dict]) -> Sheet:
    columns = [
        Column(first, 20),
        Column(_("Planned"), 10, "number"),
        Column(_("Done"), 10, "number"),
        Column(_("Done on time"), 12, "number"),
        Column(_("Overdue"), 10, "number"),
        Column(_("Missed"), 10, "number"),
        Column(_("Completion rate"), 12, "percent"),
        Column(_("Logged visits"), 12, "number"),
        Column(_("Unplanned"), 10, "number"),
        Column(_("Followed by an order within 7 days"), 14, "number"),
        Column(_("Strike rate"), 12, "percent"),
        Column(_("Average satisfaction"), 12, "money"),
        *[Column(_("Missed: %(reason)s") % {"reason": label}, 14, "number") for _code, label in MissReason.choices],
    ]
    lines = [
        (
            row["label"],
            row["planned"],
            row["done"],
            row["on_time"],
            row["overdue"],
            row["missed"],
            row["completion"],
            row["logged"],
            row["unplanned"],
            row["struck"],
            row["strike_rate"],
            row["satisfaction"],
            *[row[key] for key in MISS_KEYS],
        )
        for row in rows
    ]
    return Sheet(title, columns, lines)


@area_required("visits")
@require_GET
def kpis_export(request: HttpRequest) -> HttpResponse:
    form, figures = _kpis(request)
    if figures is None:
        return render(
            request,
            "visits/kpis.html",
            {"form": form, "kpis": None, "error_summary": form_errors_message(form), "query": ""},
            status=400,
        )
    total = {**figures["total"], "label": _("Total")}
    sheets = [
        _sheet(_("By manager"), _("Sales manager"), [*figures["by_manager"], total]),
        _sheet(_("By service area"), _("Service area"), [*figures["by_area"], total]),
    ]
    return xlsx_download(
        user=request.user,
        kind="visit-kpis",
        filename="visit-kpis",
        sheets=sheets,
        filters={"start": figures["start"].isoformat(), "end": figures["end"].isoformat()},
    )
