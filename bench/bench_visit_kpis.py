"""Benchmark: the visit KPI page (visits:kpis) at province scale, with a year of visits.

Builds its shops and orders with the demo seeder unless the database already holds them, then
(unless the visits table already holds a year of them) writes a year of visits in one set-based
INSERT … SELECT: every shop with a manager at its tier's rhythm (key weekly, ordinary monthly,
special quarterly), 85 % done (on the day or up to two days late, most rated), 7 % missed with a
reason, 3 % cancelled, 2 % unplanned, 3 % still open past their day. Then times, through Django's
test client (server time: view, queries, template), the KPI page of an admin (every shop) and of
a supervisor (one region) for last month, this quarter and the 30 days to yesterday (two
partial months), with their query counts, and the
REFERENCE in the same run: one bare SQL GROUP BY of the same period's visits by manager.

    cp /work/benchdata/bench300k.sqlite3 /tmp/vlog.sqlite3
    DATABASE_URL=sqlite:////tmp/vlog.sqlite3 .venv/bin/python bench/bench_visit_kpis.py
    DATABASE_URL=sqlite:////tmp/vlog20k.sqlite3 .venv/bin/python bench/bench_visit_kpis.py --retailers 20000
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

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm_site.models import User  # noqa: E402
from crm_site.roles import Role  # noqa: E402
from retailers.models import Order, Region, Retailer  # noqa: E402
from visits.forms import KpiPeriodForm  # noqa: E402
from visits.models import MissReason, Visit  # noqa: E402
from visits.selectors import visit_kpis, visit_kpis_from_rollup  # noqa: E402
from visits.services import _Dialect, visit_kpis_refresh  # noqa: E402

GOAL_MS = 150


def load() -> str:
    return "load average " + " / ".join(f"{value:.2f}" for value in os.getloadavg())


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """The (name, CREATE INDEX statement) of every index of `table` that enforces nothing."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                "AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        return cursor.fetchall()


@transaction.atomic
def seed_visits(*, today: datetime.date, days: int = 364) -> int:
    """A year of visits up to yesterday, in one INSERT … SELECT over shops × a numbers table. The
    visits' secondary indexes are dropped for the insert and built again after it, in the same
    transaction (a B-tree built once from sorted keys rather than grown by 3.6 million random
    inserts: the insert alone took 1,348 s at 300,000 shops)."""
    dialect = _Dialect()
    quote = connection.ops.quote_name
    visit, retailer = quote(Visit._meta.db_table), quote(Retailer._meta.db_table)
    start = today - datetime.timedelta(days=days)
    reasons = MissReason.values
    reason_case = "CASE h %% 6 " + " ".join(f"WHEN {i} THEN '{code}'" for i, code in enumerate(reasons)) + " END"
    planned_on = dialect.add_days(dialect.date(), "s.r_id %% s.step + n.i * s.step")
    indexes = secondary_indexes(Visit._meta.db_table)
    with connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
        cursor.execute("DROP TABLE IF EXISTS bench_numbers")
        cursor.execute("CREATE TEMPORARY TABLE bench_numbers (i integer PRIMARY KEY)")
        cursor.executemany("INSERT INTO bench_numbers (i) VALUES (%s)", [(i,) for i in range(days // 7 + 1)])
        cursor.execute(
            f"""
            INSERT INTO {visit} (retailer_id, manager_id, kind, status, planned_on, visited_on, unplanned,
                                 created_at, channel, satisfaction, miss_reason, interval_days)
            SELECT v.r_id, v.m_id,
                   CASE WHEN v.h >= 97 THEN 'follow_up' WHEN v.h >= 95 THEN 'care' ELSE 'routine' END,
                   CASE WHEN v.h < 85 OR (v.h >= 95 AND v.h < 97) THEN 'done'
                        WHEN v.h < 92 THEN 'missed' WHEN v.h < 95 THEN 'cancelled' ELSE 'planned' END,
                   v.planned_on,
                   CASE WHEN v.h < 85 THEN {dialect.add_days("v.planned_on", "v.h %% 3")}
                        WHEN v.h >= 95 AND v.h < 97 THEN v.planned_on END,
                   v.h >= 95 AND v.h < 97,
                   %s,
                   CASE WHEN v.h < 85 OR (v.h >= 95 AND v.h < 97) THEN 'on_site' ELSE '' END,
                   CASE WHEN (v.h < 85 OR (v.h >= 95 AND v.h < 97)) AND v.h %% 4 <> 0 THEN 1 + v.h %% 5 END,
                   CASE WHEN v.h >= 85 AND v.h < 92 THEN {reason_case.replace("h %", "v.h %")} ELSE '' END,
                   v.step
            FROM (
                SELECT s.r_id, s.m_id, s.step, {planned_on} AS planned_on,
                       (s.r_id * 7 + n.i * 13) %% 100 AS h, s.r_id %% s.step + n.i * s.step AS offset_days
                FROM (
                    SELECT r.id AS r_id, r.account_manager_id AS m_id,
                           CASE r.tier WHEN 'key' THEN 7 WHEN 'special' THEN 91 ELSE 30 END AS step
                    FROM {retailer} r WHERE r.account_manager_id IS NOT NULL
                ) s CROSS JOIN bench_numbers n
                WHERE s.r_id %% s.step + n.i * s.step < %s
            ) v
            """,  # noqa: S608
            [
                connection.ops.adapt_datetimefield_value(timezone.now()),
                connection.ops.adapt_datefield_value(start),
                days,
            ],
        )
        count = cursor.rowcount
        cursor.execute("DROP TABLE bench_numbers")
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks first
        for _name, sql in indexes:
            cursor.execute(sql)
        print(f"  {len(indexes)} indexes of the visits built again: {time.perf_counter() - started:.1f} s")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {visit}")
    return count


def timed_page(client: Client, url: str, params: dict, repeat: int) -> tuple[float, float, int]:
    response = client.get(url, params)  # warm caches (session, permissions, templates)
    assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return statistics.median(samples), max(samples), len(queries)


def timed_reference(start: datetime.date, end: datetime.date, repeat: int) -> float:
    """One bare SQL GROUP BY over the same visits: the floor any KPI query of the period stands on."""
    visit = connection.ops.quote_name(Visit._meta.db_table)
    sql = f"SELECT manager_id, COUNT(*) FROM {visit} WHERE planned_on BETWEEN %s AND %s GROUP BY manager_id"  # noqa: S608
    params = [connection.ops.adapt_datefield_value(start), connection.ops.adapt_datefield_value(end)]
    samples = []
    with connection.cursor() as cursor:
        for _ in range(repeat + 1):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[1:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=7)
    # Days of visits to write (a year by default; fewer where the disk is short: the periods
    # timed lie within the last 120 days, so they read the same roll-up rows either way).
    parser.add_argument("--days", type=int, default=364)
    args = parser.parse_args()

    setup_test_environment()
    call_command("migrate", verbosity=0)
    if not Retailer.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", retailers=args.retailers, months=args.months, seed=1, line_weeks=0)
        print(f"seed_demo: {time.perf_counter() - started:.1f} s")
    today = timezone.localdate()
    if Visit.objects.filter(planned_on__lt=today - datetime.timedelta(days=args.days - 30)).count() < 1000:
        Visit.objects.all().delete()
        started = time.perf_counter()
        created = seed_visits(today=today, days=args.days)
        print(f"{args.days} days of visits: {created:,} rows in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    rows = visit_kpis_refresh()
    print(f"roll-up rebuilt (the nightly job): {rows:,} rows in {time.perf_counter() - started:.1f} s; {load()}")
    busiest = Visit.objects.values_list("manager", flat=True).order_by("-manager")[:1][0]
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        visit_kpis_refresh(manager_ids=[busiest])
        samples.append((time.perf_counter() - started) * 1000)
    print(f"one manager's roll-up (after each logged visit): {statistics.median(samples):.0f} ms")
    print(
        f"database: {connection.vendor}; retailers: {Retailer.objects.count():,}; visits: {Visit.objects.count():,}; "
        f"orders: {Order.objects.count():,}; {load()}"
    )

    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench_admin", "", "x")
    region = Region.objects.order_by("pk").first()
    supervisor = User.objects.filter(groups__name=Role.SUPERVISOR, supervised_regions=region).first()
    client = Client()
    # The presets read whole months from the monthly level; the 30 days to yesterday straddle
    # two partial months, all read from the daily level (the page's slowest period of a month).
    presets = ("last_month", "this_quarter")
    periods = [(period, *KpiPeriodForm.preset_range(period, today)) for period in presets]
    periods.append(("last_30_days", today - datetime.timedelta(days=30), today - datetime.timedelta(days=1)))
    url = reverse("visits:kpis")
    results = {}
    print(f"{'page':52} {'median ms':>10} {'max ms':>8} {'queries':>8} {'reference ms':>13} {'ratio':>6}")
    runs = [("admin", admin, {}), ("admin_one_region", admin, {"region": region.pk}), ("supervisor", supervisor, {})]
    for who, user, extra in runs:
        if user is None:
            continue
        client.force_login(user)
        for period, start, end in periods:
            params = {"period": period} if period in presets else {"start": start, "end": end}
            median, worst, queries = timed_page(client, url, {**params, **extra}, args.repeat)
            reference = timed_reference(start, end, args.repeat)
            results[(who, period)] = (median, reference)
            label = f"/visits/kpis/?period={period} as {who}"[:52]
            print(f"{label:52} {median:10.1f} {worst:8.1f} {queries:8d} {reference:13.1f} {median / reference:6.1f}")
    print(load())
    # The roll-up against the live aggregate over the visits (the reference it is tested equal to).
    for period, start, end in periods:
        if period == "this_quarter":
            continue  # the live aggregate of a quarter takes minutes at 300,000 shops
        started = time.perf_counter()
        live = visit_kpis(visits=Visit.objects.all(), start=start, end=end)
        live_ms = (time.perf_counter() - started) * 1000
        rolled = visit_kpis_from_rollup(scope=Q(), start=start, end=end)
        print(f"{period}: roll-up equals the live aggregate: {rolled == live} (live aggregate {live_ms:,.0f} ms)")
    for (who, period), (median, reference) in results.items():
        print(f"ratio kpi_{who}_{period}_vs_bare_group_by {median / reference:.2f}")
        print(f"ratio kpi_{who}_{period}_vs_goal_{GOAL_MS}ms {median / GOAL_MS:.2f}")


if __name__ == "__main__":
    main()
