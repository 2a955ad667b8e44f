from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from crm_site.navigation import area_required
from retailers.filters import RetailerFilter
from retailers.selectors import (
    retailer_compliance_records,
    retailer_history,
    retailer_recent_orders,
    retailers_visible_to,
    service_areas_visible_to,
)

PAGE_SIZE = 50


@area_required("retailers")
def retailer_list(request: HttpRequest) -> HttpResponse:
    retailers = retailers_visible_to(request.user).select_related("service_area", "account_manager")
    retailer_filter = RetailerFilter(
        request.GET, queryset=retailers, service_areas=service_areas_visible_to(request.user)
    )
    page = Paginator(retailer_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": retailer_filter,
        "page": page,
        "may_see_phones": request.user.has_perm("retailers.view_retailer_phone"),
    }
    template = "retailers/retailer_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@area_required("retailers")
def retailer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    retailer = get_object_or_404(
        retailers_visible_to(request.user).select_related("service_area__region", "account_manager"),
        pk=pk,
    )
    context = {
        "retailer": retailer,
        "recent_orders": retailer_recent_orders(retailer=retailer),
        "compliance_records": retailer_compliance_records(retailer=retailer),
        "history": retailer_history(retailer=retailer),
        "may_see_phones": request.user.has_perm("retailers.view_retailer_phone"),
    }
    return render(request, "retailers/retailer_detail.html", context)
