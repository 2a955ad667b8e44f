"""Benchmark: the analytics refresh and pages at province scale.

On a copy of the seeded database (never the shared one): the full refresh (each step's time),
a second refresh that finds nothing new, an incremental refresh after a week of new orders (the
last week's orders and lines copied a week later, inside a transaction that is rolled back, so the
copy stays as it was; refreshed as of a week later, as the next week's refresh would be), and
each analytics page's median server time through Django's test client with its query count,
as an admin (the whole company), a supervisor (a region) and a manager.
REFERENCE in the same run: one bare GROUP BY of every order header by shop (a read of the
covering index, no sort), the floor any full refresh stands on.

    cp /work/benchdata/bench300k.sqlite3 /work/benchdata/analytics.sqlite3
    DATABASE_URL=sqlite:////work/benchdata/analytics.sqlite3 .venv/bin/python bench/bench_analytics.py
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings.test")
os.environ.setdefault("DEBUG", "False")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics.services import analytics_refresh  # noqa: E402
from bench.common import ensure_seeded, load_average, print_ratio  # noqa: E402
from crm_site.models import User  # noqa: E402
from crm_site.roles import Role  # noqa: E402
from retailers.models import Order, OrderLine, Region, ServiceArea  # noqa: E402

PAGES = ("analytics:index", "analytics:churn", "analytics:brands", "analytics:measures")


def reference_seconds() -> float:
    order = connection.ops.quote_name(Order._meta.db_table)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"SELECT retailer_id, COUNT(*), SUM(amount) FROM {order} GROUP BY retailer_id")  # noqa: S608
        cursor.fetchall()
        return time.perf_counter() - started


def add_a_week_of_orders() -> int:
    """The last week's orders (and their lines) again, seven days later, as new orders."""
    order, line = Order._meta.db_table, OrderLine._meta.db_table
    later = "o.ordered_on + 7" if connection.vendor == "postgresql" else "date(o.ordered_on, '+7 days')"
    last = Order.objects.order_by("-ordered_on").values_list("ordered_on", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {order} (order_no, retailer_id, ordered_on, amount, cartons, high_end_amount, "  # noqa: S608
            "low_tar_cartons, line_count, brand_count) "
            f"SELECT 'BW' || o.id, o.retailer_id, {later}, o.amount, o.cartons, o.high_end_amount, "
            f"o.low_tar_cartons, o.line_count, o.brand_count FROM {order} o WHERE o.ordered_on > %s",
            [connection.ops.adapt_datefield_value(last - datetime.timedelta(days=7))],
        )
        added = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {line} (order_id, product_id, quantity, unit_price, amount) "  # noqa: S608
            f"SELECT n.id, l.product_id, l.quantity, l.unit_price, l.amount FROM {order} n "
            f"JOIN {order} o ON n.order_no = 'BW' || o.id JOIN {line} l ON l.order_id = o.id "
            "WHERE n.order_no LIKE 'BW%%'"
        )
        if connection.vendor == "postgresql":
            # the new rows' deferred foreign-key checks belong to writing them (an import commits
            # before the refresh), not to the first refresh step that alters a table
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return added


def timed_page(client: Client, url: str, repeat: int) -> tuple[float, int]:
    assert client.get(url).status_code == 200
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(samples), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-full", action="store_true", help="the summaries are already built")
    args = parser.parse_args()
    setup_test_environment()
    ensure_seeded(retailers=args.retailers)
    print(f"database: {connection.vendor}; orders {Order.objects.count():,}; {load_average()}")
    reference = reference_seconds()
    print(f"reference: one bare GROUP BY of every order header by shop: {reference:.1f} s")
    if not args.skip_full:
        cpu = time.process_time()
        outcome = analytics_refresh(full=True)
        steps = ", ".join(f"{name} {took:.1f} s" for name, took in outcome.steps.items())
        print(f"full refresh: {outcome.seconds:.1f} s ({steps}); {load_average()}")
        print(f"  CPU of this process {time.process_time() - cpu:.1f} s (all of SQLite's work, none of PostgreSQL's)")
        print_ratio("full_refresh_vs_60s", outcome.seconds / 60, goal="under 60 s")
        print_ratio("full_refresh_vs_bare_group_by", outcome.seconds / reference, goal="a few bare GROUP BYs")
    again = analytics_refresh()
    print(f"refresh with nothing new: {again.seconds:.1f} s ({again.new_orders} orders)")
    with transaction.atomic():
        started = time.perf_counter()
        added = add_a_week_of_orders()
        print(f"a week of new orders written: {added:,} in {time.perf_counter() - started:.1f} s")
        # as the refresh a week later runs: the standings' 52-week window moves on a week
        cpu = time.process_time()
        outcome = analytics_refresh(today=timezone.localdate() + datetime.timedelta(weeks=1))
        steps = ", ".join(f"{name} {took:.1f} s" for name, took in outcome.steps.items())
        print(f"incremental refresh after a week of orders: {outcome.seconds:.1f} s ({steps}); {load_average()}")
        print(f"  CPU of this process {time.process_time() - cpu:.1f} s")
        transaction.set_rollback(True)
    print_ratio("incremental_refresh_vs_10s", outcome.seconds / 10, goal="under 10 s")

    region = Region.objects.order_by("pk").first()
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench_admin", "", "x")
    users = {
        "admin": admin,
        "supervisor": User.objects.filter(groups__name=Role.SUPERVISOR, supervised_regions=region).first(),
        "manager": User.objects.filter(
            groups__name=Role.SALES_MANAGER, service_areas__in=ServiceArea.objects.filter(region=region)
        ).first(),
    }
    client = Client()
    print(f"{'page':40} {'median ms':>10} {'queries':>8}")
    for who, user in users.items():
        if user is None:
            continue
        client.force_login(user)
        for name in PAGES:
            median, queries = timed_page(client, reverse(name), args.repeat)
            print(f"{reverse(name) + ' as ' + who:40} {median:10.1f} {queries:8d}")
            print_ratio(f"{name.split(':')[1]}_{who}_vs_300ms", median / 300, goal="under 300 ms median")
    print(load_average())


if __name__ == "__main__":
    main()
