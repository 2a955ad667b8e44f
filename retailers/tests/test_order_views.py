import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from crm_site.models import ExportJob, ExportLog
from crm_site.roles import Role
from crm_site.tests.factories import UserFactory
from retailers.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("retailers:order-list")
EXPORT_URL = reverse("retailers:order-export")
TODAY = datetime.date.today()


@pytest.fixture
def orders(prefecture):
    """One order in each shop of the prefecture, a week apart (shop a's is the newest)."""
    shops = prefecture["shops"]
    return {
        "a": OrderFactory(
            retailer=shops["a"],
            order_no="DD20260101A",
            ordered_on=TODAY,
            amount=Decimal("5200.50"),
            cartons=20,
            high_end_amount=Decimal("1200.00"),
            low_tar_cartons=3,
            line_count=12,
            brand_count=5,
        ),
        "b": OrderFactory(retailer=shops["b"], order_no="DD20260101B", ordered_on=TODAY - datetime.timedelta(days=7)),
        "c": OrderFactory(retailer=shops["c"], order_no="DD20260101C", ordered_on=TODAY - datetime.timedelta(days=14)),
    }


def listed(response) -> list[str]:
    return [order.order_no for order in response.context["page"].rows]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.SALES_MANAGER, ["DD20260101A"]),
        (Role.SUPERVISOR, ["DD20260101A", "DD20260101B"]),
        (Role.COMPLAINT_CLERK, ["DD20260101A", "DD20260101B", "DD20260101C"]),
        (Role.ADMIN, ["DD20260101A", "DD20260101B", "DD20260101C"]),
    ],
)
def test_each_role_sees_the_orders_of_its_shops_newest_first(client_for, users, orders, role, expected):
    response = client_for(users[role]).get(LIST_URL)
    assert response.status_code == 200
    assert listed(response) == expected


def test_another_manager_sees_only_their_own_area(client_for, prefecture, orders):
    assert listed(client_for(prefecture["other_manager"]).get(LIST_URL)) == ["DD20260101C"]


def test_page_shows_the_columns_and_links_the_dossier(client_for, users, orders):
    content = client_for(users[Role.SALES_MANAGER]).get(LIST_URL).content.decode()
    shop = orders["a"].retailer
    assert reverse("retailers:retailer-detail", args=[shop.pk]) in content
    assert shop.license_no in content and "玄武一片" in content
    assert "5,200.50" in content and "1,200.00" in content
    assert "订单号" in content and "低焦油数量（条）" in content


def test_list_needs_login(client):
    assert client.get(LIST_URL).status_code == 302


def test_user_without_role_gets_403(client_for, prefecture):
    assert client_for(UserFactory()).get(LIST_URL).status_code == 403


def test_user_who_may_see_shops_but_not_purchases_gets_403(client_for, prefecture):
    """The page needs view_order on top of the area: a group with view_retailer alone is refused."""
    group = Group.objects.create(name="read-only")
    group.permissions.add(Permission.objects.get(codename="view_retailer"))
    user = UserFactory(role=Role.SALES_MANAGER)
    user.groups.add(group)
    Group.objects.get(name=Role.SALES_MANAGER).permissions.remove(Permission.objects.get(codename="view_order"))
    assert client_for(user).get(LIST_URL).status_code == 403
    assert client_for(user).get(EXPORT_URL).status_code == 403


def test_filters_by_date_region_area_and_minimum_amount(client_for, prefecture, orders):
    client = client_for(prefecture["users"][Role.ADMIN])
    week_ago = (TODAY - datetime.timedelta(days=7)).isoformat()
    assert listed(client.get(LIST_URL, {"date_from": week_ago})) == ["DD20260101A", "DD20260101B"]
    assert listed(client.get(LIST_URL, {"date_to": week_ago})) == ["DD20260101B", "DD20260101C"]
    assert listed(client.get(LIST_URL, {"date_from": week_ago, "date_to": week_ago})) == ["DD20260101B"]
    assert listed(client.get(LIST_URL, {"region": prefecture["regions"][1].pk})) == ["DD20260101C"]
    assert listed(client.get(LIST_URL, {"service_area": prefecture["areas"]["b"].pk})) == ["DD20260101B"]
    assert listed(client.get(LIST_URL, {"min_amount": "3000"})) == ["DD20260101A"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [("李家", ["DD20260101B"]), ("ljcs", ["DD20260101B"]), ("dd20260101c", ["DD20260101C"]), ("DD20260101", None)],
)
def test_search_by_shop_name_pinyin_licence_and_order_number(client_for, users, orders, term, expected):
    response = client_for(users[Role.ADMIN]).get(LIST_URL, {"q": term})
    assert listed(response) == (expected or ["DD20260101A", "DD20260101B", "DD20260101C"])


def test_search_by_licence(client_for, users, orders):
    licence = orders["c"].retailer.license_no
    assert listed(client_for(users[Role.ADMIN]).get(LIST_URL, {"q": licence})) == ["DD20260101C"]


def test_area_filter_offers_and_accepts_only_the_users_areas(client_for, prefecture, orders):
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    response = client.get(LIST_URL)
    assert list(response.context["filter"].form.fields["service_area"].queryset) == [prefecture["areas"]["a"]]
    assert [region.pk for region in response.context["filter"].form.fields["region"].queryset] == [
        prefecture["regions"][0].pk
    ]
    # Another area by URL is refused by the form and the list stays within the manager's scope.
    response = client.get(LIST_URL, {"service_area": prefecture["areas"]["c"].pk})
    assert response.context["filter"].errors and listed(response) == ["DD20260101A"]


def test_one_shops_orders_and_another_users_shop_gives_no_rows(client_for, prefecture, orders):
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    own = client.get(LIST_URL, {"retailer": prefecture["shops"]["a"].pk})
    assert listed(own) == ["DD20260101A"]
    assert "王记便利店" in own.content.decode() and 'id="one-shop"' in own.content.decode()
    assert listed(client.get(LIST_URL, {"retailer": prefecture["shops"]["c"].pk})) == []
    for hostile in ("abc", "-1", "99999999999999999999999", "1.5"):
        response = client.get(LIST_URL, {"retailer": hostile})
        assert response.status_code == 200 and listed(response) == []


def test_dossier_links_its_orders_and_the_retailer_list_links_the_order_list(client_for, prefecture):
    shop = prefecture["shops"]["a"]
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    dossier = client.get(reverse("retailers:retailer-detail", args=[shop.pk])).content.decode()
    assert f'{LIST_URL}?retailer={shop.pk}"' in dossier
    assert f'href="{LIST_URL}" id="orders-link"' in client.get(reverse("retailers:retailer-list")).content.decode()


def test_htmx_request_renders_only_the_results_partial(client_for, users, orders):
    response = client_for(users[Role.ADMIN]).get(LIST_URL, {"q": "李家"}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "DD20260101B" in content and "<html" not in content


# Per page: session, user, the user's groups (roles), permissions (user and group), the page of
# orders (shop and area joined), the bounded count, the navbar's unread notifications, and the
# regions and service areas offered by the filter.
PAGE_QUERIES = 10


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER])
def test_query_count_is_fixed_whatever_the_number_of_rows(client_for, prefecture, django_assert_num_queries, role):
    client = client_for(prefecture["users"][role])
    with django_assert_num_queries(PAGE_QUERIES):
        assert listed(client.get(LIST_URL)) == []
    for n in range(60):
        OrderFactory(retailer=prefecture["shops"]["a"], ordered_on=TODAY - datetime.timedelta(days=n))
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get(LIST_URL).context["page"]
    assert len(page.rows) == 50 and page.next_cursor
    with django_assert_num_queries(PAGE_QUERIES):
        assert len(client.get(LIST_URL, {"after": page.next_cursor}).context["page"].rows) == 10


def test_keyset_pages_walk_every_order_newest_first_without_overlap(client_for, prefecture):
    shops = list(prefecture["shops"].values())
    for n in range(130):  # several orders a day: the id breaks the ties
        OrderFactory(retailer=shops[n % 3], ordered_on=TODAY - datetime.timedelta(days=n // 4))
    client = client_for(prefecture["users"][Role.ADMIN])
    seen, params = [], {}
    while True:
        page = client.get(LIST_URL, params).context["page"]
        seen += [(order.ordered_on, order.pk) for order in page.rows]
        if not page.next_cursor:
            break
        params["after"] = page.next_cursor
    assert len(seen) == len(set(seen)) == 130
    assert seen == sorted(seen, reverse=True)


def test_next_page_link_keeps_the_filters(client_for, prefecture):
    for n in range(55):
        OrderFactory(retailer=prefecture["shops"]["b"], ordered_on=TODAY - datetime.timedelta(days=n))
    OrderFactory(retailer=prefecture["shops"]["a"])
    client = client_for(prefecture["users"][Role.ADMIN])
    page = client.get(LIST_URL, {"q": "李家"})
    cursor = page.context["page"].next_cursor
    assert f'href="?q=%E6%9D%8E%E5%AE%B6&amp;after={cursor}"' in page.content.decode()
    assert len(client.get(LIST_URL, {"q": "李家", "after": cursor}).context["page"].rows) == 5


def read_sheet(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_export_is_scoped_filtered_typed_and_logged(client_for, users, orders):
    supervisor = users[Role.SUPERVISOR]
    client = client_for(supervisor)
    page = client.get(LIST_URL, {"date_from": (TODAY - datetime.timedelta(days=30)).isoformat()}).content.decode()
    assert 'id="export-link"' in page
    params = {"date_from": (TODAY - datetime.timedelta(days=30)).isoformat(), "after": "x"}
    response = client.get(EXPORT_URL, params)
    assert response.status_code == 200
    sheet = read_sheet(response)
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["订单号", "订货日期", "店名"] and "金额（元）" in header
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == ["DD20260101A", "DD20260101B"]  # not shop c's, outside the region
    date_cell, amount_cell = sheet.cell(row=2, column=2), sheet.cell(row=2, column=header.index("金额（元）") + 1)
    assert date_cell.is_date and date_cell.value.date() == TODAY
    assert isinstance(amount_cell.value, int | float) and amount_cell.value == pytest.approx(5200.50)
    assert rows[0][header.index("品牌数")] == 5
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.row_count, log.filters) == (
        supervisor,
        "orders",
        2,
        {"date_from": params["date_from"]},
    )


def test_export_of_one_shop_follows_the_retailer_parameter(client_for, prefecture, orders):
    client = client_for(prefecture["users"][Role.ADMIN])
    sheet = read_sheet(client.get(EXPORT_URL, {"retailer": prefecture["shops"]["b"].pk}))
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["DD20260101B"]


@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.COMPLAINT_CLERK])
def test_export_refused_without_the_export_permission(client_for, users, orders, role):
    client = client_for(users[role])
    assert 'id="export-link"' not in client.get(LIST_URL).content.decode()
    assert client.get(EXPORT_URL).status_code == 403
    response = client.post(reverse("export-job-create"), {"kind": "orders", "query": ""})
    assert response.status_code == 403
    assert not ExportLog.objects.exists() and not ExportJob.objects.exists()


def test_long_list_is_exported_in_the_background_not_directly(
    client_for, users, orders, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("retailers.views.DIRECT_EXPORT_LIMIT", 1)
    supervisor = users[Role.SUPERVISOR]
    client = client_for(supervisor)
    page = client.get(LIST_URL).content.decode()
    assert 'id="export-job-button"' in page and 'id="export-link"' not in page
    # A direct link to a list that long is sent back to the page rather than written in the request.
    response = client.get(EXPORT_URL, {"q": "DD"})
    assert response.status_code == 302 and response.url == f"{LIST_URL}?q=DD"
    assert not ExportLog.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export-job-create"), {"kind": "orders", "query": "q=DD"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.kind, job.status, job.row_count) == ("orders", ExportJob.Status.SUCCEEDED, 2)
    sheet = read_sheet(client.get(reverse("export-job-download", args=[job.pk])))
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["DD20260101A", "DD20260101B"]
    assert ExportLog.objects.get().kind == "orders"


def test_retailer_list_links_keep_the_filters(client_for, users):
    """The export and paging links carry the filters as they are (no doubled '?')."""
    content = client_for(users[Role.ADMIN]).get(reverse("retailers:retailer-list"), {"q": "超市"}).content.decode()
    assert f'href="{reverse("retailers:retailer-export")}?q=%E8%B6%85%E5%B8%82"' in content
    assert "??" not in content


def test_a_bad_filter_value_is_named_and_the_page_keeps_its_queries(
    client_for, prefecture, orders, django_assert_num_queries
):
    from crm_site.testing import ignored_filter_warnings_on

    client = client_for(prefecture["users"][Role.ADMIN])
    client.cookies["django_language"] = "zh-hans"
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(LIST_URL, {"date_from": "2026-13-45", "region": "x"})
    assert response.status_code == 200 and len(listed(response)) == 3
    assert ignored_filter_warnings_on(response) == [
        "起始日期：“2026-13-45”无效，已忽略此筛选条件。",
        "区域：“x”不是可选项，已忽略此筛选条件。",
    ]
    refused = client.get(LIST_URL, {"retailer": "abc"})
    assert listed(refused) == [] and ignored_filter_warnings_on(refused) == ["零售客户：“abc”无效，未列出任何结果。"]
