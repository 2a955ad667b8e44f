"""Benchmark: the list pages and the dossier at province scale, beside Django's own admin.

Times each page through Django's test client (server time: view, queries, template) and, in the
same run, the Django admin changelist of the same model with the same filters, search and page
depth, showing as many rows (the admin's list_per_page is set to ours for the run). Prints the
median, p90 and query count of each, and ends with `ratio admin_vs_list X`: the admin's median
÷ ours for the list page where that ratio is lowest (goal ≥ 4). Seeds the database named by
DATABASE_URL when it holds another number of shops.

    DATABASE_URL=sqlite:////tmp/bench300k.sqlite3 .venv/bin/python bench/bench_pages.py --repeat 30
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/bench_pages.py --repeat 20
"""

from __future__ import annotations

import argparse
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

from django.contrib import admin  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.common import ensure_seeded, load_average, print_ratio  # noqa: E402
from crm_site.models import User  # noqa: E402
from crm_site.pagination import _encode  # noqa: E402
from retailers import views as retailer_views  # noqa: E402
from retailers.models import Order, Retailer  # noqa: E402

DEEP_ROWS = 4000  # the deep page starts after this many rows


def timed(client: Client, url: str, params: dict, repeat: int) -> tuple[float, float, int]:
    client.get(url, params)  # warm caches (session, permissions, templates)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return statistics.median(samples), statistics.quantiles(samples, n=10)[-1], len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    setup_test_environment()
    ensure_seeded(retailers=args.retailers, months=args.months)
    print(f"database: {connection.vendor}; retailers: {Retailer.objects.count():,}; orders: {Order.objects.count():,}")

    size = retailer_views.PAGE_SIZE
    for model in (Retailer, Order):
        admin.site._registry[model].list_per_page = size  # the same number of rows on both sides
    admin_user = User.objects.get(username="admin")
    manager = User.objects.get(username="manager")
    matching = Retailer.objects.filter(status="active", business_type="convenience").order_by("name", "id")
    deep = matching[min(DEEP_ROWS, matching.count() - 1)]
    orders = Order.objects.order_by("-ordered_on", "-id")
    deep_order = orders[DEEP_ROWS]
    busiest = Order.objects.values("retailer_id").order_by("retailer_id")
    shop = Retailer.objects.filter(pk__in=busiest.values("retailer_id")[:1]).get()
    retailer_list, retailer_admin = reverse("retailers:retailer-list"), reverse("admin:retailers_retailer_changelist")
    order_list, order_admin = reverse("retailers:order-list"), reverse("admin:retailers_order_changelist")
    filters = {"status": "active", "business_type": "convenience"}
    admin_filters = {"status__exact": "active", "business_type__exact": "convenience"}
    deep_page = DEEP_ROWS // size + 1  # the admin's page that starts after DEEP_ROWS rows
    # (label, user, our url and params, the admin's url and params)
    lists = [
        ("retailers, first page (all shops)", admin_user, (retailer_list, {}), (retailer_admin, {})),
        ("retailers, 2 filters + search", admin_user,
         (retailer_list, {**filters, "q": "便利"}), (retailer_admin, {**admin_filters, "q": "便利"})),
        ("retailers, 2 filters, deep page", admin_user,
         (retailer_list, {**filters, "after": _encode(deep.name, deep.pk)}),
         (retailer_admin, {**admin_filters, "p": deep_page})),
        ("retailers, pinyin initials search", admin_user, (retailer_list, {"q": "wj"}), (retailer_admin, {"q": "wj"})),
        ("orders, first page", admin_user, (order_list, {}), (order_admin, {})),
        ("orders, deep page", admin_user,
         (order_list, {"after": _encode(deep_order.ordered_on, deep_order.pk)}), (order_admin, {"p": deep_page})),
    ]  # fmt: skip
    others = [
        ("retailers, manager's own shops", manager, (retailer_list, {"q": "wj"})),
        ("dossier, 12 months of orders", admin_user, (reverse("retailers:retailer-detail", args=[shop.pk]), {})),
    ]
    client = Client()
    print(f"{load_average()}")
    print(f"{'page':38} {'ours ms':>8} {'p90':>6} {'q':>3}   {'admin ms':>8} {'p90':>6} {'q':>3}   admin ÷ ours")
    ratios = {}
    for label, user, (url, params), (reference_url, reference_params) in lists:
        client.force_login(user)
        ours = timed(client, url, params, args.repeat)
        reference = timed(client, reference_url, reference_params, args.repeat)
        ratios[label] = reference[0] / ours[0]
        print(
            f"{label:38} {ours[0]:8.1f} {ours[1]:6.1f} {ours[2]:3d}   "
            f"{reference[0]:8.1f} {reference[1]:6.1f} {reference[2]:3d}   {ratios[label]:.1f}"
        )
    for label, user, (url, params) in others:
        client.force_login(user)
        median, p90, queries = timed(client, url, params, args.repeat)
        print(f"{label:38} {median:8.1f} {p90:6.1f} {queries:3d}")
    print(f"{load_average()}")
    slowest = min(ratios, key=ratios.get)
    print(f"lowest admin ÷ ours: {slowest}")
    print_ratio("admin_vs_list", ratios[slowest], goal="≥ 4")


if __name__ == "__main__":
    main()
