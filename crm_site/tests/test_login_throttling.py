"""Log-in throttling (django-axes): repeated failures lock out a username and an address for a while."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from crm_site.roles import Role
from crm_site.security import client_ip
from crm_site.testing import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def _log_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client, username: str, times: int, address: str = "10.0.0.1") -> None:
    for _attempt in range(times):
        assert _log_in(client, username, "wrong", address).status_code in (200, 429)  # 429 from the limit on


def test_the_limit_and_cool_off_are_as_configured():
    assert LIMIT == 5
    assert datetime.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME


def test_a_user_is_locked_out_after_repeated_failures_even_with_the_right_password(client, users):
    _fail(client, "complaint_clerk", LIMIT - 1)
    response = _log_in(client, "complaint_clerk", "wrong")
    assert response.status_code == 429
    response = _log_in(client, "complaint_clerk", TEST_PASSWORD)
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    content = response.content.decode()
    assert "登录失败次数过多" in content
    assert "30分" in content  # how long, in the page's language
    assert "系统管理员" in content  # and who can unlock it
    assert 'name="password"' not in content  # no form to keep guessing on


def test_the_lockout_page_speaks_english_on_the_english_ui(client, users):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _fail(client, "complaint_clerk", LIMIT)
    content = _log_in(client, "complaint_clerk", TEST_PASSWORD).content.decode()
    assert "Too many failed log-ins" in content
    assert "30 min" in content


def test_a_username_is_locked_from_every_address(client, users):
    """Guessing one account's password from many addresses is stopped too."""
    for number in range(LIMIT):
        _fail(client, "supervisor", 1, address=f"10.0.1.{number}")
    assert _log_in(client, "supervisor", TEST_PASSWORD, address="10.0.2.1").status_code == 429


def test_an_address_is_locked_for_every_username(client, users):
    """Trying one password on many accounts from one machine is stopped too."""
    for number in range(LIMIT):
        _fail(client, f"guess{number}", 1, address="10.0.3.1")
    assert _log_in(client, "other_manager", TEST_PASSWORD, address="10.0.3.1").status_code == 429
    # the others, from their own machines, still log in
    assert _log_in(client, "other_manager", TEST_PASSWORD, address="10.0.3.2").status_code == 302


def test_a_success_before_the_limit_forgets_the_failures(client, users):
    _fail(client, "sales_manager", LIMIT - 1)
    assert _log_in(client, "sales_manager", TEST_PASSWORD).status_code == 302
    client.logout()
    _fail(client, "sales_manager", LIMIT - 1)
    assert _log_in(client, "sales_manager", TEST_PASSWORD).status_code == 302


def test_a_colleague_logging_in_from_the_same_desk_does_not_clear_the_count_on_an_account(client, users):
    _fail(client, "supervisor", LIMIT - 1, address="10.0.4.1")
    assert _log_in(client, "sales_manager", TEST_PASSWORD, address="10.0.4.1").status_code == 302
    client.logout()
    assert _log_in(client, "supervisor", "wrong", address="10.0.4.1").status_code == 429
    assert _log_in(client, "supervisor", TEST_PASSWORD, address="10.0.4.9").status_code == 429


def test_the_lock_ends_after_the_cool_off(client, users):
    _fail(client, "complaint_clerk", LIMIT)
    assert _log_in(client, "complaint_clerk", TEST_PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31))
    assert _log_in(client, "complaint_clerk", TEST_PASSWORD).status_code == 302


def test_an_admin_unlocks_a_user_in_the_back_office(client, client_for, users):
    _fail(client, "complaint_clerk", LIMIT)
    attempt = AccessAttempt.objects.get(username="complaint_clerk")
    admin = client_for(users[Role.ADMIN])
    users[Role.ADMIN].is_staff = True
    users[Role.ADMIN].save()
    assert admin.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    response = admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    admin.logout()
    assert _log_in(client, "complaint_clerk", TEST_PASSWORD).status_code == 302


def test_axes_reset_username_unlocks_from_the_command_line(client, users):
    _fail(client, "complaint_clerk", LIMIT)
    call_command("axes_reset_username", "complaint_clerk")
    assert _log_in(client, "complaint_clerk", TEST_PASSWORD).status_code == 302


def test_force_login_is_not_throttled(client_for, users):
    assert client_for(users[Role.ADMIN]).get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.9.9.9"),  # reached directly: a forged header is ignored
        (1, "6.6.6.6, 192.0.2.7", "192.0.2.7"),  # one proxy: the address it saw, not the client's claim
        (2, "192.0.2.7, 10.1.1.1", "192.0.2.7"),
        (1, "", "10.9.9.9"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_behind_a_proxy_users_are_throttled_by_their_own_address(client, settings, users):
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(LIMIT):
        response = client.post(
            reverse("login"),
            {"username": f"guess{number}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.254",
            HTTP_X_FORWARDED_FOR="192.0.2.66",
        )
    assert response.status_code == 429
    response = client.post(
        reverse("login"),
        {"username": "complaint_clerk", "password": TEST_PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="192.0.2.10",
    )
    assert response.status_code == 302  # a colleague behind the same proxy is not locked
