"""Churn risk (流失预警): the shops slipping away, and a visit planned in one click."""

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analytics.forms import ChurnSettingsForm
from analytics.selectors import analytics_scope, churn_page, refresh_state
from crm_site.navigation import area_required
from retailers.selectors import retailers_visible_to
from visits.models import VisitKind
from visits.services import VisitError, visit_plan_one, working_day_on_or_after


@area_required("analytics")
def churn_list(request: HttpRequest) -> HttpResponse:
    form = ChurnSettingsForm(request.GET or None)
    drop, silent = form.settings()
    page, lines = churn_page(
        user=request.user,
        scope=analytics_scope(request.user),
        drop_percent=drop,
        silent_weeks=silent,
        cursor=request.GET.get("after"),
    )
    context = {"form": form, "page": page, "lines": lines, "drop": drop, "silent": silent, "refreshed": refresh_state()}
    return render(request, "analytics/churn.html", context)


@require_POST
@area_required("analytics")
def plan_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Plan a visit of a shop on the churn list for the next working day (its manager's routine
    plan moves to that day rather than a second one being added)."""
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=pk)
    day = working_day_on_or_after(timezone.localdate() + datetime.timedelta(days=1))
    try:
        visit_plan_one(
            retailer=retailer,
            kind=VisitKind.ROUTINE,
            planned_on=day,
            purpose=_("Churn risk: purchases fell or stopped"),
            created_by=request.user,
        )
    except VisitError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("A visit of %(shop)s is planned for %(day)s.")
            % {"shop": retailer.name, "day": date_format(day, "SHORT_DATE_FORMAT")},
        )
    query = QueryDict(request.POST.get("query", "")).urlencode()  # the list's settings, re-encoded
    return redirect(f"{reverse('analytics:churn')}?{query}")
