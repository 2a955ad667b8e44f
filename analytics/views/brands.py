"""Brand preference (品牌偏好): what the user's areas buy more or less of than the company."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from analytics.forms import BrandForm
from analytics.selectors import analytics_scope, preference, refresh_state
from crm_site.navigation import area_required


@area_required("analytics")
def brand_preference(request: HttpRequest) -> HttpResponse:
    scope = analytics_scope(request.user)
    form = BrandForm(request.GET or None, area_names=scope.area_names)
    period, area_id = form.period(), form.area_id()
    context = {
        "form": form,
        "period": period,
        "place": scope.area_names.get(area_id) if area_id else _("your areas"),
        "tables": [
            (_("Brands"), preference(scope=scope, period=period, column="brand", area_id=area_id), "brands"),
            (
                _("Price classes"),
                preference(scope=scope, period=period, column="price_class", area_id=area_id),
                "price-classes",
            ),
        ],
        "refreshed": refresh_state(),
    }
    return render(request, "analytics/brands.html", context)
