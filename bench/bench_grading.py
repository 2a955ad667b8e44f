"""Benchmark: a full grading run (signals, score, class, 档位, stars, history rows, movers, shop
updates) beside a reference measured in the same run.

The reference is one bare SQL statement over the same orders: amount, cartons and orders per
shop, ranked with percent_rank into 25/70/5, every row fetched, nothing written. The goal is a
full run within 2× of it (`ratio grading_vs_sql`), first run and later runs alike. Builds its
data with the demo seeder when the database holds another number of shops.

    DATABASE_URL=sqlite:////tmp/bench300k.sqlite3 .venv/bin/python bench/bench_grading.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/bench_grading.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings.test")

import django

django.setup()

from dateutil.relativedelta import relativedelta  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import ensure_seeded, load_average, print_ratio  # noqa: E402
from grading import services  # noqa: E402
from grading.models import GradingRun, RetailerGrade  # noqa: E402
from grading.scoring import grade_frame  # noqa: E402
from retailers.models import Order, Retailer  # noqa: E402

REFERENCE_SQL = """
    SELECT retailer_id, amount, cartons, orders,
           CASE WHEN ranked >= 0.75 THEN 'key' WHEN ranked >= 0.05 THEN 'ordinary' ELSE 'special' END
    FROM (
        SELECT retailer_id, SUM(amount) AS amount, SUM(cartons) AS cartons, COUNT(*) AS orders,
               PERCENT_RANK() OVER (ORDER BY SUM(amount)) AS ranked
        FROM {orders} WHERE ordered_on > %s AND ordered_on <= %s GROUP BY retailer_id
    ) shops
"""


def reference_seconds(*, since, as_of) -> tuple[float, int]:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Through the best index the database has for it, as grading reads: a fair reference.
        cursor.execute(REFERENCE_SQL.format(orders=services.orders_by_shop()), [since, as_of])
        rows = cursor.fetchall()
    return time.perf_counter() - started, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    ensure_seeded(retailers=args.retailers, months=args.months)
    print(f"database: {connection.vendor}; retailers: {Retailer.objects.count():,}; orders: {Order.objects.count():,}")

    policy = services.grading_policy_get()
    as_of = timezone.localdate()
    since = as_of - relativedelta(months=policy.window_months)
    # The first statement over the orders reads them from disk; the reference runs first and
    # last, so both sides see the same cache.
    cold, shops = reference_seconds(since=since, as_of=as_of)
    print(f"reference, first (cold cache): {cold:.2f} s for {shops:,} shops; {load_average()}")

    started = time.perf_counter()
    signals = services.load_signals(policy=policy, as_of=as_of)
    load = time.perf_counter() - started
    started = time.perf_counter()
    grade_frame(signals, services.model_to_dict(policy, exclude=["id"]))
    score = time.perf_counter() - started
    print(f"phase: signals (one aggregate over order headers) {load:.2f} s; scoring in pandas {score:.2f} s")

    runs = []
    for label in ("first run", "second run", "third run"):
        run = GradingRun.objects.create(as_of=as_of)
        started = time.perf_counter()
        run = services.grading_run_execute(run_id=run.pk)
        total = time.perf_counter() - started
        assert run.status == "succeeded", run.text
        runs.append(total)
        grades = RetailerGrade.objects.filter(run=run).count()
        print(
            f"{label}: {total:.2f} s; graded {run.graded_count:,}, history rows {grades:,}, "
            f"moved up {run.moved_up:,}, down {run.moved_down:,}; {load_average()}"
        )
    reference, _shops = reference_seconds(since=since, as_of=as_of)
    print(f"reference (one SQL statement, percent_rank, no writes): {reference:.2f} s; {load_average()}")
    print_ratio("grading_vs_sql", max(runs) / reference, goal="≤ 2")


if __name__ == "__main__":
    main()
