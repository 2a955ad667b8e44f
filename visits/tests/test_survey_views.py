"""Survey pages: the public /s/<token>/ form (no log-in, Chinese, forged/used/expired links, rate
limits, CSRF, no link into the CRM), the staff results with their role rules and fixed query count,
the export, the invitations list, questionnaires and the dossier tab."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from crm_site.roles import Role
from retailers.models import RetailerStatus
from retailers.tests.factories import RetailerFactory
from visits import channels
from visits.models import InvitationStatus, Questionnaire, QuestionType, SurveyInvitation, SurveyKind
from visits.surveys import survey_answer_submit, survey_invitations_create

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 9, 1, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _now():
    channels.outbox.clear()
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    channels.outbox.clear()


@pytest.fixture
def invited(prefecture, django_capture_on_commit_callbacks):
    """Every prefecture shop invited; {area key: token}."""
    with django_capture_on_commit_callbacks(execute=True):
        survey_invitations_create()
    phones = {shop.phone: key for key, shop in prefecture["shops"].items()}
    return {phones[m.to]: m.body.split("/s/", 1)[1].split("/", 1)[0] for m in channels.outbox}


def routine() -> Questionnaire:
    return Questionnaire.objects.get(kind=SurveyKind.ROUTINE, is_current=True)


def form_data(rating="5", nps="10") -> dict:
    data = {}
    for question in routine().questions.all():
        data[f"q{question.pk}"] = {"rating": rating, "nps": nps, "choice": (question.option_list or [""])[0],
                                   "text": "配送准时"}[question.type]  # fmt: skip
    return data


def survey_url(token: str) -> str:
    return reverse("survey-answer", kwargs={"token": token})


# --- the public form --------------------------------------------------------------------------------


def test_an_anonymous_shop_answers_in_chinese_and_sees_only_its_name(client, invited, prefecture):
    client.cookies["django_language"] = "en"  # the shop's browser asks for English: the page stays Chinese
    response = client.get(survey_url(invited["a"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert prefecture["shops"]["a"].name in page
    assert routine().title in page and "提交" in page
    for private in (prefecture["shops"]["a"].license_no, prefecture["shops"]["a"].owner_name,
                    prefecture["shops"]["a"].phone, prefecture["shops"]["b"].name):  # fmt: skip
        assert private not in page
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert all(href.startswith("/static/") for href in hrefs), hrefs  # no link into the CRM
    assert "navbar" not in page
    assert re.search(r'<form method="post"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', page)
    response = client.post(survey_url(invited["a"]), form_data())
    assert response.status_code == 200
    assert "感谢" in response.content.decode()
    assert SurveyInvitation.objects.get(retailer=prefecture["shops"]["a"]).status == InvitationStatus.ANSWERED


def test_a_used_link_gets_a_clear_page(client, invited):
    client.post(survey_url(invited["a"]), form_data())
    for method in ("get", "post"):
        response = getattr(client, method)(survey_url(invited["a"]), form_data())
        assert response.status_code == 410
        assert "已经提交" in response.content.decode()


def test_an_expired_link_gets_a_clear_page(client, invited, settings):
    with time_machine.travel(NOW + datetime.timedelta(days=settings.SURVEY_VALID_DAYS + 1), tick=False):
        response = client.get(survey_url(invited["a"]))
    assert response.status_code == 410
    assert "已过期" in response.content.decode()


@pytest.mark.parametrize("token", ["forged", "A" * 43, "%00", "x" * 300, "%E4%B8%AD%E6%96%87"])
def test_a_forged_link_gets_a_clear_page_never_a_500(client, invited, token):
    for method in ("get", "post"):
        response = getattr(client, method)(f"/s/{token}/")
        assert response.status_code == 404
        assert "链接无效" in response.content.decode()


def test_every_wrong_answer_is_named_by_its_question(client, invited):
    questions = {q.type: q for q in routine().questions.all()}
    data = form_data()
    data[f"q{questions['rating'].pk}"] = "9"
    del data[f"q{questions['nps'].pk}"]
    response = client.post(survey_url(invited["a"]), data)
    assert response.status_code == 200
    errors = response.content.decode().split('id="form-errors"', 1)[1].split("</div>", 1)[0]
    assert questions["rating"].text in errors and questions["nps"].text in errors
    assert questions["choice"].text not in errors
    assert SurveyInvitation.objects.get(retailer__phone=next(iter(channels.outbox)).to).status != "answered"


def test_the_page_fits_a_phone_and_is_csp_clean(client, invited):
    response = client.get(survey_url(invited["a"]))
    page = response.content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_page_is_rate_limited_per_address(client, invited, settings):
    settings.SURVEY_RATE_PER_IP = "3/m"
    assert [client.get(survey_url(invited["a"])).status_code for _ in range(4)] == [200, 200, 200, 429]
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(survey_url(invited["a"])).status_code == 200
    assert "稍后" in client.get(survey_url("forged")).content.decode()


def test_answers_are_rate_limited_per_link(invited, settings):
    settings.SURVEY_RATE_PER_LINK = "2/h"
    statuses = [Client(REMOTE_ADDR=f"10.0.1.{n}").post(survey_url(invited["a"]), {}).status_code for n in range(3)]
    assert statuses == [200, 200, 429]  # the third try from yet another address
    assert Client(REMOTE_ADDR="10.0.2.1").post(survey_url(invited["b"]), {}).status_code == 200


def test_the_form_needs_its_csrf_token(invited):
    client = Client(enforce_csrf_checks=True)
    assert client.post(survey_url(invited["a"]), form_data()).status_code == 403


# --- staff pages ------------------------------------------------------------------------------------


@pytest.fixture
def answered(invited):
    survey_answer_submit(token=invited["a"], answers=form_data(rating="2", nps="3"))
    survey_answer_submit(token=invited["c"], answers=form_data(rating="5", nps="10"))
    return invited


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER])
def test_the_results_open_for_the_visit_roles(client_for, users, answered, role):
    response = client_for(users[role]).get(reverse("visits:surveys"))
    assert response.status_code == 200
    assert "满意度" in response.content.decode()


def test_the_results_are_closed_to_clerks(client_for, users):
    assert client_for(users[Role.COMPLAINT_CLERK]).get(reverse("visits:surveys")).status_code == 403


def test_a_manager_sees_only_their_shops_answers(client_for, users, answered, prefecture):
    results = client_for(users[Role.SALES_MANAGER]).get(reverse("visits:surveys")).context["results"]
    assert [row.key for row in results.by_area] == [prefecture["areas"]["a"].pk]
    assert (results.total.invited, results.total.answered) == (1, 1)
    assert {answer.response.retailer for answer in results.free_texts} == {prefecture["shops"]["a"]}
    supervisor = client_for(users[Role.SUPERVISOR]).get(reverse("visits:surveys")).context["results"]
    assert {row.key for row in supervisor.by_area} == {prefecture["areas"]["a"].pk, prefecture["areas"]["b"].pk}
    admin = client_for(users[Role.ADMIN]).get(reverse("visits:surveys")).context["results"]
    assert (admin.total.invited, admin.total.answered) == (3, 2)


def test_the_results_take_a_fixed_number_of_queries(
    client_for, users, answered, prefecture, django_capture_on_commit_callbacks
):
    client = client_for(users[Role.ADMIN])
    client.get(reverse("visits:surveys"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("visits:surveys"))
    for n in range(12):
        RetailerFactory(service_area=prefecture["areas"]["b" if n % 2 else "c"])
    with django_capture_on_commit_callbacks(execute=True):
        survey_invitations_create()
    for message in channels.outbox[3:9]:
        survey_answer_submit(token=message.body.split("/s/", 1)[1].split("/", 1)[0], answers=form_data())
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("visits:surveys"))
    assert len(many) == len(few)


def test_the_period_picker_and_bad_input(client_for, users, answered):
    client = client_for(users[Role.ADMIN])
    results = client.get(reverse("visits:surveys"), {"start": "2026-10", "end": "2026-12"}).context["results"]
    assert results.total.invited == 0
    for bad in ({"start": "2026-13"}, {"start": "x\x00"}, {"start": "1900-01"}, {"start": "2020-01", "end": "2026-09"}):
        response = client.get(reverse("visits:surveys"), bad)
        assert response.status_code == 200
        assert response.context["results"].total.invited == 3  # the default six months


def test_the_results_export(client_for, users, answered):
    response = client_for(users[Role.SUPERVISOR]).get(reverse("visits:survey-export"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(workbook.sheetnames) == 5
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[-1][1:3] == (2, 1)  # the supervisor's region: areas A and B invited, A answered


def test_the_invitations_list_shows_status_attempts_and_errors(client_for, users, invited, prefecture):
    SurveyInvitation.objects.filter(retailer=prefecture["shops"]["a"]).update(
        status=InvitationStatus.FAILED, attempts=3, last_error="ChannelError: gateway timeout"
    )
    page = client_for(users[Role.SALES_MANAGER]).get(reverse("visits:survey-invitations")).content.decode()
    assert "gateway timeout" in page and "3次" in page
    assert prefecture["shops"]["c"].name not in page
    filtered = client_for(users[Role.ADMIN]).get(reverse("visits:survey-invitations"), {"status": "sent"})
    assert [i.status for i in filtered.context["page"].rows] == ["sent", "sent"]
    assert client_for(users[Role.ADMIN]).get(reverse("visits:survey-invitations"), {"status": "x"}).status_code == 200


def test_questionnaires_are_for_admins(client_for, users):
    page = client_for(users[Role.ADMIN]).get(reverse("visits:questionnaires"))
    assert page.status_code == 200 and routine().title in page.content.decode()
    assert client_for(users[Role.SUPERVISOR]).get(reverse("visits:questionnaires")).status_code == 403


def test_a_frozen_version_is_read_only_in_the_back_office(client_for, users, invited):
    users[Role.ADMIN].is_staff = True
    users[Role.ADMIN].save()
    client = client_for(users[Role.ADMIN])
    assert client.get(reverse("admin:visits_questionnaire_change", args=[routine().pk])).status_code == 200
    url = reverse("admin:visits_questionnaire_change", args=[routine().pk])
    response = client.post(url, {"kind": "routine", "title": "改过的"})
    assert response.status_code == 403
    assert routine().title != "改过的"
    client.post(reverse("admin:visits_questionnaire_changelist"),
                {"action": "copy_as_new_version", "_selected_action": [routine().pk]})  # fmt: skip
    assert Questionnaire.objects.filter(kind=SurveyKind.ROUTINE).count() == 2


def test_the_dossier_tab_shows_invitations_and_answers(client_for, users, answered, prefecture):
    shop = prefecture["shops"]["a"]
    client = client_for(users[Role.SALES_MANAGER])
    panel = client.get(reverse("visits:retailer-surveys", args=[shop.pk]))
    assert panel.status_code == 200
    text = panel.content.decode()
    assert "2/5" in text and "3/10" in text and "配送准时" in text and "低分" in text
    assert client.get(reverse("visits:retailer-surveys", args=[prefecture["shops"]["c"].pk])).status_code == 404
    dossier = client.get(reverse("retailers:retailer-detail", args=[shop.pk])).content.decode()
    assert reverse("visits:retailer-surveys", args=[shop.pk]) in dossier
    assert "调查" in dossier  # the answer on the timeline


def test_the_dossier_tab_takes_a_fixed_number_of_queries(client_for, users, answered, prefecture):
    shop = prefecture["shops"]["a"]
    client = client_for(users[Role.SALES_MANAGER])
    url = reverse("visits:retailer-surveys", args=[shop.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3):
        SurveyInvitation.objects.create(
            retailer=shop, questionnaire=routine(), kind=SurveyKind.ROUTINE, period_start=datetime.date(2025, 1, n + 1),
            channel="sms", invited_on=datetime.date(2025, 1, n + 1),
            invited_month=datetime.date(2025, 1, 1), created_at=NOW, expires_at=NOW,
            status=InvitationStatus.EXPIRED,
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_pages_read_in_english(client_for, users, answered):
    client = client_for(users[Role.ADMIN])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("visits:surveys")).content.decode()
    assert "Response rate" in page and "By service area" in page


def test_closed_shops_are_not_invited(prefecture, django_capture_on_commit_callbacks):
    for shop in prefecture["shops"].values():
        shop.status = RetailerStatus.CLOSED
        shop.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_invitations_create() == 0
    assert QuestionType.RATING == "rating"


def test_a_province_is_shown_by_region_and_one_regions_areas(client_for, users, answered, prefecture, monkeypatch):
    from visits import survey_selectors

    monkeypatch.setattr(survey_selectors, "AREA_ROWS_AT_MOST", 1)
    client = client_for(users[Role.ADMIN])
    results = client.get(reverse("visits:surveys")).context["results"]
    assert results.by_area == [] and results.areas_hidden == 3
    assert {row.label for row in results.by_region} == {r.name for r in prefecture["regions"]}
    region = prefecture["regions"][1]
    results = client.get(reverse("visits:surveys"), {"region": region.pk}).context["results"]
    assert [row.key for row in results.by_area] == [prefecture["areas"]["c"].pk]
    assert (results.total.invited, results.total.answered) == (1, 1)
    assert client.get(reverse("visits:surveys"), {"region": "x"}).status_code == 200
