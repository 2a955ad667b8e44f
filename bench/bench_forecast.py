"""Benchmark: the nightly sales forecast of every shop and the compliance risk refresh at
province scale, and the forecast and risk pages with their query counts.

Seeds the database with the demo seeder unless it already holds --retailers shops (bench/common),
then times:

- forecast_refresh() (read the 52-week matrix, forecast, backtest, store per shop and per area),
  against the REFERENCE of the same run: the bare SQL read of the same order headers into Python;
- risk_refresh() (the five rules over the last four weeks), the first run and a second one (which
  must add nothing), against the same reference;
- the pages through Django's test client (server time: view, queries, template): the forecast of
  an admin (the company and one region's areas), of a supervisor (their region), of one area and
  of one shop, and the risk list of an admin and of a supervisor, each with its query count.

    cp /work/benchdata/bench300k.sqlite3 /work/benchdata/forecast.sqlite3
    DATABASE_URL=sqlite:////work/benchdata/forecast.sqlite3 .venv/bin/python bench/bench_forecast.py
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics.forecast_services import forecast_refresh, forecast_window  # noqa: E402
from analytics.models import AreaForecast, RiskFinding, ShopForecast  # noqa: E402
from analytics.risk_services import risk_refresh  # noqa: E402
from bench.common import ensure_seeded, load_average, print_ratio  # noqa: E402
from crm_site.models import User  # noqa: E402
from crm_site.roles import Role  # noqa: E402
from retailers.models import Order, Region  # noqa: E402

PAGE_GOAL_MS = 300
FORECAST_GOAL_S = 60


def reference_read(first_monday, weeks: int) -> float:
    """The bare read of the weeks' order headers (shop, date, amount) into Python: the floor."""
    import datetime

    end = first_monday + datetime.timedelta(weeks=weeks)
    table = connection.ops.quote_name(Order._meta.db_table)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT retailer_id, ordered_on, amount FROM {table} WHERE ordered_on >= %s AND ordered_on < %s",  # noqa: S608
            [first_monday, end],
        )
        while cursor.fetchmany(200_000):
            pass
    return time.perf_counter() - started


def timed_page(client: Client, url: str, params: dict, repeat: int) -> tuple[float, int]:
    response = client.get(url, params)  # warm caches (session, permissions, templates)
    assert response.status_code == 200, (url, params, response.status_code)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url, params)
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return statistics.median(samples), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    setup_test_environment()
    ensure_seeded(retailers=args.retailers, months=args.months)
    print(f"database: {connection.vendor}; orders: {Order.objects.count():,}; {load_average()}")

    window = forecast_window(timezone.localdate())
    reference = reference_read(window["first_monday"], 52)
    print(f"reference: bare read of 52 weeks of order headers: {reference:.1f} s")
    started = time.perf_counter()
    run = forecast_refresh()
    forecast_s = time.perf_counter() - started
    print(
        f"forecast_refresh: {forecast_s:.1f} s; {run.shop_count:,} shops ({run.intermittent_count:,} Croston/SBA), "
        f"{ShopForecast.objects.count():,} shop rows, {AreaForecast.objects.count():,} area rows; {load_average()}"
    )

    RiskFinding.objects.all().delete()
    started = time.perf_counter()
    added = risk_refresh()
    risk_s = time.perf_counter() - started
    started = time.perf_counter()
    again = risk_refresh()
    risk_again_s = time.perf_counter() - started
    print(f"risk_refresh: {risk_s:.1f} s, {added:,} findings; again: {risk_again_s:.1f} s, {again} added")

    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench_admin", "", "x")
    region = Region.objects.order_by("pk").first()
    supervisor = User.objects.filter(groups__name=Role.SUPERVISOR, supervised_regions=region).first()
    area = AreaForecast.objects.filter(run=run, service_area__region=region).order_by("-shop_count").first()
    shop = ShopForecast.objects.filter(run=run, service_area_id=area.service_area_id).order_by("id").first()
    client = Client()
    forecast_url, risk_url = reverse("analytics:forecast"), reverse("analytics:risk")
    pages = [
        ("forecast, admin (company, first region)", admin, forecast_url, {}),
        ("forecast, admin, one region", admin, forecast_url, {"region": region.pk}),
        ("forecast, supervisor (their region)", supervisor, forecast_url, {}),
        ("forecast, one area", admin, forecast_url, {"area": area.service_area_id}),
        ("forecast, one shop", admin, forecast_url, {"shop": shop.retailer_id}),
        ("risk list, admin", admin, risk_url, {}),
        ("risk list, admin, not reviewed, spikes", admin, risk_url, {"rule": "spike", "reviewed": "no"}),
        ("risk list, supervisor", supervisor, risk_url, {}),
    ]
    print(f"{'page':44} {'median ms':>10} {'queries':>8}")
    medians = {}
    for label, user, url, params in pages:
        if user is None:
            continue
        client.force_login(user)
        median, queries = timed_page(client, url, params, args.repeat)
        medians[label] = median
        print(f"{label:44} {median:10.1f} {queries:8d}")
    print(load_average())
    print_ratio("forecast_seconds_vs_60s_goal", forecast_s / FORECAST_GOAL_S, goal="< 1 (all shops in under 60 s)")
    print_ratio("forecast_vs_bare_read", forecast_s / reference, goal="the bare read of the same headers is the floor")
    print_ratio("risk_refresh_vs_bare_read", risk_s / reference, goal="same reference")
    print_ratio("slowest_page_ms_vs_300ms_goal", max(medians.values()) / PAGE_GOAL_MS, goal="< 1 (every page)")


if __name__ == "__main__":
    main()
