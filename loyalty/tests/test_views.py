"""The points pages, by role: the dossier tab, redemption, queue, adjustment, editors, overview."""

import datetime

import pytest
from django.urls import reverse

from crm_site.models import ExportLog
from loyalty.models import EarnRule, EntryKind, PointsAccount, PointsEntry, Redemption, RedemptionStatus, Reward
from loyalty.services import points_adjust, points_earn_orders, redemption_file

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def shop(prefecture, purchase_rule, order_for):
    """Shop A (the manager's) with 260 points."""
    shop = prefecture["shops"]["a"]
    order_for(shop)
    points_earn_orders()
    return shop


def tab_url(shop):
    return reverse("loyalty:retailer-points", args=[shop.pk])


def test_the_points_tab_shows_balance_expiring_points_and_the_statement(client_for, users, shop, time_machine):
    entry = PointsEntry.objects.get()
    time_machine.move_to(datetime.datetime.combine(entry.expires_on - datetime.timedelta(days=10), datetime.time(9)))
    body = client_for(users["sales_manager"]).get(tab_url(shop), **EN).content.decode()
    assert "260 points" in body
    assert "points-expiring" in body
    assert "Purchase" in body
    order = shop.orders.get()
    assert f"?retailer={shop.pk}&amp;q={order.order_no}" in body  # the source order, as a link
    assert "redemption-form" not in body  # no reward in the catalogue yet
    assert "Adjust points" not in body  # a manager does not adjust


def test_the_points_tab_in_chinese(client_for, users, shop):
    body = client_for(users["sales_manager"]).get(tab_url(shop)).content.decode()
    assert "260 积分" in body
    assert "购进" in body


def test_the_points_tab_keeps_a_fixed_number_of_queries(client_for, users, shop, django_assert_num_queries, reward):
    reward()
    client = client_for(users["sales_manager"])
    client.get(tab_url(shop))
    with django_assert_num_queries(13) as first:
        client.get(tab_url(shop))
    for n in range(20):
        points_adjust(retailer=shop, points=n + 1, reason=f"活动{n}", user=users["supervisor"])
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(tab_url(shop))


def test_another_managers_shop_is_not_found_and_a_clerk_is_refused(client_for, users, prefecture, shop):
    assert client_for(prefecture["other_manager"]).get(tab_url(shop)).status_code == 404
    assert client_for(users["complaint_clerk"]).get(tab_url(shop)).status_code == 403
    assert client_for(users["supervisor"]).get(tab_url(shop)).status_code == 200
    assert client_for(users["admin"]).get(tab_url(shop)).status_code == 200


def test_the_statement_exports_to_excel_and_is_logged(client_for, users, shop):
    response = client_for(users["sales_manager"]).get(reverse("loyalty:retailer-points-export", args=[shop.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert ExportLog.objects.get().kind == "points-statement"


def test_a_manager_files_a_redemption_and_a_supervisor_approves_it(client_for, users, shop, reward):
    gift = reward(points_price=100)
    client = client_for(users["sales_manager"])
    response = client.post(reverse("loyalty:redemption-file", args=[shop.pk]), {"reward": gift.pk})
    redemption = Redemption.objects.get()
    assert response.url == reverse("loyalty:redemption-detail", args=[redemption.pk])
    assert PointsAccount.objects.get(retailer=shop).balance == 160
    assert (
        client.post(reverse("loyalty:redemption-move", args=[redemption.pk]), {"status": "approved"}).status_code == 403
    )
    supervisor = client_for(users["supervisor"])
    queue = supervisor.get(reverse("loyalty:queue"), **EN).content.decode()
    assert gift.name in queue
    supervisor.post(reverse("loyalty:redemption-move", args=[redemption.pk]), {"status": "approved"})
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.APPROVED
    response = supervisor.post(reverse("loyalty:redemption-move", args=[redemption.pk]), {"status": "cancelled"})
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("why" in m or "原因" in m for m in messages)


def test_too_expensive_a_reward_is_refused_with_a_message(client_for, users, shop, reward):
    gift = reward(points_price=1000)
    response = client_for(users["sales_manager"]).post(
        reverse("loyalty:redemption-file", args=[shop.pk]), {"reward": gift.pk}, follow=True, **EN
    )
    assert "does not have enough points" in response.content.decode()
    assert not Redemption.objects.exists()


def test_the_queue_shows_only_the_supervisors_region(client_for, users, prefecture, reward, purchase_rule, order_for):
    shop_c = prefecture["shops"]["c"]
    order_for(shop_c)
    points_earn_orders()
    redemption_file(retailer=shop_c, reward=reward(name="远方的礼物"), user=prefecture["other_manager"])
    assert "远方的礼物" not in client_for(users["supervisor"]).get(reverse("loyalty:queue")).content.decode()
    assert "远方的礼物" in client_for(users["admin"]).get(reverse("loyalty:queue")).content.decode()
    assert client_for(users["sales_manager"]).get(reverse("loyalty:queue")).status_code == 403


def test_a_supervisor_adjusts_with_a_reason(client_for, users, shop):
    url = reverse("loyalty:adjust", args=[shop.pk])
    assert client_for(users["sales_manager"]).get(url).status_code == 403
    client = client_for(users["supervisor"])
    response = client.post(url, {"points": "-1000", "reason": "重复计分"}, **EN)
    assert "fewer points" in response.content.decode()
    response = client.post(url, {"points": "50", "reason": "补录活动积分"})
    assert response.status_code == 302
    entry = PointsEntry.objects.filter(kind=EntryKind.ADJUST).get()
    assert (entry.points, entry.reason, entry.created_by) == (50, "补录活动积分", users["supervisor"])


def test_admins_edit_earn_rules_and_an_overlap_is_refused(client_for, users, shop):
    assert client_for(users["supervisor"]).get(reverse("loyalty:rules")).status_code == 403
    client = client_for(users["admin"])
    assert "Points per yuan of purchase" in client.get(reverse("loyalty:rules"), **EN).content.decode()
    response = client.post(
        reverse("loyalty:rule-create"), {"kind": "purchase", "points": "0.2", "valid_from": "2026-01-01"}, **EN
    )
    assert "Another rule of this kind is valid in this period." in response.content.decode()
    response = client.post(
        reverse("loyalty:rule-create"), {"kind": "survey", "points": "30", "valid_from": "2026-01-01"}
    )
    assert response.status_code == 302
    assert EarnRule.objects.filter(kind="survey").exists()


def test_admins_edit_rewards(client_for, users):
    client = client_for(users["admin"])
    response = client.post(
        reverse("loyalty:reward-create"),
        {"name": "培训课程", "points_price": "500", "stock": "20", "valid_from": "2026-01-01",
         "eligible_tiers": ["key"]},
    )  # fmt: skip
    assert response.status_code == 302
    reward = Reward.objects.get()
    assert reward.eligible_tiers == ["key"]
    bad = {"name": "x", "points_price": "0", "stock": "-1", "valid_from": "2026-01-01"}
    response = client.post(reverse("loyalty:reward-update", args=[reward.pk]), bad, **EN)
    assert response.status_code == 200
    assert "Please correct" in response.content.decode()
    assert client_for(users["sales_manager"]).get(reverse("loyalty:reward-create")).status_code == 403


def test_the_catalogue_for_every_role_of_the_area(client_for, users, prefecture, reward):
    reward(name="陈列柜")
    reward(name="过期礼品", valid_to=datetime.date(2021, 1, 1))
    manager_page = client_for(users["sales_manager"]).get(reverse("loyalty:rewards")).content.decode()
    assert "陈列柜" in manager_page and "过期礼品" not in manager_page
    assert "过期礼品" in client_for(users["admin"]).get(reverse("loyalty:rewards")).content.decode()
    assert client_for(users["complaint_clerk"]).get(reverse("loyalty:rewards")).status_code == 403


def test_the_ledger_overview_for_admins(client_for, users, shop, django_assert_num_queries):
    client = client_for(users["admin"])
    client.get(reverse("loyalty:overview"))
    with django_assert_num_queries(8):
        body = client.get(reverse("loyalty:overview"), **EN).content.decode()
    assert "玄武区" in body and "260" in body
    response = client.get(reverse("loyalty:overview-export"))
    assert response.status_code == 200
    assert ExportLog.objects.get().kind == "points-overview"
    assert client_for(users["supervisor"]).get(reverse("loyalty:overview")).status_code == 403


def test_the_start_page_lists_shops_with_points_expiring(client_for, users, shop, time_machine):
    from loyalty.services import points_warn_expiring

    entry = PointsEntry.objects.get()
    time_machine.move_to(datetime.datetime.combine(entry.expires_on - datetime.timedelta(days=10), datetime.time(9)))
    points_warn_expiring()
    body = client_for(users["sales_manager"]).get(reverse("loyalty:index")).content.decode()
    assert shop.name in body


def test_the_referrer_is_edited_by_licence_number_on_the_dossier_form(client_for, users, prefecture):
    from retailers.models import Retailer

    shop, referrer = prefecture["shops"]["a"], prefecture["shops"]["b"]
    client = client_for(users["sales_manager"])
    url = reverse("retailers:retailer-update", args=[shop.pk])
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data["referred_by"] = "999999999999"
    response = client.post(url, data, **EN)
    assert "no other shop has this licence number" in response.content.decode()
    data["referred_by"] = referrer.license_no
    client.post(url, data)
    assert Retailer.objects.get(pk=shop.pk).referred_by == referrer
