"""Staff survey pages under /visits/surveys/: results (with export), invitations, questionnaires,
and the dossier's surveys tab. Every page reads the shops of the user's scope only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from crm_site.excel import Column, Sheet, xlsx_download
from crm_site.formatting import format_month
from crm_site.navigation import area_required
from crm_site.pagination import keyset_paginate
from retailers.models import Region
from retailers.selectors import retailers_visible_to, service_areas_visible_to
from visits.models import Questionnaire
from visits.survey_forms import InvitationFilterForm, ResultsPeriodForm
from visits.survey_selectors import (
    answer_display,
    retailer_survey_invitations,
    survey_invitations_visible_to,
    survey_results,
)

PAGE_SIZE = 50


def _results(request: HttpRequest, *, all_areas: bool = False):
    regions = Region.objects.filter(pk__in=service_areas_visible_to(request.user).values("region_id")).order_by("name")
    form = ResultsPeriodForm(request.GET or None, regions=regions)
    start, end = form.period()
    return form, survey_results(
        user=request.user, start=start, end=end, region=form.chosen_region(), all_areas=all_areas
    )


@area_required("visits")
def survey_results_view(request: HttpRequest) -> HttpResponse:
    form, results = _results(request)
    return render(request, "visits/surveys/results.html", {"form": form, "results": results})


@area_required("visits")
def survey_results_export(request: HttpRequest) -> HttpResponse:
    _form, results = _results(request, all_areas=True)
    figures = [
        Column(_("Invited"), 10, "number"),
        Column(_("Answered"), 10, "number"),
        Column(_("Response rate"), 12, "percent"),
        Column(_("CSAT (share of 4–5 ratings)"), 14, "percent"),
        Column(_("Ratings"), 10, "number"),
        Column(_("NPS"), 8, "money"),
        Column(_("NPS answers"), 10, "number"),
    ]

    def values(row) -> tuple:
        return (row.invited, row.answered, row.response_rate, row.csat, row.ratings, row.nps, row.nps_answers)

    sheets = [
        Sheet(_("By region"), [Column(_("Region"), 20), *figures],
              [(row.label, *values(row)) for row in [*results.by_region, results.total]]),
        Sheet(_("By service area"), [Column(_("Service area"), 20), *figures],
              [(row.label, *values(row)) for row in [*results.by_area, results.total]]),
        Sheet(_("By tier"), [Column(_("Tier"), 14), *figures],
              [(row.label, *values(row)) for row in [*results.by_tier, results.total]]),
        Sheet(_("By month"), [Column(_("Month"), 12), *figures],
              [(format_month(row.key), *values(row)) for row in results.by_month]),
        Sheet(_("Comments"), [Column(_("Answered at"), 18, "datetime"), Column(_("Retailer"), 24),
                              Column(_("Question"), 30), Column(_("Answer"), 60)],
              [(answer.response.answered_at, answer.response.retailer.name, answer.question.text, answer.text)
               for answer in results.free_texts]),
    ]  # fmt: skip
    return xlsx_download(
        user=request.user,
        kind="survey-results",
        filename="survey-results",
        sheets=sheets,
        filters={"start": str(results.start), "end": str(results.end)},
    )


@area_required("visits")
def survey_invitations(request: HttpRequest) -> HttpResponse:
    form = InvitationFilterForm(request.GET or None)
    invitations = survey_invitations_visible_to(request.user).select_related("retailer", "questionnaire")
    if form.is_valid():
        if form.cleaned_data["status"]:
            invitations = invitations.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["kind"]:
            invitations = invitations.filter(kind=form.cleaned_data["kind"])
    page = keyset_paginate(invitations, order_by="-id", cursor=request.GET.get("after"), size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request, "visits/surveys/invitations.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@area_required("visits")
def questionnaires(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("visits.change_questionnaire"):
        raise PermissionDenied
    versions = list(Questionnaire.objects.prefetch_related("questions").order_by("kind", "-version"))
    return render(request, "visits/surveys/questionnaires.html", {"versions": versions})


@area_required("visits")
def retailer_surveys_panel(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    invitations = retailer_survey_invitations(retailer=retailer)
    for invitation in invitations:
        response = getattr(invitation, "response", None)
        for answer in getattr(response, "answer_list", []):
            answer.shown = answer_display(answer)
    return render(request, "visits/surveys/retailer_surveys.html", {"retailer": retailer, "invitations": invitations})
