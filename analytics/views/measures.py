"""The four measures of a shop's relationship (客户"四度"), per shop, per tier and per area."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from analytics.forms import MeasureFilterForm
from analytics.selectors import (
    analytics_scope,
    measure_rows,
    measure_sums,
    measures_by_group,
    measures_page,
    refresh_state,
)
from crm_site.navigation import area_required


@area_required("analytics")
def measures(request: HttpRequest) -> HttpResponse:
    scope = analytics_scope(request.user)
    form = MeasureFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    rows = measure_rows(scope=scope, filters=filters)
    page, shops = measures_page(user=request.user, rows=rows, cursor=request.GET.get("after"))
    context = {
        "form": form,
        "page": page,
        "shops": shops,
        "groups": measures_by_group(sums=measure_sums(scope=scope, filters=filters), scope=scope),
        "refreshed": refresh_state(),
    }
    return render(request, "analytics/measures.html", context)
