"""The refresh on hand-made orders: the sums are known, a second run changes nothing, and an
incremental refresh after new orders leaves the same tables as a full one."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count

from analytics.models import (
    AreaBrandMonth,
    AreaMonth,
    AreaPriceClassMonth,
    RefreshState,
    ShopMonth,
    ShopStanding,
    ShopWeek,
)
from analytics.services import analytics_refresh
from retailers.models import OrderLine
from retailers.tests.factories import OrderFactory, ProductFactory

TODAY = datetime.date(2026, 6, 17)  # a Wednesday: the standings are as of Monday 15 June
MONDAY = datetime.date(2026, 6, 15)


def order(shop, day, amount, cartons, *, high_end="0", low_tar=0, lines=()):
    made = OrderFactory(
        retailer=shop,
        ordered_on=day,
        amount=Decimal(amount),
        cartons=cartons,
        high_end_amount=Decimal(high_end),
        low_tar_cartons=low_tar,
    )
    for product, quantity, line_amount in lines:
        OrderLine.objects.create(
            order=made, product=product, quantity=quantity, unit_price=Decimal("100"), amount=Decimal(line_amount)
        )
    return made


def tables() -> dict:
    def rows(model, *fields):
        return sorted(model.objects.values_list(*fields))

    figures = ("amount", "cartons", "orders", "high_end_amount", "low_tar_cartons")
    return {
        "weeks": rows(ShopWeek, "retailer_id", "service_area_id", "week", *figures),
        "months": rows(ShopMonth, "retailer_id", "service_area_id", "month", *figures),
        "areas": rows(AreaMonth, "service_area_id", "month", *figures, "active_shops"),
        "brands": rows(AreaBrandMonth, "service_area_id", "brand", "month", "amount", "cartons"),
        "classes": rows(AreaPriceClassMonth, "service_area_id", "price_class", "month", "amount", "cartons"),
        "standings": rows(
            ShopStanding,
            *("retailer_id", "recent_amount", "baseline_amount", "last_order_week", "weeks_ordered"),
            *("amount_52w", "contribution", "full_weeks", "amount_at_risk"),
        ),
    }


@pytest.fixture
def sales(prefecture):
    shops = prefecture["shops"]
    nanjing = ProductFactory(brand="南京", price_class=2)
    zhonghua = ProductFactory(brand="中华", price_class=1, is_high_end=True)
    # Monday 1 June and Sunday 7 June are one week; 31 May is the week before and another month
    order(shops["a"], datetime.date(2026, 5, 31), "1000", 4, lines=[(nanjing, 4, "1000")])
    order(shops["a"], datetime.date(2026, 6, 1), "2000", 8, high_end="500", low_tar=2,
          lines=[(nanjing, 6, "1500"), (zhonghua, 2, "500")])  # fmt: skip
    order(shops["a"], datetime.date(2026, 6, 7), "600", 2, lines=[(nanjing, 2, "600")])
    order(shops["b"], datetime.date(2026, 6, 2), "400", 1, lines=[(zhonghua, 1, "400")])
    return prefecture


def test_full_refresh_sums_weeks_months_areas_and_brands(sales):
    shops, areas = sales["shops"], sales["areas"]
    outcome = analytics_refresh(full=True, today=TODAY)
    assert outcome.full
    a, b = shops["a"].pk, shops["b"].pk
    weeks = tables()["weeks"]
    assert weeks == sorted(
        [
            (a, areas["a"].pk, datetime.date(2026, 5, 25), Decimal("1000"), 4, 1, Decimal("0"), 0),
            (a, areas["a"].pk, datetime.date(2026, 6, 1), Decimal("2600"), 10, 2, Decimal("500"), 2),
            (b, areas["b"].pk, datetime.date(2026, 6, 1), Decimal("400"), 1, 1, Decimal("0"), 0),
        ]
    )
    months = {(row[0], row[2]): row[3:6] for row in tables()["months"]}
    assert months[(a, datetime.date(2026, 5, 1))] == (Decimal("1000"), 4, 1)
    assert months[(a, datetime.date(2026, 6, 1))] == (Decimal("2600"), 10, 2)
    area_june = AreaMonth.objects.get(service_area_id=areas["a"].pk, month=datetime.date(2026, 6, 1))
    assert (area_june.amount, area_june.active_shops) == (Decimal("2600"), 1)
    brands = {(row[0], row[1], row[2]): row[3:] for row in tables()["brands"]}
    assert brands[(areas["a"].pk, "南京", datetime.date(2026, 6, 1))] == (Decimal("2100"), 8)
    assert brands[(areas["a"].pk, "中华", datetime.date(2026, 6, 1))] == (Decimal("500"), 2)
    assert brands[(areas["b"].pk, "中华", datetime.date(2026, 6, 1))] == (Decimal("400"), 1)
    classes = {(row[0], row[1], row[2]): row[3:] for row in tables()["classes"]}
    assert classes[(areas["a"].pk, 2, datetime.date(2026, 5, 1))] == (Decimal("1000"), 4)
    assert RefreshState.objects.get().last_order_id > 0


def test_a_second_refresh_changes_nothing(sales):
    analytics_refresh(full=True, today=TODAY)
    before = tables()
    outcome = analytics_refresh(today=TODAY)
    assert (outcome.full, outcome.new_orders, outcome.weeks) == (False, 0, None)
    assert tables() == before
    analytics_refresh(full=True, today=TODAY)
    assert tables() == before


def test_incremental_after_new_orders_equals_full(sales):
    shops = sales["shops"]
    analytics_refresh(full=True, today=TODAY)
    nanjing = ProductFactory(brand="南京", price_class=2)
    order(shops["a"], datetime.date(2026, 6, 3), "300", 1, lines=[(nanjing, 1, "300")])
    order(shops["c"], datetime.date(2026, 6, 10), "900", 3, lines=[(nanjing, 3, "900")])
    outcome = analytics_refresh(today=TODAY)
    assert (outcome.full, outcome.new_orders) == (False, 2)
    assert outcome.weeks.start == datetime.date(2026, 6, 1)
    incremental = tables()
    analytics_refresh(full=True, today=TODAY)
    assert tables() == incremental


def test_a_failed_refresh_leaves_the_previous_tables(sales, monkeypatch):
    analytics_refresh(full=True, today=TODAY)
    before = tables()
    order(sales["shops"]["c"], datetime.date(2026, 6, 10), "900", 3)

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("analytics.services._rebuild_standings", broken)
    with pytest.raises(RuntimeError):
        analytics_refresh(today=TODAY)
    assert tables() == before
    assert RefreshState.objects.get().refreshed_at is not None


def test_an_order_reimported_in_place_is_picked_up_by_the_incremental_refresh(sales):
    analytics_refresh(full=True, today=TODAY)
    changed = sales["shops"]["b"].orders.get()
    changed.lines.all().delete()  # what an import does: new lines, the header's totals updated
    changed.amount = Decimal("700")
    changed.save()
    product = ProductFactory(brand="南京")
    price, amount = Decimal("350"), Decimal("700")
    OrderLine.objects.create(order=changed, product=product, quantity=2, unit_price=price, amount=amount)
    analytics_refresh(today=TODAY)
    incremental = tables()
    assert ShopMonth.objects.get(retailer_id=sales["shops"]["b"].pk).amount == Decimal("700")
    analytics_refresh(full=True, today=TODAY)
    assert tables() == incremental


def test_an_order_import_queues_an_incremental_refresh(sales, django_capture_on_commit_callbacks):
    from retailers.models import ImportJob
    from retailers.signals import orders_imported

    with django_capture_on_commit_callbacks(execute=True):
        orders_imported.send(sender=ImportJob, job_id=1, retailer_ids=[sales["shops"]["a"].pk])
    assert RefreshState.objects.get().last_order_id > 0
    assert ShopWeek.objects.filter(retailer_id=sales["shops"]["a"].pk).exists()


def test_the_management_command_refreshes(sales):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("refresh_analytics", "--full", stdout=out)
    assert "full" in out.getvalue()
    assert ShopMonth.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_vacuums_the_summaries_once_the_refresh_has_committed(prefecture):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order(prefecture["shops"]["a"], MONDAY - datetime.timedelta(days=6), "500", 5)
    with CaptureQueriesContext(connection) as queries:
        outcome = analytics_refresh(full=True, today=TODAY)
    vacuums = [query["sql"] for query in queries if query["sql"].startswith("VACUUM")]
    if connection.vendor == "postgresql":
        assert len(vacuums) == 8 and "vacuum after commit" in outcome.steps
        assert any('"analytics_shopweek"' in sql for sql in vacuums)
    else:
        assert vacuums == [] and "vacuum after commit" not in outcome.steps
    assert ShopWeek.objects.get().amount == Decimal("500")  # committed, and still there


def test_inside_a_transaction_nothing_is_vacuumed(prefecture):
    order(prefecture["shops"]["a"], MONDAY - datetime.timedelta(days=6), "500", 5)
    assert "vacuum after commit" not in analytics_refresh(full=True, today=TODAY).steps


def test_a_rebuild_groups_the_shop_weeks_in_the_covering_index_order(prefecture):
    """PostgreSQL hashed the 9 M shop weeks on an estimate of a tenth of them, spilled and sorted
    them all; within ordered_groupings it groups the shop-first rows as they come (and the
    setting is back to the server's afterwards). SQLite has no hash aggregate to turn off."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.sql import WeekStart, ordered_groupings, sql_of
    from retailers.selectors import order_headers_for_summaries

    order(prefecture["shops"]["a"], MONDAY - datetime.timedelta(days=6), "500", 5)
    grouped = (
        order_headers_for_summaries()
        .annotate(week=WeekStart("ordered_on"))
        .values("retailer_id", "week")
        .annotate(orders=Count("*"))
        .order_by("retailer_id", "week")
    )
    query, params = sql_of(grouped)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            with CaptureQueriesContext(connection) as settings_changed, ordered_groupings():
                pass
            assert len(settings_changed) == 0
            return
        with ordered_groupings():
            cursor.execute(f"EXPLAIN {query}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("SHOW enable_hashagg")
            assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW enable_hashagg")
        assert cursor.fetchone()[0] == "on"
    assert "GroupAggregate" in plan and "HashAggregate" not in plan
