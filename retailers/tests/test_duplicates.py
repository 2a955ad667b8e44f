"""The duplicates page: candidate pairs, counted and paged, with "merge" and "not a duplicate"."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from crm_site.roles import Role
from retailers.models import Retailer, RetailerDistinctPair
from retailers.selectors import retailer_duplicate_pairs
from retailers.services import retailer_pair_mark_distinct
from retailers.tests.factories import RetailerFactory

pytestmark = pytest.mark.django_db
URL = reverse("retailers:retailer-duplicates")
DISTINCT_URL = reverse("retailers:retailer-distinct")


def _twins(area, count: int, phone: str = "13800000000") -> list[Retailer]:
    """`count` shops sharing one phone: count*(count-1)/2 candidate pairs."""
    return [
        RetailerFactory(service_area=area, phone=phone, name=f"同号店{n}", address=f"路{n}号") for n in range(count)
    ]


def _pair_ids(page) -> list[tuple[int, int]]:
    return [(pair.first.pk, pair.second.pk) for pair in page.pairs]


def test_pairs_are_counted_and_paged_by_keyset_without_overlap(prefecture):
    _twins(prefecture["areas"]["a"], 5)  # 10 pairs
    retailers = Retailer.objects.all()
    seen, after = [], None
    for _page_number in range(4):
        page = retailer_duplicate_pairs(retailers=retailers, after=after, size=4)
        assert page.count == 10 and page.count_is_exact
        seen += _pair_ids(page)
        after = page.next_cursor
        if after is None:
            break
    assert len(seen) == 10 == len(set(seen)) and seen == sorted(seen)
    assert all(first < second for first, second in seen)


def test_a_damaged_cursor_gives_the_first_page(prefecture):
    _twins(prefecture["areas"]["a"], 3)
    first = retailer_duplicate_pairs(retailers=Retailer.objects.all())
    for cursor in ("x", "1-", "-1", "1-2-3", "９-９"):
        page = retailer_duplicate_pairs(retailers=Retailer.objects.all(), after=cursor)
        assert page.is_first and _pair_ids(page) == _pair_ids(first)


def test_a_pair_marked_distinct_is_not_offered_again_and_the_count_drops(prefecture):
    a, b, c = _twins(prefecture["areas"]["a"], 3)
    supervisor = prefecture["users"][Role.SUPERVISOR]
    pair = retailer_pair_mark_distinct(first=c, second=a, decided_by=supervisor)
    assert (pair.first, pair.second, pair.decided_by) == (a, c, supervisor) and pair.decided_at
    assert retailer_pair_mark_distinct(first=a, second=c, decided_by=prefecture["users"][Role.ADMIN]) == pair
    page = retailer_duplicate_pairs(retailers=Retailer.objects.all())
    assert _pair_ids(page) == [(a.pk, b.pk), (b.pk, c.pk)] and page.count == 2


def test_marking_distinct_needs_two_dossiers_and_the_merge_permission(prefecture):
    a, b = _twins(prefecture["areas"]["a"], 2)
    with pytest.raises(ValidationError):
        retailer_pair_mark_distinct(first=a, second=a, decided_by=prefecture["users"][Role.ADMIN])
    with pytest.raises(PermissionDenied):
        retailer_pair_mark_distinct(first=a, second=b, decided_by=prefecture["users"][Role.SALES_MANAGER])
    assert not RetailerDistinctPair.objects.exists()


def test_the_search_stays_bounded_and_says_so(prefecture, monkeypatch):
    from retailers import selectors

    monkeypatch.setattr(selectors, "DUPLICATE_GROUP_SIZE", 3)
    _twins(prefecture["areas"]["a"], 5)
    page = retailer_duplicate_pairs(retailers=Retailer.objects.all())
    assert page.count == 3 and not page.count_is_exact
    for n in range(3):
        _twins(prefecture["areas"]["b"], 2, phone=f"1370000000{n}")
    assert not retailer_duplicate_pairs(retailers=Retailer.objects.all(), limit=2).count_is_exact


def test_a_merge_removes_the_decisions_about_the_merged_dossier(prefecture):
    from retailers.services import retailer_merge

    a, b, c = _twins(prefecture["areas"]["a"], 3)
    admin = prefecture["users"][Role.ADMIN]
    retailer_pair_mark_distinct(first=a, second=b, decided_by=admin)
    retailer_merge(survivor=a, duplicate=c, merged_by=admin, reason="重复")
    retailer_merge(survivor=a, duplicate=b, merged_by=admin, reason="其实重复")
    assert not RetailerDistinctPair.objects.exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR])
def test_not_a_duplicate_from_the_page(client_for, prefecture, role):
    a, b, _c = _twins(prefecture["areas"]["a"], 3)
    client = client_for(prefecture["users"][role])
    content = client.get(URL).content.decode()
    assert "3 对疑似重复待核对" in content and "不是重复" in content
    response = client.post(DISTINCT_URL, {"first": a.pk, "second": b.pk, "after": f"{a.pk}-{b.pk}"})
    assert response.status_code == 302 and response.url == f"{URL}?after={a.pk}-{b.pk}"
    assert RetailerDistinctPair.objects.get().decided_by == prefecture["users"][role]
    page = client.get(URL)
    assert "2 对疑似重复待核对" in page.content.decode() and "不会再作为疑似重复列出" in page.content.decode()
    assert (a.pk, b.pk) not in _pair_ids(page.context["page"])


@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.COMPLAINT_CLERK])
def test_not_a_duplicate_is_refused_to_roles_that_may_not_merge(client_for, prefecture, role):
    a, b = _twins(prefecture["areas"]["a"], 2)
    assert client_for(prefecture["users"][role]).post(DISTINCT_URL, {"first": a.pk, "second": b.pk}).status_code == 403
    assert not RetailerDistinctPair.objects.exists()


def test_not_a_duplicate_outside_the_supervisors_region_is_refused(client_for, prefecture):
    outside = _twins(prefecture["areas"]["c"], 2)
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    response = client.post(DISTINCT_URL, {"first": outside[0].pk, "second": outside[1].pk})
    assert response.status_code == 302
    assert not RetailerDistinctPair.objects.exists()


def test_not_a_duplicate_needs_a_post(client_for, users):
    assert client_for(users[Role.ADMIN]).get(DISTINCT_URL).status_code == 405


def test_page_shows_the_next_page_link_and_a_fixed_number_of_queries(client_for, prefecture):
    client = client_for(prefecture["users"][Role.ADMIN])
    _twins(prefecture["areas"]["a"], 2)
    client.get(URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    _twins(prefecture["areas"]["b"], 8, phone="13700000000")  # 28 more pairs: two pages
    with CaptureQueriesContext(connection) as many:
        content = client.get(URL).content.decode()
    assert len(many) == len(few)
    assert 'id="next-page"' in content and content.count("duplicate-pair") == 20
