from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm_site.navigation import AREAS_BY_KEY, area_required
from retailers.selectors import retailers_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"retailer_count": retailers_visible_to(request.user).count()})


def area_home(request: HttpRequest, area_key: str) -> HttpResponse:
    """The landing page of an area whose own pages are still to come (one view serves all)."""

    @area_required(area_key)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "area_home.html", {"area": AREAS_BY_KEY[area_key]})

    return view(request)
