"""Seasonal campaigns (专项拜访): the list, creating one (with a preview of how many shops it
targets) and a campaign's progress. Supervisors (their regions) and admins."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm_site.formatting import format_count
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from retailers.models import Region
from retailers.selectors import service_areas_visible_to
from visits.forms import CampaignForm
from visits.selectors import campaign_progress, campaign_targets, campaigns_visible_to
from visits.services import campaign_create

LIST_LIMIT = 100


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@area_required("visits")
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    _require(request, "visits.view_campaign")
    campaigns = list(campaigns_visible_to(request.user).select_related("created_by")[:LIST_LIMIT])
    return render(
        request,
        "visits/campaign_list.html",
        {"campaigns": campaigns, "may_create": request.user.has_perm("visits.add_campaign")},
    )


def _form(request: HttpRequest) -> CampaignForm:
    areas = service_areas_visible_to(request.user)
    regions = Region.objects.filter(pk__in=areas.values("region_id")).order_by("name")
    return CampaignForm(request.POST or None, regions=regions, service_areas=areas.order_by("name"))


@area_required("visits")
def campaign_create_view(request: HttpRequest) -> HttpResponse:
    """GET: the form; POST with "preview": how many shops it targets; POST: create and plan."""
    _require(request, "visits.add_campaign")
    form = _form(request)
    context = {"form": form, "preview": None, "error_summary": ""}
    if request.method == "POST":
        if form.is_valid():
            if "preview" in request.POST:
                on = max(form.cleaned_data["starts_on"], timezone.localdate())
                context["preview"] = campaign_targets(target=form.target(), user=request.user, on=on).count()
                return render(request, "visits/campaign_form.html", context)
            try:
                campaign = campaign_create(user=request.user, data=form.campaign_data(), target=form.target())
            except ValidationError as error:
                for key, errors in getattr(error, "error_dict", {None: error.error_list}).items():
                    for message in errors:
                        form.add_error(key if key in form.fields else None, " ".join(message.messages))
            else:
                messages.success(
                    request,
                    _("Campaign created: %(count)s visits planned.") % {"count": format_count(campaign.planned_count)},
                )
                return redirect("visits:campaign-detail", pk=campaign.pk)
        context["error_summary"] = form_errors_message(form)
        return render(request, "visits/campaign_form.html", context, status=400)
    return render(request, "visits/campaign_form.html", context)


@area_required("visits")
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "visits.view_campaign")
    campaign = get_object_or_404(campaigns_visible_to(request.user).select_related("created_by"), pk=pk)
    context = {"campaign": campaign, "progress": campaign_progress(campaign=campaign, user=request.user)}
    return render(request, "visits/campaign_detail.html", context)
