"""The sales forecast page (销售预测): the user's scope, one service area or one shop."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from analytics.forecast_selectors import (
    forecast_area,
    forecast_areas,
    forecast_chart_data,
    forecast_company,
    forecast_latest_run,
    forecast_shop,
    forecast_shops_page,
    forecast_totals,
    shop_history,
)
from analytics.forms import ForecastViewForm
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from retailers.selectors import regions_visible_to


@area_required("analytics")
@require_GET
def forecast(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("analytics.view_forecast"):
        raise PermissionDenied
    form = ForecastViewForm(request.GET)
    run = forecast_latest_run()
    context = {"form": form, "run": run, "query": request.GET.urlencode()}
    if not form.is_valid():
        context["error_summary"] = form_errors_message(form)
        return render(request, "analytics/forecast.html", context, status=400)
    if run is not None:
        context.update(_view(request, run, form.cleaned_data))
    return render(request, "analytics/forecast.html", context)


def _view(request: HttpRequest, run, data: dict) -> dict:
    user = request.user
    if data["shop"]:
        shop = forecast_shop(run=run, user=user, retailer_id=data["shop"])
        if shop is None:
            raise Http404
        history = shop_history(run=run, retailer=shop.retailer)
        return {"view": "shop", "shop": shop, "chart": forecast_chart_data(run=run, history=history, weeks=shop.weeks)}
    if data["area"]:
        area = forecast_area(run=run, user=user, area_id=data["area"])
        if area is None:
            raise Http404
        page = forecast_shops_page(run=run, area=area.service_area, cursor=request.GET.get("after"))
        chart = forecast_chart_data(run=run, history=area.history, weeks=area.weeks)
        return {"view": "area", "area": area, "page": page, "chart": chart}
    areas = forecast_areas(run=run, user=user)
    company = forecast_company(run=run, user=user)
    regions, region = [], None
    if company is not None:  # a province's thousand areas: one region at a time, the company's total above
        regions = list(regions_visible_to(user))
        region = next((r for r in regions if r.pk == data["region"]), regions[0] if regions else None)
        areas = areas.filter(service_area__region=region)
    areas = list(areas)
    totals = company or forecast_totals(areas)
    chart = forecast_chart_data(run=run, history=totals.history, weeks=totals.weeks) if totals else None
    return {
        "view": "scope",
        "areas": areas,
        "company": company,
        "totals": totals,
        "chart": chart,
        "regions": regions,
        "region": region,
    }
