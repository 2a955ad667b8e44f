"""Benchmark: the retailer list and dossier at province scale (issue: dossiers).

Builds its data with the demo seeder (unless the database already holds it), then times the
pages through Django's test client (server time: view, queries and template) and prints the
median, p90 and the query count of each. Not a timed test: compare the figures, in one run.

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 .venv/bin/python bench/bench_pages.py --retailers 300000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/bench_pages.py --retailers 300000
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

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from crm_site.models import User  # noqa: E402
from crm_site.pagination import _encode  # noqa: E402
from retailers.models import Order, Retailer  # noqa: E402


def timed(client: Client, url: str, params: dict, repeat: int) -> tuple[float, float, int, int]:
    client.get(url, params)  # warm caches (session, permissions, templates)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return statistics.median(samples), statistics.quantiles(samples, n=10)[-1], len(queries), response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    setup_test_environment()
    call_command("migrate", verbosity=0)
    if not Retailer.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", retailers=args.retailers, months=args.months, seed=1, line_weeks=4)
        print(f"seed_demo: {time.perf_counter() - started:.1f} s")
    total = Retailer.objects.count()
    print(f"database: {connection.vendor}; retailers: {total:,}; orders: {Order.objects.count():,}")

    admin = User.objects.get(username="admin")
    manager = User.objects.get(username="manager")
    list_url = reverse("retailers:retailer-list")
    matching = Retailer.objects.filter(status="active", business_type="convenience").order_by("name", "id")
    deep = matching[min(4000, matching.count() - 1)]
    busiest = Order.objects.values("retailer_id").order_by("retailer_id")
    shop = Retailer.objects.filter(pk__in=busiest.values("retailer_id")[:1]).get()
    cases = [
        ("list, first page (admin, all shops)", admin, list_url, {}),
        ("list, 2 filters + search, first page", admin, list_url,
         {"status": "active", "business_type": "convenience", "q": "便利"}),
        ("list, 2 filters, deep page (after row 4,000)", admin, list_url,
         {"status": "active", "business_type": "convenience", "after": _encode(deep.name, deep.pk)}),
        ("list, pinyin initials search (manager)", manager, list_url, {"q": "wj"}),
        ("dossier, 12 months of orders", admin, reverse("retailers:retailer-detail", args=[shop.pk]), {}),
    ]
    client = Client()
    print(f"{'page':45} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
    for label, user, url, params in cases:
        client.force_login(user)
        median, p90, queries, _response = timed(client, url, params, args.repeat)
        print(f"{label:45} {median:10.1f} {p90:8.1f} {queries:8d}")


if __name__ == "__main__":
    main()
