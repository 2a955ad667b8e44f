"""Benchmark: the routine visit planner (`visits.services.visits_plan`) over every shop.

Builds its data with the demo seeder unless the database already holds it, grades the shops
once if they have no tier yet, empties the visits table, then times:

1. planning every shop from scratch;
2. the daily re-plan when nothing changed;
3. the next day's re-plan after a day of changes (plans done, tiers moved, managers changed,
   shops closed), set up by a few UPDATEs;
4. the reference, measured in the same run: the same first plan written the forbidden way (a
   Python loop over ORM rows: the shop's last visit, its interval, the holiday shift, one
   INSERT per shop) over a sample of shops in a rolled-back transaction, extrapolated;
5. the care reminders of every shop (`care_reminders_create`, as of a day with a festival in its
   window), then the manager's agenda `/visits/` of the manager with the most visits today:
   median of --repeats requests and its query count, against the same-run reference of one bare
   indexed SELECT of that manager's day (`--agenda-only` skips 1–4 when the visits are planned).

    cp /work/benchdata/bench300k.sqlite3 /work/benchdata/NAME.sqlite3
    DATABASE_URL=sqlite:////work/benchdata/NAME.sqlite3 .venv/bin/python bench/bench_visits.py

    DATABASE_URL=sqlite:////tmp/bench_visits.sqlite3 .venv/bin/python bench/bench_visits.py --retailers 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_visits \
        .venv/bin/python bench/bench_visits.py --retailers 20000
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

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Case, F, Value, When  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import load_average, print_ratio  # noqa: E402
from grading import services as grading  # noqa: E402
from grading.models import GradingRun  # noqa: E402
from retailers.models import Retailer, RetailerStatus, Tier  # noqa: E402
from visits.models import Visit, VisitKind, VisitStatus  # noqa: E402
from visits.services import care_reminders_create, next_working_days, tier_intervals, visits_plan  # noqa: E402


def load() -> str:
    return "load average " + " / ".join(f"{value:.2f}" for value in os.getloadavg())


def timed(label: str, **kwargs) -> float:
    started = time.perf_counter()
    counts = visits_plan(**kwargs)
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s; {counts}; {load()}")
    return seconds


class Rollback(Exception):
    pass


def loop_reference(*, today: datetime.date, sample: int) -> float:
    """Seconds per shop of a first plan written shop by shop through the ORM (then rolled back)."""
    intervals = tier_intervals()
    holidays = next_working_days(start=today, days=max(intervals.values()))
    started = time.perf_counter()
    try:
        with transaction.atomic():
            shops = Retailer.objects.filter(status=RetailerStatus.ACTIVE, account_manager__isnull=False)[:sample]
            for shop in shops:
                interval = intervals[shop.tier]
                last = (
                    Visit.objects.filter(retailer=shop, kind=VisitKind.ROUTINE, status=VisitStatus.DONE)
                    .order_by("-visited_on")
                    .values_list("visited_on", flat=True)
                    .first()
                )
                if last:
                    due = max(last + datetime.timedelta(days=interval), today)
                else:
                    due = today + datetime.timedelta(days=shop.pk % interval)
                due = holidays.get(due, due)
                if (
                    shop.license_expires_on >= due
                    and not shop.visits.filter(kind=VisitKind.ROUTINE, status=VisitStatus.PLANNED).exists()
                ):
                    Visit.objects.create(
                        retailer=shop,
                        manager_id=shop.account_manager_id,
                        kind=VisitKind.ROUTINE,
                        planned_on=due,
                        interval_days=interval,
                    )
            raise Rollback
    except Rollback:
        pass
    return (time.perf_counter() - started) / sample


def a_day_of_changes(*, today: datetime.date) -> None:
    """Set-based, and different on every run of the benchmark: the plans due by today are done;
    in 1 % of shops key and ordinary swap, in 1 % the manager changes, 0.5 % close or reopen."""
    Visit.objects.filter(status=VisitStatus.PLANNED, planned_on__lte=today).update(
        status=VisitStatus.DONE, visited_on=F("planned_on")
    )
    shops = Retailer.objects.alias(bucket=F("id") % 200)
    shops.filter(bucket__in=[0, 1]).update(
        tier=Case(
            When(tier=Tier.KEY, then=Value(Tier.ORDINARY)),
            When(tier=Tier.ORDINARY, then=Value(Tier.KEY)),
            default=F("tier"),
        )
    )
    first, second = Retailer.objects.exclude(account_manager=None).values_list("account_manager_id", flat=True)[:2]
    if first == second:
        second = (
            Retailer.objects.exclude(account_manager_id=first)
            .exclude(account_manager=None)
            .values_list("account_manager_id", flat=True)[0]
        )
    shops.filter(bucket__in=[2, 3]).exclude(account_manager=None).update(
        account_manager_id=Case(When(account_manager_id=first, then=Value(second)), default=Value(first))
    )
    shops.filter(bucket=4).update(
        status=Case(
            When(status=RetailerStatus.ACTIVE, then=Value(RetailerStatus.CLOSED)),
            default=Value(RetailerStatus.ACTIVE),
        )
    )


def clear_visits() -> None:
    """Every visit and care reminder gone, in a few bare statements (the ORM's delete gathers the
    ids of every row pointing to a visit, more than SQLite takes in one statement)."""
    from visits.models import CareReminder, SurveyResponse, VisitStockCheck

    SurveyResponse.objects.exclude(follow_up=None).update(follow_up=None)
    for model in (CareReminder, VisitStockCheck):
        model.objects.all()._raw_delete(model.objects.db)
    Visit.objects.exclude(previous=None).update(previous=None)
    Visit.objects.all()._raw_delete(Visit.objects.db)


def median_ms(run, repeats: int) -> tuple[float, float]:
    run()  # warm the caches
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, min(times) * 1000


def agenda(*, repeats: int) -> None:
    """The care reminders of every shop, then the busiest manager's agenda page against one bare
    indexed SELECT of their day."""
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crm_site.models import User
    from visits.models import CareReminder

    today = timezone.localdate()
    CareReminder.objects.all()._raw_delete(CareReminder.objects.db)
    # From 10 days before Mid-Autumn 2026 (25 September): the festival, and 10 days of birthdays.
    started = time.perf_counter()
    created = care_reminders_create(today=datetime.date(2026, 9, 15))
    print(f"care reminders of every shop: {time.perf_counter() - started:.2f} s; {created}; {load_average()}")
    # The reminders are shown from their first day: move them to today's window for the page.
    CareReminder.objects.update(remind_from=today, occurs_on=today + datetime.timedelta(days=3))
    busiest = (
        Visit.objects.filter(planned_on=today, status__in=[VisitStatus.PLANNED, VisitStatus.DONE])
        .values("manager").annotate(n=Count("pk")).order_by("-n").first()
    )  # fmt: skip
    if busiest is None:
        print("no visit planned today: run without --agenda-only first")
        return
    manager = User.objects.get(pk=busiest["manager"])
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(manager)

    def page():
        response = client.get("/visits/")
        assert response.status_code == 200, response.status_code

    page_ms, page_best = median_ms(page, repeats)
    with CaptureQueriesContext(connection) as queries:
        page()
    visit = connection.ops.quote_name(Visit._meta.db_table)

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, retailer_id, status FROM {visit} WHERE manager_id = %s AND planned_on = %s",  # noqa: S608
                [manager.pk, connection.ops.adapt_datefield_value(today)],
            )
            cursor.fetchall()

    bare_ms, bare_best = median_ms(bare, repeats)
    week = Visit.objects.filter(manager=manager, status=VisitStatus.PLANNED).count()
    reminders = CareReminder.objects.filter(retailer__account_manager=manager).count()
    print(
        f"agenda /visits/ of {manager.username} ({busiest['n']} visits today, {week} open plans, "
        f"{reminders} care reminders): median {page_ms:.0f} ms, best {page_best:.0f} ms, {len(queries)} queries; "
        f"{load_average()}"
    )
    print(f"reference, one bare indexed SELECT of the manager's day: median {bare_ms:.2f} ms, best {bare_best:.2f} ms")
    print_ratio("agenda_ms_vs_150ms_goal", page_ms / 150, goal="the agenda under 150 ms")
    print_ratio("agenda_vs_bare_select", page_ms / bare_ms, goal="(a page against one indexed SELECT)")
    print_ratio("agenda_queries", len(queries), goal="a fixed number of queries")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--sample", type=int, default=2_000, help="shops in the loop reference")
    parser.add_argument("--repeats", type=int, default=15, help="requests of the agenda page")
    parser.add_argument("--agenda-only", action="store_true", help="only step 5 (the visits are planned already)")
    args = parser.parse_args()
    if args.agenda_only:
        call_command("migrate", verbosity=0)
        if not Visit.objects.filter(planned_on=timezone.localdate()).exists():
            timed("plan from scratch", today=timezone.localdate())
        agenda(repeats=args.repeats)
        return
    call_command("migrate", verbosity=0)
    if not Retailer.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", retailers=args.retailers, months=args.months, seed=1, line_weeks=0)
        print(f"seed_demo: {time.perf_counter() - started:.1f} s")
    if not Retailer.objects.exclude(tier="").exists():
        started = time.perf_counter()
        run = grading.grading_run_execute(run_id=GradingRun.objects.create(as_of=timezone.localdate()).pk)
        print(f"grading run: {time.perf_counter() - started:.1f} s; {run.tier_counts}")
    clear_visits()
    servable = Retailer.objects.filter(status=RetailerStatus.ACTIVE, account_manager__isnull=False).count()
    print(
        f"database: {connection.vendor}; retailers: {Retailer.objects.count():,}, "
        f"active with a manager: {servable:,}; intervals {tier_intervals()}; {load()}"
    )

    today = timezone.localdate()
    first = timed("plan from scratch", today=today)
    timed("daily re-plan, nothing changed", today=today)
    a_day_of_changes(today=today + datetime.timedelta(days=1))
    timed("next day's re-plan after a day of changes", today=today + datetime.timedelta(days=1))
    timed("the same re-plan again (idempotent)", today=today + datetime.timedelta(days=1))

    agenda(repeats=args.repeats)

    clear_visits()
    per_shop = loop_reference(today=today, sample=args.sample)
    print(
        f"reference, ORM loop over {args.sample:,} shops: {per_shop * 1000:.2f} ms a shop, "
        f"{per_shop * servable:.1f} s for {servable:,} shops extrapolated; "
        f"set-based is {per_shop * servable / first:.0f}x faster; {load()}"
    )


if __name__ == "__main__":
    main()
