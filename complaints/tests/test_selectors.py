import pytest
from django.utils import timezone

from complaints.models import Status
from complaints.selectors import complaints_report, tickets_visible_to
from complaints.services import ticket_create, ticket_move
from complaints.tests.factories import ticket_data
from crm_site.roles import Role

pytestmark = pytest.mark.django_db

TO_FOLLOW_UP = [
    ("acknowledge", {}),
    ("verify", {"findings": "属实"}),
    ("resolve", {"resolution": "已补送"}),
    ("reply", {"reply": "您好，已处理"}),
]
AGAIN_TO_FOLLOW_UP = TO_FOLLOW_UP[2:]


def walk(ticket, clerk, moves):
    for move, data in moves:
        ticket = ticket_move(ticket=ticket, move=move, user=clerk, data=data)
    return ticket


def follow_up(ticket, clerk, rating: int):
    return ticket_move(
        ticket=ticket, move="follow_up", user=clerk, data={"satisfaction": rating, "satisfaction_comment": "回访意见"}
    )


@pytest.fixture
def followed_up_tickets(prefecture, users):
    """Ticket a: rated 2 (sent back to resolving), then 5 and closed. Ticket b: rated 4, closed,
    then reopened. Ticket c: still open, never followed up. Five ratings in all would be wrong:
    there are three."""
    clerk = users[Role.COMPLAINT_CLERK]
    shops = prefecture["shops"]
    a, b, _c = (ticket_create(retailer=shops[key], data=ticket_data(), created_by=clerk) for key in ("a", "b", "c"))
    a = follow_up(walk(a, clerk, TO_FOLLOW_UP), clerk, 2)
    assert a.status == Status.RESOLVING
    follow_up(walk(a, clerk, AGAIN_TO_FOLLOW_UP), clerk, 5)
    b = follow_up(walk(b, clerk, TO_FOLLOW_UP), clerk, 4)
    ticket_move(ticket=b, move="reopen", user=clerk, data={"reason": "店主再次来电"})
    return clerk


def test_satisfaction_counts_every_follow_up_rating_with_the_unsatisfied_share(followed_up_tickets, users):
    report = complaints_report(tickets=tickets_visible_to(users[Role.ADMIN]))
    satisfaction = report["satisfaction"]
    assert satisfaction["n"] == 3  # 2 and 5 on ticket a, 4 on the reopened ticket b
    assert satisfaction["mean"] == pytest.approx(11 / 3)
    assert satisfaction["unsatisfied"] == 1
    assert satisfaction["unsatisfied_share"] == pytest.approx(1 / 3)


def test_satisfaction_follows_the_users_scope(followed_up_tickets, users):
    report = complaints_report(tickets=tickets_visible_to(users[Role.SALES_MANAGER]))
    assert report["satisfaction"]["n"] == 2  # only shop a's two follow-ups


def test_no_follow_up_yet_reads_as_no_share(prefecture, users):
    report = complaints_report(tickets=tickets_visible_to(users[Role.ADMIN]))
    assert report["satisfaction"] == {"mean": None, "n": 0, "unsatisfied": 0, "unsatisfied_share": None}


def test_report_has_the_twelve_months_up_to_this_one_with_zeros_for_quiet_months(prefecture, users):
    from dateutil.relativedelta import relativedelta

    ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=users[Role.COMPLAINT_CLERK])
    this_month = timezone.localdate().replace(day=1)
    report = complaints_report(tickets=tickets_visible_to(users[Role.ADMIN]))
    assert report["months"] == [this_month - relativedelta(months=n) for n in range(11, -1, -1)]
    (row,) = report["by_category"]
    assert row["counts"] == [0] * 11 + [1] and row["total"] == 1


def test_whoever_sees_every_shop_sees_every_ticket_without_a_shop_filter(prefecture, users):
    clerk = users[Role.COMPLAINT_CLERK]
    shops = prefecture["shops"].values()
    tickets = [ticket_create(retailer=shop, data=ticket_data(), created_by=clerk) for shop in shops]
    for role in (Role.ADMIN, Role.COMPLAINT_CLERK):
        visible = tickets_visible_to(users[role])
        assert set(visible) == set(tickets)
        assert " WHERE " not in str(visible.query)  # no IN over the province's shops
    manager_tickets = set(tickets_visible_to(users[Role.SALES_MANAGER]))
    assert manager_tickets and manager_tickets < set(tickets)


def test_an_inactive_admin_sees_no_ticket(prefecture, users):
    ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=users[Role.COMPLAINT_CLERK])
    admin = users[Role.ADMIN]
    admin.is_active = False
    assert not tickets_visible_to(admin).exists()
