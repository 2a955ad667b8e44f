import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.roles import Role
from crm_site.testing import ignored_filter_warnings_on
from retailers.tests.factories import ComplianceRecordFactory, OrderFactory, RetailerFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("retailers:retailer-list")


def listed_names(response) -> set[str]:
    return {retailer.name for retailer in response.context["page"].rows}


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
    assert 'id="result-count-top"' in content and 'id="result-count"' in content  # both bars swap with the rows


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


def test_keyset_pages_walk_the_whole_list_without_overlap(client_for, prefecture):
    for n in range(120):
        RetailerFactory(service_area=prefecture["areas"]["b"], name=f"测试店{n:03d}")
    client = client_for(prefecture["users"][Role.ADMIN])
    seen, params = [], {"sort": "-name"}
    while True:
        page = client.get(LIST_URL, params).context["page"]
        seen += [retailer.name for retailer in page.rows]
        if not page.next_cursor:
            break
        params["after"] = page.next_cursor
    assert len(seen) == len(set(seen)) == 123
    assert seen == sorted(seen, reverse=True)


def test_damaged_cursor_and_unknown_sort_fall_back_to_the_first_page(client_for, users):
    response = client_for(users[Role.ADMIN]).get(LIST_URL, {"after": "%%%not-base64", "sort": "password"})
    assert response.status_code == 200
    assert response.context["page"].is_first
    assert response.context["sort"] == "name"


def test_licence_and_last_order_filters(client_for, prefecture):
    import datetime

    today = datetime.date.today()
    shops = prefecture["shops"]
    Retailer = type(shops["a"])
    Retailer.objects.filter(pk=shops["a"].pk).update(license_expires_on=today - datetime.timedelta(days=1))
    Retailer.objects.filter(pk=shops["b"].pk).update(
        license_expires_on=today + datetime.timedelta(days=20), last_order_on=today
    )
    client = client_for(prefecture["users"][Role.ADMIN])
    assert listed_names(client.get(LIST_URL, {"license_expired": "true"})) == {"王记便利店"}
    assert listed_names(client.get(LIST_URL, {"license_expires_within": "30"})) == {"李家超市"}
    assert listed_names(client.get(LIST_URL, {"no_order_weeks": "2"})) == {"王记便利店", "张老烟酒店"}


def test_bad_filter_value_is_reported_not_crashed(client_for, users):
    response = client_for(users[Role.ADMIN]).get(LIST_URL, {"no_order_weeks": "abc", "stars": "9"})
    assert response.status_code == 200
    assert response.context["filter"].errors


UPDATE_FORM_ROLES = {
    Role.SALES_MANAGER: {"hobbies"},
    Role.SUPERVISOR: {"license_no", "status", "name", "hobbies"},
    Role.ADMIN: {"license_no", "status", "name", "hobbies"},
}


@pytest.mark.parametrize("role", list(UPDATE_FORM_ROLES))
def test_edit_form_offers_each_role_its_fields(client_for, prefecture, role):
    shop = prefecture["shops"]["a"]
    response = client_for(prefecture["users"][role]).get(reverse("retailers:retailer-update", args=[shop.pk]))
    assert response.status_code == 200
    fields = set(response.context["form"].fields)
    assert UPDATE_FORM_ROLES[role] <= fields
    if role == Role.SALES_MANAGER:
        assert "license_no" not in fields and "status" not in fields


def test_clerk_may_not_edit_and_manager_may_not_edit_others(client_for, prefecture):
    shop_a, shop_c = prefecture["shops"]["a"], prefecture["shops"]["c"]
    clerk = client_for(prefecture["users"][Role.COMPLAINT_CLERK])
    assert clerk.get(reverse("retailers:retailer-update", args=[shop_a.pk])).status_code == 403
    manager = client_for(prefecture["users"][Role.SALES_MANAGER])
    assert manager.get(reverse("retailers:retailer-update", args=[shop_c.pk])).status_code == 404


def test_manager_saves_personal_card_and_a_posted_structural_field_is_ignored(client_for, prefecture):
    shop = prefecture["shops"]["a"]
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    response = client.post(
        reverse("retailers:retailer-update", args=[shop.pk]),
        {"hobbies": "钓鱼、喝茶", "preferred_channel": "wechat", "status": "closed"},
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.hobbies == "钓鱼、喝茶" and shop.status == "active"


def test_invalid_edit_names_the_fields_in_chinese_and_writes_nothing(client_for, prefecture):
    shop = prefecture["shops"]["a"]
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    form = client.get(reverse("retailers:retailer-update", args=[shop.pk])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"license_no": "12AB", "phone": "555", "credit_code": "91350100M000100Y44", "birthday": "1990-13-45"})
    response = client.post(reverse("retailers:retailer-update", args=[shop.pk]), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "请修正以下字段：许可证号、电话、统一社会信用代码、负责人生日" in content
    assert "许可证号应为12位数字" in content
    assert "校验位不正确" in content
    shop.refresh_from_db()
    assert shop.phone == "13912345678"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_create_page_for_supervisor_and_admin(client_for, users, role):
    assert client_for(users[role]).get(reverse("retailers:retailer-create")).status_code == 200


@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.COMPLAINT_CLERK])
def test_create_page_refused_to_manager_and_clerk(client_for, users, role):
    assert client_for(users[role]).get(reverse("retailers:retailer-create")).status_code == 403


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.SUPERVISOR, 200), (Role.SALES_MANAGER, 403), (Role.COMPLAINT_CLERK, 403)],
)
def test_duplicates_page_by_role(client_for, users, role, status):
    assert client_for(users[role]).get(reverse("retailers:retailer-duplicates")).status_code == status


def test_supervisor_duplicates_are_limited_to_own_region(client_for, prefecture):
    RetailerFactory(service_area=prefecture["areas"]["c"], phone=prefecture["shops"]["c"].phone)
    response = client_for(prefecture["users"][Role.SUPERVISOR]).get(reverse("retailers:retailer-duplicates"))
    assert response.context["page"].pairs == []


def test_merge_from_the_duplicates_page(client_for, prefecture):
    survivor = prefecture["shops"]["a"]
    twin = RetailerFactory(service_area=survivor.service_area, phone=survivor.phone)
    OrderFactory(retailer=twin)
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    response = client.post(
        reverse("retailers:retailer-merge"), {"survivor": survivor.pk, "duplicate": twin.pk, "reason": "重复建档"}
    )
    assert response.status_code == 302
    assert survivor.orders.count() == 1
    assert "合并重复档案" in client.get(response.url).content.decode()


def test_merge_of_a_shop_outside_scope_is_refused(client_for, prefecture):
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    response = client.post(
        reverse("retailers:retailer-merge"),
        {"survivor": prefecture["shops"]["a"].pk, "duplicate": prefecture["shops"]["c"].pk, "reason": "x"},
    )
    assert response.status_code == 302
    assert type(prefecture["shops"]["c"]).objects.filter(pk=prefecture["shops"]["c"].pk).exists()


def test_dossier_shows_warnings_purchases_and_timeline(client_for, prefecture):
    import datetime

    shop = prefecture["shops"]["a"]
    type(shop).objects.filter(pk=shop.pk).update(license_expires_on=datetime.date.today() + datetime.timedelta(days=10))
    OrderFactory(retailer=shop)
    ComplianceRecordFactory(retailer=shop)
    content = client_for(prefecture["users"][Role.SALES_MANAGER]).get(detail_url(shop)).content.decode()
    assert "请提醒负责人及时延续" in content
    assert 'id="monthly-data"' in content
    assert "新建档案" in content
    assert "违规记录：跨区域销售（串货）" in content


def test_export_follows_the_filters_and_scope_and_is_logged(client_for, prefecture):
    import io

    import openpyxl

    from crm_site.models import ExportLog

    supervisor = prefecture["users"][Role.SUPERVISOR]
    client = client_for(supervisor)
    page = client.get(LIST_URL, {"q": "超市"}).content.decode()
    assert 'id="export-link"' in page
    response = client.get(reverse("retailers:retailer-export"), {"q": "超市"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["李家超市"]
    assert sheet.cell(row=2, column=6).value == "便利店"
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.row_count, log.filters) == (supervisor, "retailers", 1, {"q": "超市"})


@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.COMPLAINT_CLERK])
def test_export_refused_without_permission(client_for, users, role):
    assert client_for(users[role]).get(reverse("retailers:retailer-export")).status_code == 403


def test_has_open_complaints_filter(client_for, prefecture):
    from complaints.services import ticket_create
    from complaints.tests.factories import ticket_data

    ticket_create(
        retailer=prefecture["shops"]["b"], data=ticket_data(), created_by=prefecture["users"][Role.COMPLAINT_CLERK]
    )
    client = client_for(prefecture["users"][Role.ADMIN])
    assert listed_names(client.get(LIST_URL, {"has_open_complaints": "true"})) == {"李家超市"}
    assert listed_names(client.get(LIST_URL, {"has_open_complaints": "false"})) == {"王记便利店", "张老烟酒店"}


def test_has_open_complaints_filter_sits_where_it_always_did_and_filters_the_export(client_for, prefecture):
    """complaints contributes the filter (retailers/list_filters.py); the page and its export are unchanged."""
    import io

    import openpyxl

    from complaints.services import ticket_create
    from complaints.tests.factories import ticket_data

    ticket_create(
        retailer=prefecture["shops"]["b"], data=ticket_data(), created_by=prefecture["users"][Role.COMPLAINT_CLERK]
    )
    client = client_for(prefecture["users"][Role.ADMIN])
    fields = list(client.get(LIST_URL).context["filter"].form.fields)
    assert fields[fields.index("license_expired") :] == ["license_expired", "has_open_complaints", "no_order_weeks"]
    response = client.get(reverse("retailers:retailer-export"), {"has_open_complaints": "true"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["李家超市"]


@pytest.mark.parametrize(
    "params", [{"sort": "--name"}, {"license_expires_within": "99999999999"}, {"no_order_weeks": "99999999999"}]
)
def test_hostile_list_parameters_do_not_crash(client_for, users, params):
    assert client_for(users[Role.ADMIN]).get(LIST_URL, params).status_code == 200


@pytest.mark.parametrize("role, exports", [(Role.SUPERVISOR, True), (Role.ADMIN, True), (Role.SALES_MANAGER, False)])
def test_list_shows_its_total_and_export_above_and_below_the_table(client_for, users, role, exports):
    content = client_for(users[role]).get(LIST_URL).content.decode()
    for place in ("-top", ""):
        assert f'id="result-count{place}"' in content
        assert (f'id="export-link{place}"' in content) == exports
    top, bottom = content.index('id="result-count-top"'), content.index('id="result-count"')
    assert top < content.index("<table") < bottom


@pytest.mark.parametrize("exact, text", [(True, "共 1,234 户"), (False, "超过 2,000 户")])
def test_list_total_has_thousands_separators(client_for, users, monkeypatch, exact, text):
    import dataclasses

    from retailers import views

    paginate = views.keyset_paginate
    monkeypatch.setattr(
        views,
        "keyset_paginate",
        lambda *args, **kwargs: dataclasses.replace(
            paginate(*args, **kwargs), count=1234 if exact else 2000, count_is_exact=exact
        ),
    )
    assert text in client_for(users[Role.ADMIN]).get(LIST_URL).content.decode()


def test_dossier_and_order_list_format_numbers_alike(client_for, prefecture):
    import datetime
    from decimal import Decimal

    shop = prefecture["shops"]["a"]
    OrderFactory(
        retailer=shop,
        ordered_on=datetime.date.today(),
        amount=Decimal("12345.60"),
        cartons=1234,
        high_end_amount=Decimal("3300.00"),
        low_tar_cartons=100,
    )
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    dossier = client.get(detail_url(shop)).content.decode()
    assert "12,346" in dossier  # the 12-month amount, in whole yuan
    assert "12,345.60" in dossier and "3,300.00" in dossier  # the latest orders
    assert "26.7%" in dossier and "8.1%" in dossier  # high-end and low-tar shares, one decimal
    orders = client.get(reverse("retailers:order-list")).content.decode()
    assert "12,345.60" in orders and "1,234" in orders


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", ["客户类别：“bogus”不是可选项，已忽略此筛选条件。", "N周未订货：“abc”无效，已忽略此筛选条件。"]),
        ("en", ["Tier: “bogus” is not one of the choices; this filter was ignored.",
                "No order for (weeks): “abc” is not valid; this filter was ignored."]),
    ],
)  # fmt: skip
def test_a_bad_filter_value_is_named_and_ignored_the_others_still_apply(client_for, prefecture, language, expected):
    client = client_for(prefecture["users"][Role.ADMIN])
    client.cookies["django_language"] = language
    area_b = prefecture["areas"]["b"].pk
    response = client.get(LIST_URL, {"tier": "bogus", "no_order_weeks": "abc", "service_area": area_b})
    assert response.status_code == 200
    assert listed_names(response) == {"李家超市"}
    assert ignored_filter_warnings_on(response) == expected
    assert ignored_filter_warnings_on(client.get(LIST_URL, {"tier": "key"})) == []


def test_a_bad_filter_value_is_named_also_when_htmx_swaps_the_results(client_for, users):
    response = client_for(users[Role.ADMIN]).get(LIST_URL, {"tier": "<b>x</b>"}, headers={"HX-Request": "true"})
    content = response.content.decode()
    assert "“&lt;b&gt;x&lt;/b&gt;”" in content and "<b>x</b>" not in content


@pytest.mark.parametrize(
    ("language", "expected", "wrong"),
    [("zh-hans", "违规记录：", "违规记录: "), ("en", "Compliance finding: ", "：")],
)
def test_timeline_lines_use_the_pages_own_punctuation(client_for, prefecture, language, expected, wrong):
    shop = prefecture["shops"]["a"]
    ComplianceRecordFactory(retailer=shop)
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    content = client.get(detail_url(shop), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    timeline = content[content.index('id="tab-timeline"') :].split("</ul>")[0]
    assert expected in timeline
    assert wrong not in timeline


def test_list_rows_show_every_column_translated_and_escaped(client_for, prefecture):
    import datetime

    from django.utils.translation import override

    from retailers.models import BusinessType, RetailerStatus, Tier

    shop = RetailerFactory(
        service_area=prefecture["areas"]["b"],
        name="<b>陈记</b>烟酒",
        owner_name="陈&明",
        phone="13800138000",
        business_type=BusinessType.TOBACCO_LIQUOR,
        tier=Tier.KEY,
        stars=3,
        status=RetailerStatus.SUSPENDED,
        license_expires_on=datetime.date(2027, 3, 31),
        last_order_on=datetime.date(2026, 11, 30),
    )
    content = client_for(prefecture["users"][Role.SALES_MANAGER]).get(LIST_URL).content.decode()
    assert "王记便利店" in content and "陈记" not in content  # the manager's scope
    content = client_for(prefecture["users"][Role.SUPERVISOR]).get(LIST_URL).content.decode()
    with override("zh-hans"):
        expected = (
            f'<tr><td><a href="{detail_url(shop)}">&lt;b&gt;陈记&lt;/b&gt;烟酒</a></td><td>陈&amp;明</td>'
            f'<td class="font-monospace small">{shop.license_no}</td><td>13800138000</td>'
            f"<td>{BusinessType.TOBACCO_LIQUOR.label}</td><td>玄武二片</td><td>{Tier.KEY.label}</td>"
            '<td>2027-03-31</td><td class="stars">★★★☆☆</td>'
            f'<td><span class="badge text-bg-warning">{RetailerStatus.SUSPENDED.label}</span></td>'
            "<td>2026-11-30</td></tr>"
        )
    assert expected in content
    ungraded = prefecture["shops"]["a"]  # no tier, no stars, no order yet
    assert f'<a href="{detail_url(ungraded)}">王记便利店</a>' in content
    row = content[content.index(f'<a href="{detail_url(ungraded)}">') :].split("</tr>")[0]
    assert "<td>—</td><td>20" in row and '<td class="stars"></td>' in row and row.endswith("<td>—</td>")
