import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.roles import Role
from retailers.tests.factories import OrderFactory, RetailerFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("retailers:retailer-list")


def listed_names(response) -> set[str]:
    return {retailer.name for retailer in response.context["page"]}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.SALES_MANAGER, {"王记便利店"}),
        (Role.SUPERVISOR, {"王记便利店", "李家超市"}),
        (Role.COMPLAINT_CLERK, {"王记便利店", "李家超市", "张老烟酒店"}),
        (Role.ADMIN, {"王记便利店", "李家超市", "张老烟酒店"}),
    ],
)
def test_list_shows_each_role_its_scope(client_for, users, role, expected):
    response = client_for(users[role]).get(LIST_URL)
    assert response.status_code == 200
    assert listed_names(response) == expected


def test_list_needs_login(client):
    assert client.get(LIST_URL).status_code == 302


def test_user_without_role_gets_403(client_for, prefecture):
    from crm_site.tests.factories import UserFactory

    assert client_for(UserFactory()).get(LIST_URL).status_code == 403


@pytest.mark.parametrize("term", ["wjbld", "wangji", "王记", "WJBLD", "139123", "wjg"])
def test_search_by_name_pinyin_initials_phone_and_owner(client_for, users, term):
    response = client_for(users[Role.ADMIN]).get(LIST_URL, {"q": term})
    assert listed_names(response) == {"王记便利店"}


def test_filters_combine_and_stay_in_the_url(client_for, prefecture):
    admin = prefecture["users"][Role.ADMIN]
    region_1 = prefecture["regions"][0]
    response = client_for(admin).get(LIST_URL, {"region": region_1.pk, "q": "超市"})
    assert listed_names(response) == {"李家超市"}


def test_htmx_request_renders_only_the_results_partial(client_for, users):
    response = client_for(users[Role.ADMIN]).get(LIST_URL, {"q": "wjbld"}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "王记便利店" in content
    assert "<html" not in content


def test_phones_are_masked_for_supervisors_and_shown_to_managers(client_for, users):
    supervisor_page = client_for(users[Role.SUPERVISOR]).get(LIST_URL).content.decode()
    assert "139****5678" in supervisor_page and "13912345678" not in supervisor_page
    manager_page = client_for(users[Role.SALES_MANAGER]).get(LIST_URL).content.decode()
    assert "13912345678" in manager_page


def test_list_query_count_does_not_grow_with_rows(client_for, prefecture):
    client = client_for(prefecture["users"][Role.ADMIN])
    client.get(LIST_URL)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL)
    for _ in range(30):
        RetailerFactory(service_area=prefecture["areas"]["b"])
    with CaptureQueriesContext(connection) as many:
        client.get(LIST_URL)
    assert len(many) == len(few)


def detail_url(shop) -> str:
    return reverse("retailers:retailer-detail", args=[shop.pk])


@pytest.mark.parametrize("role", list(Role))
def test_dossier_opens_for_every_role_in_scope(client_for, prefecture, role):
    shop = prefecture["shops"]["a"]
    response = client_for(prefecture["users"][role]).get(detail_url(shop))
    assert response.status_code == 200
    assert shop.license_no in response.content.decode()


def test_another_managers_shop_by_url_is_404(client_for, prefecture):
    response = client_for(prefecture["users"][Role.SALES_MANAGER]).get(detail_url(prefecture["shops"]["c"]))
    assert response.status_code == 404


def test_supervisor_outside_region_gets_404(client_for, prefecture):
    response = client_for(prefecture["users"][Role.SUPERVISOR]).get(detail_url(prefecture["shops"]["c"]))
    assert response.status_code == 404


def test_dossier_query_count_is_fixed(client_for, prefecture):
    shop = prefecture["shops"]["a"]
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    client.get(detail_url(shop))
    with CaptureQueriesContext(connection) as few:
        client.get(detail_url(shop))
    for _ in range(15):
        OrderFactory(retailer=shop)
    with CaptureQueriesContext(connection) as many:
        client.get(detail_url(shop))
    assert len(many) == len(few)
