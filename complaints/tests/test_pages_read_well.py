"""What the complaint pages show: the right word for "Closed", labels rather than codes, and
numbers, shares and durations formatted the one way (issue 15, items 1-3 and 7)."""

import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from complaints.models import Ticket
from complaints.services import ticket_create
from complaints.tests.factories import ticket_data
from complaints.tests.test_selectors import TO_FOLLOW_UP, follow_up, walk
from crm_site.roles import Role
from retailers.models import RetailerStatus

pytestmark = pytest.mark.django_db


def in_english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def clerk(users):
    return users[Role.COMPLAINT_CLERK]


@pytest.fixture
def closed_ticket(prefecture, clerk):
    """Received at 08:00, closed at 10:15 the same day; rated 2 once (sent back), then 5."""
    ticket = ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=clerk)
    ticket = follow_up(walk(ticket, clerk, TO_FOLLOW_UP), clerk, 2)
    ticket = follow_up(walk(ticket, clerk, TO_FOLLOW_UP[2:]), clerk, 5)
    received = ticket.created_at
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=received + datetime.timedelta(hours=2, minutes=15))
    return ticket


def test_the_closed_tab_says_ticket_closed_and_a_closed_shop_says_out_of_business(
    client_for, users, prefecture, closed_ticket
):
    client = client_for(users[Role.ADMIN])
    queue = client.get(reverse("complaints:index"), {"queue": "closed"}).content.decode()
    tab = re.search(r'data-queue="closed">([^<]*)<', queue).group(1).strip()
    assert tab == "已关闭"
    assert "歇业" not in queue
    shop = prefecture["shops"]["b"]
    shop.status = RetailerStatus.CLOSED
    shop.save()
    dossier = client.get(reverse("retailers:retailer-detail", args=[shop.pk])).content.decode()
    assert "歇业" in dossier and "关闭" not in dossier


def test_the_closed_tab_in_english(client_for, users, closed_ticket):
    queue = in_english(client_for(users[Role.ADMIN])).get(reverse("complaints:index"), {"queue": "closed"})
    assert re.search(r'data-queue="closed">([^<]*)<', queue.content.decode()).group(1).strip() == "Closed"


def test_the_queue_column_received_is_a_time_not_the_step(client_for, users, closed_ticket):
    page = client_for(users[Role.ADMIN]).get(reverse("complaints:index"), {"queue": "closed"}).content.decode()
    assert "<th>受理时间</th>" in page


def test_the_report_shows_a_duration_shares_and_every_follow_up(client_for, users, closed_ticket):
    page = client_for(users[Role.ADMIN]).get(reverse("complaints:report")).content.decode()
    mean_close = re.search(r'id="mean-close">([^<]*)<', page).group(1)
    assert mean_close == "2小时15分"
    assert re.search(r'id="satisfaction">([^<]*)<', page).group(1) == "3.50"
    assert re.search(r'id="follow-ups">([^<]*)<', page).group(1) == "2"
    assert re.search(r'id="unsatisfied">([^<]*)<', page).group(1) == "50.0%"
    assert "%</td>" in page and "{%" not in page
    english = in_english(client_for(users[Role.ADMIN])).get(reverse("complaints:report")).content.decode()
    assert re.search(r'id="mean-close">([^<]*)<', english).group(1) == "2 h 15 min"


def test_the_report_export_has_every_follow_up_and_the_unsatisfied_share(client_for, users, closed_ticket):
    response = client_for(users[Role.ADMIN]).get(reverse("complaints:report-export"))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    headers, values = workbook["汇总"].iter_rows(values_only=True)
    summary = dict(zip(headers, values, strict=True))
    assert summary == {"受理至关闭平均用时（小时）": 2.25, "回访满意度": 3.5, "回访次数": 2, "不满意回访占比": 0.5}
    assert workbook["汇总"]["D2"].number_format == "0.0%"


def test_counts_on_the_complaint_pages_have_thousands_separators(client_for, users, closed_ticket, monkeypatch):
    from complaints import views

    monkeypatch.setattr(views, "queue_counts", lambda **kwargs: dict.fromkeys(views.QUEUES, 12345))
    page = client_for(users[Role.ADMIN]).get(reverse("complaints:index"), {"queue": "closed"}).content.decode()
    assert page.count(">12,345</span>") == len(views.QUEUES)


@pytest.mark.parametrize("path", ["complaints:index", "complaints:report"])
def test_queue_and_report_take_a_fixed_number_of_queries(client_for, users, prefecture, clerk, path):
    client = client_for(users[Role.ADMIN])
    client.get(reverse(path))  # sessions and permissions cached

    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(path), {"queue": "closed"}).status_code == 200
        return len(captured)

    few = queries()
    for shop in prefecture["shops"].values():
        ticket = ticket_create(retailer=shop, data=ticket_data(), created_by=clerk)
        follow_up(walk(ticket, clerk, TO_FOLLOW_UP), clerk, 4)
    assert queries() == few
