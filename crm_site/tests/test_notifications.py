"""Notifications: the shared service every area sends through, the bell and the page."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from crm_site.models import Notification
from crm_site.notifications import notifications_for, notifications_mark_read, notifications_send
from crm_site.roles import Role

pytestmark = pytest.mark.django_db
PAGE = reverse("notifications")
READ = reverse("notifications-read")


def send(*users, text="TS-2026-000001: 受理 is due at 10:30.", link="/complaints/1/"):
    return notifications_send(recipients=users, text=text, link=link)


def test_send_notifies_each_distinct_recipient_once_and_mails_after_commit(users, django_capture_on_commit_callbacks):
    clerk, supervisor = users[Role.COMPLAINT_CLERK], users[Role.SUPERVISOR]
    supervisor.email = "zhuguan@example.com"
    supervisor.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            notifications_send(
                recipients=[clerk, None, supervisor, clerk],
                text="逾期",
                link="/complaints/7/",
                mail_subject="[TS-1] 逾期",
            )
            == 2
        )
    assert sorted(Notification.objects.values_list("user__username", "link")) == [
        (Role.COMPLAINT_CLERK.value, "/complaints/7/"),
        (Role.SUPERVISOR.value, "/complaints/7/"),
    ]
    assert [(message.subject, message.to) for message in mail.outbox] == [("[TS-1] 逾期", ["zhuguan@example.com"])]


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "complaints/1/"])
def test_a_link_must_be_a_path_on_this_site(users, link):
    with pytest.raises(ValidationError):
        send(users[Role.COMPLAINT_CLERK], link=link)
    assert not Notification.objects.exists()


def test_mark_read_all_or_some_and_never_another_users(users):
    clerk, admin = users[Role.COMPLAINT_CLERK], users[Role.ADMIN]
    send(clerk), send(clerk), send(admin)
    first, _second = notifications_for(user=clerk)
    others = Notification.objects.get(user=admin)
    assert notifications_mark_read(user=clerk, ids=[first.pk, others.pk]) == 1
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    assert notifications_mark_read(user=clerk) == 1
    assert notifications_mark_read(user=clerk) == 0
    assert Notification.objects.get(pk=others.pk).read_at is None


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_its_own_notifications_and_the_bell_counts_them(client_for, users, role):
    send(users[role], text="给你的提醒", link="/retailers/1/")
    send(users[Role.ADMIN] if role != Role.ADMIN else users[Role.SUPERVISOR], text="别人的提醒")
    response = client_for(users[role]).get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "给你的提醒" in content and 'href="/retailers/1/"' in content
    assert "别人的提醒" not in content
    assert response.context["unread_notifications"] == 1
    assert 'id="notification-bell"' in content


def test_anonymous_is_sent_to_login(client):
    for response in (client.get(PAGE), client.post(READ)):
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_looking_at_the_page_marks_nothing_read(client_for, users):
    clerk = users[Role.COMPLAINT_CLERK]
    send(clerk), send(clerk)
    client = client_for(clerk)
    client.get(PAGE)
    client.get(PAGE)
    assert Notification.objects.filter(user=clerk, read_at__isnull=True).count() == 2
    assert client.get(reverse("home")).context["unread_notifications"] == 2


def test_posting_marks_one_or_all_read(client_for, users):
    clerk = users[Role.COMPLAINT_CLERK]
    send(clerk), send(clerk), send(clerk)
    one = notifications_for(user=clerk)[0]
    client = client_for(clerk)
    response = client.post(READ, {"id": one.pk})
    assert response.status_code == 302 and response.url == PAGE
    assert list(Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True)) == [one.pk]
    client.post(READ)
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert client.get(PAGE).context["unread_notifications"] == 0


def test_mark_read_needs_post_and_the_csrf_token(users):
    clerk = users[Role.COMPLAINT_CLERK]
    send(clerk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    assert client.get(READ).status_code == 405
    assert client.post(READ).status_code == 403
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    token = client.get(PAGE).context["csrf_token"]
    assert client.post(READ, {"csrfmiddlewaretoken": str(token)}).status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.parametrize("damaged", ["abc", "-1", "99999999999999999999999", ""])
def test_a_damaged_id_marks_nothing_and_never_errs(client_for, users, damaged):
    clerk = users[Role.COMPLAINT_CLERK]
    send(clerk)
    assert client_for(clerk).post(READ, {"id": damaged}).status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
