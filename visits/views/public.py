"""The public survey page (/s/<token>/): the one page without log-in (DESIGN.md).

It shows the shop nothing but its own name and the questions, always in Chinese (the shops'
language), reads and writes only through visits.surveys, and is rate-limited per client address
(every request) and per link (answers tried). A forged, used or expired link gets a page that says
so, with 404 or 410, never a 500."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from crm_site.security import client_ip
from visits.survey_forms import SurveyAnswerForm
from visits.surveys import (
    SurveyClosed,
    SurveyError,
    questionnaire_questions,
    survey_answer_submit,
    survey_invitation_for_token,
    token_hash,
)

CLOSED_STATUS = {"unknown": 404, "answered": 410, "expired": 410}


def _limited(request: HttpRequest, token: str) -> bool:
    by_address = is_ratelimited(
        request,
        group="survey-address",
        key=lambda group, request: client_ip(request) or "unknown",
        rate=settings.SURVEY_RATE_PER_IP,
        method=ALL,
        increment=True,
    )
    by_link = request.method == "POST" and is_ratelimited(
        request,
        group="survey-link",
        key=lambda group, request: token_hash(token),
        rate=settings.SURVEY_RATE_PER_LINK,
        method=ALL,
        increment=True,
    )
    return by_address or by_link


def _closed(request: HttpRequest, state: str) -> HttpResponse:
    return render(request, "public/survey_closed.html", {"state": state}, status=CLOSED_STATUS[state])


@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    with translation.override(settings.LANGUAGE_CODE):
        if _limited(request, token):
            return render(request, "public/survey_closed.html", {"state": "limited"}, status=429)
        try:
            invitation = survey_invitation_for_token(token)
        except SurveyClosed as closed:
            return _closed(request, closed.state)
        questions = questionnaire_questions(invitation.questionnaire)
        form = SurveyAnswerForm(request.POST or None, questions=questions)
        if request.method == "POST" and form.is_valid():
            try:
                survey_answer_submit(token=token, answers=form.cleaned_data)
            except SurveyClosed as closed:
                return _closed(request, closed.state)
            except SurveyError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                return render(request, "public/survey_thanks.html", {"shop": invitation.retailer.name})
        context = {"shop": invitation.retailer.name, "questionnaire": invitation.questionnaire, "form": form}
        return render(request, "public/survey.html", context)
