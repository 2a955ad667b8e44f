import datetime
import importlib
import threading

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from complaints.business_hours import TZ
from complaints.models import EventKind, Status, Ticket, TicketEvent
from complaints.services import (
    MOVES,
    TicketMoveRefused,
    moves_for,
    ticket_add_note,
    ticket_assign,
    ticket_create,
    ticket_move,
    tickets_check_deadlines,
)
from complaints.tests.factories import ticket_data
from crm_site.models import Notification
from crm_site.roles import Role

pytestmark = pytest.mark.django_db

# Tuesday 24 November 2026, 10:00 in Shanghai: a working day.
MONDAY_10 = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)
WALK = [
    ("acknowledge", {}, Status.INVESTIGATING),
    ("verify", {"findings": "核实：配送车辆故障"}, Status.RESOLVING),
    ("resolve", {"resolution": "已调整配送线路"}, Status.REPLYING),
    ("reply", {"reply": "您好，已处理"}, Status.FOLLOWING_UP),
    ("follow_up", {"satisfaction": 5, "satisfaction_comment": "满意"}, Status.CLOSED),
]


@pytest.fixture
def clerk(users):
    return users[Role.COMPLAINT_CLERK]


@pytest.fixture
def ticket(prefecture, clerk):
    with time_machine.travel(MONDAY_10, tick=False):
        return ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=clerk)


def test_created_ticket_has_a_readable_number_owner_and_acknowledgement_deadline(ticket, clerk):
    assert ticket.number == "TS-2026-000001"
    assert ticket.owner == clerk
    assert ticket.status == Status.RECEIVED
    assert ticket.step_due_at == MONDAY_10 + datetime.timedelta(minutes=30)
    assert ticket.events.get().kind == EventKind.CREATED


def test_numbers_count_up_per_year(prefecture, clerk, ticket):
    second = ticket_create(retailer=prefecture["shops"]["b"], data=ticket_data(), created_by=clerk)
    assert second.number.endswith("000002")


def test_a_ticket_walks_every_step_to_closed_with_one_event_per_move(ticket, clerk):
    for move, data, expected in WALK:
        ticket = ticket_move(ticket=ticket, move=move, user=clerk, data=data)
        assert ticket.status == expected
    assert ticket.closed_at is not None
    assert ticket.step_due_at is None
    moves = ticket.events.filter(kind=EventKind.MOVED)
    assert [event.to_status for event in moves] == [expected for _move, _data, expected in WALK]


@pytest.mark.parametrize("move", ["verify", "resolve", "reply", "follow_up", "reopen"])
def test_a_step_cannot_be_skipped(ticket, clerk, move):
    with pytest.raises(TicketMoveRefused):
        ticket_move(
            ticket=ticket,
            move=move,
            user=clerk,
            data={
                "findings": "x",
                "resolution": "x",
                "reply": "x",
                "satisfaction": 5,
                "satisfaction_comment": "x",
                "reason": "x",
            },
        )
    ticket.refresh_from_db()
    assert ticket.status == Status.RECEIVED
    assert ticket.events.count() == 1


@pytest.mark.parametrize(
    ("steps_before", "move", "missing"),
    [(1, "verify", "findings"), (2, "resolve", "resolution"), (3, "reply", "reply"), (4, "follow_up", "satisfaction")],
)
def test_each_step_needs_its_information(ticket, clerk, steps_before, move, missing):
    for name, data, _expected in WALK[:steps_before]:
        ticket = ticket_move(ticket=ticket, move=name, user=clerk, data=data)
    with pytest.raises(ValidationError):
        ticket_move(ticket=ticket, move=move, user=clerk, data={})
    assert Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_unsatisfied_follow_up_reopens_the_ticket(ticket, clerk):
    for name, data, _expected in WALK[:4]:
        ticket = ticket_move(ticket=ticket, move=name, user=clerk, data=data)
    ticket = ticket_move(
        ticket=ticket, move="follow_up", user=clerk, data={"satisfaction": 2, "satisfaction_comment": "还是晚"}
    )
    assert ticket.status == Status.RESOLVING
    assert ticket.closed_at is None


def test_each_follow_up_keeps_its_own_rating_on_its_event(ticket, clerk):
    for name, data, _expected in WALK[:4]:
        ticket = ticket_move(ticket=ticket, move=name, user=clerk, data=data)
    ticket = ticket_move(
        ticket=ticket, move="follow_up", user=clerk, data={"satisfaction": 2, "satisfaction_comment": "还是晚"}
    )
    for name, data, _expected in WALK[2:]:
        ticket = ticket_move(ticket=ticket, move=name, user=clerk, data=data)
    assert ticket.satisfaction == 5  # the ticket keeps the last rating, its events every one
    rated = ticket.events.filter(satisfaction__isnull=False).order_by("at", "id")
    assert [(event.from_status, event.satisfaction) for event in rated] == [
        (Status.FOLLOWING_UP, 2),
        (Status.FOLLOWING_UP, 5),
    ]


def test_past_follow_ups_get_their_rating_back_from_the_event_text(ticket):
    from django.apps import apps

    migration = importlib.import_module("complaints.migrations.0003_ticket_event_satisfaction")
    for text in ("2/5 还是晚", "5/5 满意", "核实属实"):
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.MOVED, from_status=Status.FOLLOWING_UP, text=text)
    migration.ratings_from_event_text(apps, None)
    moved = ticket.events.filter(kind=EventKind.MOVED).order_by("id")
    assert [event.satisfaction for event in moved] == [2, 5, None]


def test_reject_needs_a_reason_and_reopen_brings_it_back(ticket, clerk):
    with pytest.raises(ValidationError):
        ticket_move(ticket=ticket, move="reject", user=clerk, data={})
    ticket = ticket_move(ticket=ticket, move="reject", user=clerk, data={"reason": "非本公司责任"})
    assert ticket.status == Status.REJECTED
    ticket = ticket_move(ticket=ticket, move="reopen", user=clerk, data={"reason": "客户补充了证据"})
    assert ticket.status == Status.INVESTIGATING


def test_closed_ticket_is_read_only_except_reopen(ticket, clerk, users):
    for name, data, _expected in WALK:
        ticket = ticket_move(ticket=ticket, move=name, user=clerk, data=data)
    assert set(moves_for(ticket=ticket, user=clerk)) == {"reopen"}
    with pytest.raises(TicketMoveRefused):
        ticket_add_note(ticket=ticket, text="补充", user=clerk)
    with pytest.raises(TicketMoveRefused):
        ticket_assign(ticket=ticket, owner=users[Role.SUPERVISOR], assigned_by=clerk)


def test_manager_logs_tickets_for_own_shops_only_and_cannot_move_them(prefecture):
    manager = prefecture["users"][Role.SALES_MANAGER]
    ticket = ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(channel="manager"), created_by=manager)
    assert ticket.owner is None  # lands in the clerks' unassigned queue
    with pytest.raises(PermissionDenied):
        ticket_create(retailer=prefecture["shops"]["c"], data=ticket_data(), created_by=manager)
    with pytest.raises(PermissionDenied):
        ticket_move(ticket=ticket, move="acknowledge", user=manager)
    assert moves_for(ticket=ticket, user=manager) == {}


def test_acknowledge_by_a_clerk_takes_ownership_of_an_unassigned_ticket(prefecture, clerk):
    ticket = ticket_create(
        retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=prefecture["users"][Role.SALES_MANAGER]
    )
    ticket = ticket_move(ticket=ticket, move="acknowledge", user=clerk)
    assert ticket.owner == clerk


def test_key_accounts_get_the_stricter_tier_deadline(prefecture, clerk):
    from grading.models import ServicePolicy

    ServicePolicy.objects.filter(tier="key").update(complaint_response_minutes=15)
    shop = prefecture["shops"]["b"]
    type(shop).objects.filter(pk=shop.pk).update(tier="key")
    shop.refresh_from_db()
    with time_machine.travel(MONDAY_10, tick=False):
        ticket = ticket_create(retailer=shop, data=ticket_data(), created_by=clerk)
    assert ticket.step_due_at == MONDAY_10 + datetime.timedelta(minutes=15)


def test_eve_of_national_day_is_not_overdue_on_the_first_of_october(prefecture, clerk):
    with time_machine.travel(datetime.datetime(2026, 9, 30, 17, 20, tzinfo=TZ), tick=False):
        ticket = ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=clerk)
    assert ticket.step_due_at == datetime.datetime(2026, 10, 8, 8, 50, tzinfo=TZ)
    result = tickets_check_deadlines(now=datetime.datetime(2026, 10, 1, 12, 0, tzinfo=TZ))
    assert result == {"due_soon": 0, "escalated": 0}


def test_counterfeit_reports_run_on_calendar_hours(prefecture, clerk):
    with time_machine.travel(datetime.datetime(2026, 9, 30, 17, 20, tzinfo=TZ), tick=False):
        ticket = ticket_create(
            retailer=prefecture["shops"]["a"], data=ticket_data(category="counterfeit"), created_by=clerk
        )
    assert ticket.step_due_at == datetime.datetime(2026, 9, 30, 17, 50, tzinfo=TZ)


def test_due_soon_and_escalation_happen_once_per_breach(ticket, clerk, prefecture, django_capture_on_commit_callbacks):
    supervisor = prefecture["users"][Role.SUPERVISOR]
    supervisor.email = "zhuguan@example.com"
    supervisor.save()
    warn = MONDAY_10 + datetime.timedelta(minutes=25)
    assert tickets_check_deadlines(now=warn) == {"due_soon": 1, "escalated": 0}
    assert tickets_check_deadlines(now=warn) == {"due_soon": 0, "escalated": 0}
    late = MONDAY_10 + datetime.timedelta(minutes=45)
    with django_capture_on_commit_callbacks(execute=True):
        assert tickets_check_deadlines(now=late) == {"due_soon": 0, "escalated": 1}
    assert tickets_check_deadlines(now=late) == {"due_soon": 0, "escalated": 0}
    assert Notification.objects.filter(user=supervisor).count() == 1
    assert Notification.objects.filter(user=clerk).count() == 2
    assert [message.to for message in mail.outbox] == [["zhuguan@example.com"]]
    assert ticket.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_next_step_resets_the_breach_flags_and_records_lateness(ticket, clerk):
    tickets_check_deadlines(now=MONDAY_10 + datetime.timedelta(hours=1))
    with time_machine.travel(MONDAY_10 + datetime.timedelta(hours=2), tick=False):
        ticket = ticket_move(ticket=ticket, move="acknowledge", user=clerk)
    assert not ticket.overdue_escalated
    move = ticket.events.get(kind=EventKind.MOVED)
    assert move.on_time is False


def test_events_are_append_only(ticket):
    event = ticket.events.get()
    event.text = "篡改"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_moves_racing_do_not_lose_or_double_an_event(prefecture):
    clerk = prefecture["users"][Role.COMPLAINT_CLERK]
    ticket = ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=clerk)
    outcomes, barrier = [], threading.Barrier(2)

    def acknowledge() -> None:
        barrier.wait()
        try:
            ticket_move(ticket=ticket, move="acknowledge", user=clerk)
            outcomes.append("moved")
        except TicketMoveRefused:
            outcomes.append("refused")
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=acknowledge) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "refused"]
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.MOVED).count() == 1


def test_every_move_is_in_the_table():
    assert set(MOVES) == {"acknowledge", "verify", "resolve", "reply", "follow_up", "reject", "reopen"}


def test_follow_up_is_due_48_calendar_hours_after_the_reply(ticket, clerk):
    for name, data, _expected in WALK[:3]:
        ticket = ticket_move(ticket=ticket, move=name, user=clerk, data=data)
    replied_at = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=TZ)
    with time_machine.travel(replied_at, tick=False):
        ticket = ticket_move(ticket=ticket, move="reply", user=clerk, data=WALK[3][1])
    assert ticket.step_due_at == replied_at + datetime.timedelta(hours=48)


def test_unassigned_tickets_warn_the_clerks_and_a_moved_ticket_is_not_flagged(prefecture, clerk):
    manager = prefecture["users"][Role.SALES_MANAGER]
    with time_machine.travel(MONDAY_10, tick=False):
        ticket = ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=manager)
    assert ticket.owner is None
    assert tickets_check_deadlines(now=MONDAY_10 + datetime.timedelta(minutes=25))["due_soon"] == 1
    assert Notification.objects.filter(user=clerk, link=f"/complaints/{ticket.pk}/").exists()
