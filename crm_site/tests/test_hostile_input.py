"""Whatever a user types into a query string answers with a page (the first one) or a 400, never a 500.

Every list-like page is found from the URLconf (each GET page without path parameters) and fed
damaged paging cursors and unknown filter, sort and queue values; the filters each page really has
are read from the page's own filter set, so a filter added later is probed too.
"""

from __future__ import annotations

import base64

import pytest
from django.urls import reverse

from crm_site.roles import Role
from crm_site.tests.url_walk import parameterless_url_names
from retailers.tests.factories import OrderFactory


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BIG = 10**30
DAMAGED_CURSORS = [
    "garbage!!",
    "%%%",
    "a",
    "====",
    "x" * 5000,
    *(
        _b64(raw)
        for raw in (
            "null",
            "[]",
            "{}",
            '""',
            "1",
            "[1]",
            "[1, 2, 3]",
            "[null, 1]",
            "[null, null]",
            '["name", null]',
            '["x", "y"]',
            '[{"a": 1}, 1]',
            "[[1], 1]",
            "[true, true]",
            "[1.5, 1.5]",
            '["2026-13-45", 1]',
            '["2026-02-30T25:61:00", 1]',
            f"[{BIG}, 1]",
            f'["a", {BIG}]',
            f"[1, -{BIG}]",
            "[-1, -1]",
            f'["{"z" * 300}", 1]',
            "[1e400, 1]",
            '["nul\\u0000", 1]',  # PostgreSQL refuses NUL in a string
            "not json",
        )
    ),
]
# Cursors no sort field accepts: they must show the first page (the others may be valid for some field).
NEVER_VALID = {DAMAGED_CURSORS[0], *(_b64(raw) for raw in ("null", "[]", "{}", "[null, 1]", "[1, 2, 3]", "[1.5, 1.5]"))}
UNKNOWN_VALUES = [
    "zzz-unknown",
    "nul\x00",
    "x" * 3000,
    "-",
    "--name",
    "pk",
    "__class__",
    "service_area__region__name",
    "1" * 40,
    "-1",
    "0",
]
PROBED_PARAMETERS = ("sort", "queue", "kind", "page", "q", "tab", "status")


def _list_urls() -> list[str]:
    return [reverse(name) for name in parameterless_url_names()]


def _assert_no_server_error(response, url: str, params: dict) -> None:
    assert response.status_code < 500, f"{url} with {params} answered {response.status_code}"


@pytest.fixture
def hostile_users(prefecture):
    # A few rows on each list so a cursor has somewhere to land.
    OrderFactory(retailer=prefecture["shops"]["a"])
    return [prefecture["users"][Role.ADMIN], prefecture["users"][Role.SALES_MANAGER]]


@pytest.mark.django_db
def test_every_list_page_answers_damaged_cursors_without_a_server_error(client, hostile_users):
    paged = set()
    for user in hostile_users:
        client.force_login(user)
        for url in _list_urls():
            response = client.get(url)
            is_paged = response.status_code == 200 and "page" in (response.context or {})  # for this user
            if is_paged:
                paged.add(url)
            sorts = (None, "license_expires_on", "-stars", "license_no") if is_paged else (None,)
            for cursor in DAMAGED_CURSORS if is_paged else DAMAGED_CURSORS[::6]:
                for sort in sorts:
                    params = {"after": cursor} | ({"sort": sort} if sort else {})
                    response = client.get(url, params)
                    _assert_no_server_error(response, url, params)
                    if is_paged and cursor in NEVER_VALID:
                        assert response.context["page"].is_first, f"{url} with {params} did not show the first page"
    assert {"/retailers/", "/retailers/orders/", "/complaints/"} <= paged


@pytest.mark.django_db
def test_every_list_page_answers_unknown_filter_and_sort_values_without_a_server_error(client, hostile_users):
    for user in hostile_users:
        client.force_login(user)
        for url in _list_urls():
            for value in UNKNOWN_VALUES:  # the usual parameter names all at once
                params = dict.fromkeys(PROBED_PARAMETERS, value)
                _assert_no_server_error(client.get(url, params), url, params)
            response = client.get(url)
            page_filter = (response.context or {}).get("filter") if response.status_code == 200 else None
            for name in page_filter.filters if page_filter is not None else ():  # each of the page's filters alone
                for value in UNKNOWN_VALUES:
                    params = {name: value}
                    _assert_no_server_error(client.get(url, params), url, params)


@pytest.mark.django_db
def test_a_valid_cursor_still_pages(client_for, users, prefecture):
    from retailers.tests.factories import RetailerFactory

    area = prefecture["areas"]["a"]
    for number in range(55):
        RetailerFactory(service_area=area, name=f"店{number:03d}")
    client = client_for(users[Role.ADMIN])
    first = client.get(reverse("retailers:retailer-list"))
    cursor = first.context["page"].next_cursor
    assert cursor
    second = client.get(reverse("retailers:retailer-list"), {"after": cursor})
    assert not second.context["page"].is_first
    assert {r.pk for r in first.context["page"].rows}.isdisjoint({r.pk for r in second.context["page"].rows})


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"kind": ""}, {"kind": "no-such-export"}, {"kind": "retailers", "query": "%%%"}])
def test_export_start_with_an_unknown_or_missing_kind_is_a_400(client_for, users, data):
    response = client_for(users[Role.ADMIN]).post(reverse("export-job-create"), data)
    if data.get("kind") == "retailers":
        assert response.status_code == 302  # a known kind with a garbled query still starts
    else:
        assert response.status_code == 400
