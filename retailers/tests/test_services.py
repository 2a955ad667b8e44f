import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm_site.roles import Role
from retailers.models import ChangeSource, ComplianceRecord, Order, Retailer, RetailerMerge
from retailers.selectors import retailer_duplicate_pairs, retailer_history, retailer_purchase_summary
from retailers.services import (
    PERSONAL_CARD_FIELDS,
    retailer_create,
    retailer_editable_fields,
    retailer_merge,
    retailer_refresh_last_order,
    retailer_update,
)
from retailers.tests.factories import ComplianceRecordFactory, OrderFactory, RetailerFactory
from retailers.timeline import retailer_timeline

pytestmark = pytest.mark.django_db


def test_manager_may_edit_only_the_personal_card(users):
    assert retailer_editable_fields(user=users[Role.SALES_MANAGER]) == PERSONAL_CARD_FIELDS
    assert "license_no" in retailer_editable_fields(user=users[Role.SUPERVISOR])
    assert retailer_editable_fields(user=users[Role.COMPLAINT_CLERK]) == ()


def test_manager_edit_of_personal_card_is_saved_with_history(prefecture):
    shop, manager = prefecture["shops"]["a"], prefecture["users"][Role.SALES_MANAGER]
    retailer_update(
        retailer=shop, data={"hobbies": "下象棋", "birthday": datetime.date(1975, 5, 4)}, changed_by=manager
    )
    shop.refresh_from_db()
    assert shop.hobbies == "下象棋"
    latest = shop.history.first()
    assert latest.history_user == manager
    assert latest.change_source == ChangeSource.MANAGER


def test_manager_cannot_change_structural_fields(prefecture):
    shop, manager = prefecture["shops"]["a"], prefecture["users"][Role.SALES_MANAGER]
    with pytest.raises(PermissionDenied):
        retailer_update(retailer=shop, data={"status": "closed", "hobbies": "x"}, changed_by=manager)
    shop.refresh_from_db()
    assert shop.status == "active" and shop.hobbies == ""


def test_update_validates_and_writes_nothing_on_bad_input(prefecture):
    shop, supervisor = prefecture["shops"]["a"], prefecture["users"][Role.SUPERVISOR]
    versions = shop.history.count()
    with pytest.raises(ValidationError) as error:
        retailer_update(retailer=shop, data={"phone": "12345", "license_no": "abc"}, changed_by=supervisor)
    assert set(error.value.message_dict) == {"phone", "license_no"}
    assert shop.history.count() == versions
    assert Retailer.objects.get(pk=shop.pk).phone == "13912345678"


def test_import_source_is_recorded(prefecture):
    shop, admin = prefecture["shops"]["b"], prefecture["users"][Role.ADMIN]
    retailer_update(retailer=shop, data={"address": "新地址8号"}, changed_by=admin, source=ChangeSource.IMPORT)
    assert shop.history.first().change_source == ChangeSource.IMPORT


def test_create_needs_permission_and_normalises(prefecture):
    area = prefecture["areas"]["a"]
    data = {
        "license_no": "３２０１０２９９９８８８",
        "license_expires_on": datetime.date(2030, 1, 1),
        "name": "刘记食杂店",
        "owner_name": "刘芳",
        "phone": "+86 137 0000 1111",
        "address": "中山路9号",
        "business_type": "grocery",
        "market_type": "urban",
        "zone_type": "residential",
        "service_area": area,
    }
    with pytest.raises(PermissionDenied):
        retailer_create(data=data, created_by=prefecture["users"][Role.SALES_MANAGER])
    shop = retailer_create(data=data, created_by=prefecture["users"][Role.SUPERVISOR])
    assert shop.license_no == "320102999888"
    assert shop.phone == "13700001111"
    assert shop.name_initials == "ljszd"


def test_duplicate_licence_is_refused(prefecture):
    shop = prefecture["shops"]["a"]
    with pytest.raises(ValidationError) as error:
        retailer_update(
            retailer=prefecture["shops"]["b"],
            data={"license_no": shop.license_no},
            changed_by=prefecture["users"][Role.ADMIN],
        )
    assert "license_no" in error.value.message_dict


def test_merge_moves_every_related_row_and_keeps_an_audit_entry(prefecture):
    survivor, duplicate = prefecture["shops"]["a"], prefecture["shops"]["b"]
    admin = prefecture["users"][Role.ADMIN]
    OrderFactory.create_batch(3, retailer=duplicate, ordered_on=datetime.date(2026, 10, 1))
    OrderFactory(retailer=survivor, ordered_on=datetime.date(2026, 9, 1))
    ComplianceRecordFactory(retailer=duplicate)
    duplicate.hobbies = "钓鱼"
    duplicate.save()
    orders_before = Order.objects.count()

    result = retailer_merge(survivor=survivor, duplicate=duplicate, merged_by=admin, reason="同一门店重复建档")

    assert not Retailer.objects.filter(pk=duplicate.pk).exists()
    assert Order.objects.count() == orders_before
    assert survivor.orders.count() == 4
    assert ComplianceRecord.objects.filter(retailer=survivor).count() == 1
    assert result.moved["retailers.Order"] == 3
    merge = RetailerMerge.objects.get()
    assert merge.merged_license_no == duplicate.license_no
    assert merge.snapshot["hobbies"] == "钓鱼"
    survivor.refresh_from_db()
    assert survivor.last_order_on == datetime.date(2026, 10, 1)
    merged_history = [entry for entry in retailer_history(retailer=survivor) if entry["merged"]]
    assert {entry["record"].history_type for entry in merged_history} == {"+", "~", "-"}


def test_merge_refuses_self_missing_reason_and_unauthorised_users(prefecture):
    a, b = prefecture["shops"]["a"], prefecture["shops"]["b"]
    with pytest.raises(ValidationError):
        retailer_merge(survivor=a, duplicate=a, merged_by=prefecture["users"][Role.ADMIN], reason="x")
    with pytest.raises(ValidationError):
        retailer_merge(survivor=a, duplicate=b, merged_by=prefecture["users"][Role.ADMIN], reason=" ")
    with pytest.raises(PermissionDenied):
        retailer_merge(survivor=a, duplicate=b, merged_by=prefecture["users"][Role.SALES_MANAGER], reason="x")
    assert Retailer.objects.filter(pk=b.pk).exists()


def test_duplicate_candidates_by_phone_licence_and_similar_name(prefecture):
    area = prefecture["areas"]["a"]
    RetailerFactory(service_area=area, name="王记便利店", address="玄武区中山路1号", phone="13912345678")
    twin_a = RetailerFactory(service_area=area, name="陈记超市", address="北京东路8号")
    twin_b = RetailerFactory(service_area=area, name="陈吉超市", address="北京东路8号")
    Retailer.objects.filter(pk=twin_b.pk).update(license_no="320-102 000777")  # as a raw legacy load leaves it
    Retailer.objects.filter(pk=twin_a.pk).update(license_no="320102000777")
    page = retailer_duplicate_pairs(retailers=Retailer.objects.all())
    by_names = {frozenset((pair.first.name, pair.second.name)): pair.reasons for pair in page.pairs}
    assert by_names == {
        # the fixture's shop and its namesake at the same address, with the same phone
        frozenset({"王记便利店"}): ["相同电话", "同一片区内店名和地址相近"],
        frozenset({"陈记超市", "陈吉超市"}): ["相同许可证号", "同一片区内店名和地址相近"],
    }
    assert (page.count, page.count_is_exact) == (2, True)


def test_purchase_summary_uses_order_totals_of_the_last_12_months(prefecture):
    shop = prefecture["shops"]["a"]
    today = datetime.date.today()
    OrderFactory(retailer=shop, ordered_on=today, amount=Decimal("1000"), cartons=10, high_end_amount=Decimal("400"))
    OrderFactory(retailer=shop, ordered_on=today - datetime.timedelta(days=40), amount=Decimal("500"), cartons=5)
    OrderFactory(retailer=shop, ordered_on=today - datetime.timedelta(days=400), amount=Decimal("9999"), cartons=99)
    summary = retailer_purchase_summary(retailer=shop)
    assert summary.amount == Decimal("1500")
    assert summary.cartons == 15
    assert summary.order_count == 2
    assert summary.high_end_share == Decimal("0.267")
    assert sum(row["amount"] for row in summary.monthly) == Decimal("1500")


def test_refresh_last_order_is_set_based(prefecture):
    shop = prefecture["shops"]["a"]
    OrderFactory(retailer=shop, ordered_on=datetime.date(2026, 3, 2))
    OrderFactory(retailer=shop, ordered_on=datetime.date(2026, 5, 6))
    assert retailer_refresh_last_order() == 3
    shop.refresh_from_db()
    assert shop.last_order_on == datetime.date(2026, 5, 6)
    assert Retailer.objects.get(pk=prefecture["shops"]["b"].pk).last_order_on is None


def test_timeline_merges_sources_newest_first(prefecture):
    shop = prefecture["shops"]["a"]
    ComplianceRecordFactory(retailer=shop, found_on=datetime.date(2020, 1, 1), kind="counterfeit")
    shop.notes = "新备注"
    shop.save()
    events = retailer_timeline(retailer=shop)
    assert [event.kind for event in events] == ["retailers", "retailers", "compliance"]
    assert "销售假冒卷烟" in events[-1].title


def test_merge_of_two_graded_shops_with_overrides_keeps_the_clashing_rows_in_the_snapshot(prefecture):
    from grading.models import GradingRun, RetailerGrade, TierOverride
    from grading.services import grading_run_execute, tier_override_create

    survivor, duplicate = prefecture["shops"]["a"], prefecture["shops"]["b"]
    supervisor, admin = prefecture["users"][Role.SUPERVISOR], prefecture["users"][Role.ADMIN]
    grading_run_execute(run_id=GradingRun.objects.create(as_of=datetime.date.today()).pk)
    for shop in (survivor, duplicate):
        tier_override_create(
            retailer=shop, tier="key", reason="扶持", expires_on=datetime.date(2099, 1, 1), created_by=supervisor
        )
    result = retailer_merge(survivor=survivor, duplicate=duplicate, merged_by=admin, reason="重复")
    assert RetailerGrade.objects.filter(retailer=survivor).count() == 1
    assert TierOverride.objects.filter(retailer=survivor, revoked_at__isnull=True).count() == 1
    kept = result.merge.snapshot["rows_kept_only_here"]
    assert len(kept["grading.RetailerGrade"]) == 1 and len(kept["grading.TierOverride"]) == 1


def test_update_writes_only_its_fields_and_keeps_a_concurrent_tier(prefecture):
    shop, manager = prefecture["shops"]["a"], prefecture["users"][Role.SALES_MANAGER]
    stale = Retailer.objects.get(pk=shop.pk)
    Retailer.objects.filter(pk=shop.pk).update(tier="key", stars=5, address="新址")  # e.g. a grading run meanwhile
    retailer_update(retailer=stale, data={"hobbies": "看书"}, changed_by=manager)
    fresh = Retailer.objects.get(pk=shop.pk)
    assert (fresh.tier, fresh.stars, fresh.address, fresh.hobbies) == ("key", 5, "新址", "看书")
