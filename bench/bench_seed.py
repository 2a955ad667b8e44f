"""Benchmark: seeding the demo province (`seed_demo`), beside the database's bare write speed.

Rebuilds the demo data of the database named by DATABASE_URL (it deletes what is there: point it
at a scratch database), prints the seeder's own lines (rows per second per table), then writes
the same number of order-header-wide rows (capped at --reference-rows) into a scratch table with
one INSERT … SELECT from a generated series: what the database writes when nothing is computed.
Ends with `ratio seed_rows_per_s X` (goal: the whole seed of 300,000 shops × 12 months in under
two minutes on a quiet machine) and `ratio bare_write_vs_seed X` (bare rows/s ÷ ours).

    DATABASE_URL=sqlite:////tmp/seed.sqlite3 .venv/bin/python bench/bench_seed.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_seed .venv/bin/python bench/bench_seed.py
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

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import load_average, print_ratio  # noqa: E402
from demo.seed import demo_users_ensure, seed_demo  # noqa: E402


def bare_write(rows: int) -> float:
    """Seconds to insert `rows` generated rows of an order header's width, in one transaction."""
    if connection.vendor == "postgresql":
        create = (
            "CREATE TEMP TABLE bench_bare (id bigint, retailer_id bigint, ordered_on date, amount numeric(12,2), "
            "cartons int, high_end numeric(12,2), low_tar int, lines smallint)"
        )
        insert = f"""INSERT INTO bench_bare SELECT n, n % 300000, DATE '2026-01-01' + (n % 365), (n % 9000) / 7.0,
                     n % 90, (n % 3000) / 3.0, n % 20, n % 25 FROM generate_series(1, {rows}) AS n"""  # noqa: S608
    else:
        create = (
            "CREATE TEMP TABLE bench_bare (id integer, retailer_id integer, ordered_on date, amount decimal, "
            "cartons integer, high_end decimal, low_tar integer, lines integer)"
        )
        insert = f"""WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {rows})
                     INSERT INTO bench_bare SELECT n, n % 300000, date('2026-01-01', '+' || (n % 365) || ' days'),
                     round((n % 9000) / 7.0, 2), n % 90, round((n % 3000) / 3.0, 2), n % 20, n % 25 FROM s"""  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(create)
        started = time.perf_counter()
        cursor.execute(insert)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--line-weeks", type=int, default=None, help="order lines for the last K weeks only")
    parser.add_argument("--reference-rows", type=int, default=5_000_000)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; {load_average()}")
    started = time.perf_counter()
    summary = seed_demo(
        retailers=args.retailers, months=args.months, seed=1, until=timezone.localdate(),
        line_weeks=args.line_weeks, reset=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    demo_users_ensure()  # as `manage.py seed_demo` does: the other benchmarks log in as them
    rows = summary.retailers + summary.orders + summary.order_lines
    ours = rows / seconds
    print(f"seed: {summary.retailers:,} shops, {summary.orders:,} orders, {summary.order_lines:,} lines "
          f"in {seconds:.1f} s, {ours:,.0f} rows/s; {load_average()}")  # fmt: skip
    reference_rows = min(args.reference_rows, summary.orders) or args.reference_rows
    reference_seconds = bare_write(reference_rows)
    bare = reference_rows / reference_seconds
    print(f"reference, one bare INSERT … SELECT of {reference_rows:,} generated rows: {reference_seconds:.1f} s, "
          f"{bare:,.0f} rows/s; {load_average()}")  # fmt: skip
    print(f"goal seed_seconds: < 120 on a quiet machine; this run {seconds:.1f}")
    print_ratio("seed_rows_per_s", ours, goal="the 300,000-shop, 12-month seed in under 2 minutes")
    print_ratio("bare_write_vs_seed", bare / ours, goal="as close to 1 as the data's realism allows")


if __name__ == "__main__":
    main()
