"""What complaints writes by itself (deadline warnings, escalations, assignments, ratings) reads in
the reader's language on the ticket page, the notifications page and the dossier timeline; what a
person typed, and rows written before, read as stored (issue 15, item 4)."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from complaints.business_hours import TZ
from complaints.models import EventKind, Status, TicketEvent
from complaints.services import ticket_assign, ticket_create, ticket_move, tickets_check_deadlines
from complaints.tests.factories import ticket_data
from crm_site.models import Notification
from crm_site.roles import Role
from retailers.timeline import retailer_timeline

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)
ESCALATED = {
    "zh-hans": "在“受理”环节已超时（时限 2026-11-24 10:30），已升级至营销主管。",
    "en": "is overdue at “Received” (due 2026-11-24 10:30); escalated to the supervisor.",
}
DUE_SOON = {"zh-hans": "：“受理”环节将于 2026-11-24 10:30 到期。", "en": ": “Received” is due at 2026-11-24 10:30."}


@pytest.fixture
def clerk(users):
    return users[Role.COMPLAINT_CLERK]


@pytest.fixture
def escalated(prefecture, clerk, django_capture_on_commit_callbacks):
    """A ticket received at 10:00, warned at 10:25 and escalated at 10:45 (due 10:30)."""
    supervisor = prefecture["users"][Role.SUPERVISOR]
    supervisor.email = "zhuguan@example.com"
    supervisor.save()
    with translation.override("en"):  # whoever runs the job, in whatever language
        ticket = ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=clerk)
        ticket.step_started_at = TUESDAY_10
        ticket.step_warn_at = TUESDAY_10 + datetime.timedelta(minutes=24)
        ticket.step_due_at = TUESDAY_10 + datetime.timedelta(minutes=30)
        ticket.save()
        tickets_check_deadlines(now=TUESDAY_10 + datetime.timedelta(minutes=25))
        with django_capture_on_commit_callbacks(execute=True):
            tickets_check_deadlines(now=TUESDAY_10 + datetime.timedelta(minutes=45))
    return ticket


def read_as(client, language: str):
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_escalation_reads_in_the_readers_language_on_the_ticket_page(client_for, users, escalated, language):
    client = read_as(client_for(users[Role.SUPERVISOR]), language)
    page = client.get(reverse("complaints:ticket-detail", args=[escalated.pk])).content.decode()
    assert f"{escalated.number} {ESCALATED[language]}" in page
    assert f"{escalated.number}{DUE_SOON[language]}" in page
    other = "en" if language == "zh-hans" else "zh-hans"
    assert ESCALATED[other] not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_escalation_notification_reads_in_the_readers_language(client_for, users, escalated, language):
    client = read_as(client_for(users[Role.SUPERVISOR]), language)
    page = client.get(reverse("notifications")).content.decode()
    assert f"{escalated.number} {ESCALATED[language]}" in page
    clerk_page = read_as(client_for(users[Role.COMPLAINT_CLERK]), language).get(reverse("notifications"))
    assert f"{escalated.number}{DUE_SOON[language]}" in clerk_page.content.decode()


def test_the_escalation_mail_and_stored_text_are_in_the_sites_language(escalated):
    # Users have no language of their own: e-mail goes out in the site's (zh-hans).
    text = f"{escalated.number} {ESCALATED['zh-hans']}"
    assert [(message.subject, message.body) for message in mail.outbox] == [(f"[{escalated.number}] {text}", text)]
    assert set(Notification.objects.filter(message__code="complaints.escalated").values_list("text", flat=True)) == {
        text
    }
    assert escalated.events.get(kind=EventKind.ESCALATED).text == text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_rows_written_before_read_as_stored(client_for, users, prefecture, clerk, language):
    ticket = ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=clerk)
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.ESCALATED, text="TS-旧 已逾期，已升级")
    Notification.objects.create(user=clerk, text="TS-旧 即将到期", link=f"/complaints/{ticket.pk}/")
    client = read_as(client_for(clerk), language)
    assert "TS-旧 已逾期，已升级" in client.get(reverse("complaints:ticket-detail", args=[ticket.pk])).content.decode()
    assert "TS-旧 即将到期" in client.get(reverse("notifications")).content.decode()


def test_assignment_and_rating_are_said_in_the_readers_language_typed_text_as_typed(prefecture, clerk, users):
    supervisor = users[Role.SUPERVISOR]
    supervisor.display_name = "赵主管"
    supervisor.save()
    ticket = ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=clerk)
    ticket_assign(ticket=ticket, owner=supervisor, assigned_by=clerk)
    for move, data in [
        ("acknowledge", {}),
        ("verify", {"findings": "核实：配送车辆故障"}),
        ("resolve", {"resolution": "已调整配送线路"}),
        ("reply", {"reply": "您好，已处理"}),
        ("follow_up", {"satisfaction": 2, "satisfaction_comment": "还是晚"}),
        ("resolve", {"resolution": "再次调整"}),
        ("reply", {"reply": "已再次处理"}),
        ("follow_up", {"satisfaction": "5", "satisfaction_comment": "满意"}),
    ]:
        ticket = ticket_move(ticket=ticket, move=move, user=clerk, data=data)
    assert ticket.status == Status.CLOSED
    events = list(ticket.events.exclude(kind=EventKind.CREATED).order_by("id"))
    expected = {
        "zh-hans": [
            "指派给 赵主管。",
            "",
            "核实：配送车辆故障",
            "已调整配送线路",
            "您好，已处理",
            "满意度 2/5：还是晚",
        ],
        "en": [
            "Assigned to 赵主管.",
            "",
            "核实：配送车辆故障",
            "已调整配送线路",
            "您好，已处理",
            "Satisfaction 2/5: 还是晚",
        ],
    }
    for language, texts in expected.items():
        with translation.override(language):
            timeline = [
                event.detail for event in retailer_timeline(retailer=ticket.retailer) if event.kind == "complaints"
            ][::-1]
        assert timeline[1:7] == texts  # the dossier timeline says them too
        assert timeline[-1] == {"zh-hans": "满意度 5/5：满意", "en": "Satisfaction 5/5: 满意"}[language]
    assert [event.text for event in events[:6]] == expected["zh-hans"]
    assert [bool(event.message) for event in events] == [True, False, False, False, False, True, False, False, True]
