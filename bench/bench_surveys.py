"""Benchmark: satisfaction surveys (issue 11) at province size.

Builds its data with the demo seeder unless the database already holds it, empties the survey
tables, then times:

1. queuing the invitations of exactly 100,000 shops (`survey_invitations_create`: the period of
   each shop, the uniqueness check, one INSERT … SELECT … RETURNING per batch, and the send tasks
   published to a broker after each batch commits; the other shops are held out of the run by a
   temporary status, restored afterwards);
2. the same job again (a retry: nothing to invite);
3. the reference, in the same run: one bare INSERT … SELECT of the same 100,000 rows (no period,
   no conflict check, no batches, no tasks), rolled back;
4. the results page (/visits/surveys/) as an admin and as a sales manager after half the
   invitations are answered (set-based UPDATE), median of 15 requests, with its query count;
   reference: one bare GROUP BY over the same invitations.

    cp /work/benchdata/bench300k.sqlite3 /tmp/surveys.sqlite3
    DATABASE_URL=sqlite:////tmp/surveys.sqlite3 .venv/bin/python bench/bench_surveys.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_surveys .venv/bin/python bench/bench_surveys.py \
        --retailers 300000
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

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F, Max  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm_site.celery import app as celery_app  # noqa: E402
from crm_site.models import User  # noqa: E402
from crm_site.roles import Role  # noqa: E402
from retailers.models import Retailer, RetailerStatus  # noqa: E402
from visits.models import (  # noqa: E402
    InvitationStatus,
    Questionnaire,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveyResultCell,
    SurveyToken,
)
from visits.surveys import survey_invitations_create, survey_results_rebuild  # noqa: E402

HOLD = "bench_hold"  # a temporary status: shops held out of the run (restored to active afterwards)
INVITED = 100_000


def load() -> str:
    return "load average " + " / ".join(f"{value:.2f}" for value in os.getloadavg())


class Rollback(Exception):
    pass


def empty_surveys() -> None:
    """Only on a benchmark copy: the survey tables emptied."""
    for model in (SurveyAnswer, SurveyResponse, SurveyToken, SurveyInvitation, SurveyResultCell):
        model.objects.all()._raw_delete(connection.alias)


def hold_all_but(count: int, today: datetime.date) -> int:
    """Leave exactly `count` servable shops (the lowest ids); hold the others out. Returns the held."""
    servable = Retailer.objects.filter(status=RetailerStatus.ACTIVE, license_expires_on__gte=today)
    cutoff = (list(servable.order_by("pk").values_list("pk", flat=True)[count - 1 : count]) or [None])[0]
    if cutoff is None:  # fewer servable shops than asked: all of them
        return 0
    return servable.filter(pk__gt=cutoff).update(status=HOLD)


def release() -> None:
    Retailer.objects.filter(status=HOLD).update(status=RetailerStatus.ACTIVE)


def bare_insert_reference(*, today: datetime.date, now: datetime.datetime) -> float:
    """One INSERT … SELECT of the same rows, as simple as SQL gets, rolled back."""
    quote = connection.ops.quote_name
    invitation, retailer = quote(SurveyInvitation._meta.db_table), quote(Retailer._meta.db_table)
    questionnaire = Questionnaire.objects.get(kind=SurveyKind.ROUTINE, is_current=True).pk
    adapt_date, adapt_time = connection.ops.adapt_datefield_value, connection.ops.adapt_datetimefield_value
    cast = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {invitation} (retailer_id, questionnaire_id, kind, period_start, service_area_id_at,
                    tier_at, channel, status, attempts, last_error, reminders_sent, invited_on, invited_month,
                    created_at, expires_at, ratings, ratings_satisfied, nps_answers, promoters, detractors)
                SELECT r.id, %s, 'routine', {cast}, r.service_area_id, r.tier, 'sms', 'queued', 0, '', 0, {cast},
                    {cast}, %s, %s, 0, 0, 0, 0, 0
                FROM {retailer} r WHERE r.status = %s AND r.license_expires_on >= {cast}
                """,  # noqa: S608
                [questionnaire, adapt_date(today), adapt_date(today), adapt_date(today.replace(day=1)),
                 adapt_time(now), adapt_time(now),
                 RetailerStatus.ACTIVE, adapt_date(today)],
            )  # fmt: skip
            rows = cursor.rowcount
            seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    print(f"reference, one bare INSERT … SELECT of {rows:,} rows: {seconds:.2f} s; {load()}")
    return seconds


def answer_half() -> int:
    """Half the invitations answered, with scores spread by id (set-based; answers themselves are
    not needed by the results' aggregates, which read the stored scores)."""
    now = timezone.now()
    return SurveyInvitation.objects.annotate(bucket=F("id") % 10).filter(bucket__lt=5).update(
        status=InvitationStatus.ANSWERED,
        answered_at=now,
        sent_at=now,
        ratings=3,
        ratings_satisfied=F("id") % 4,
        nps_answers=1,
        promoters=F("id") % 2,
        detractors=(F("id") % 3) / 2,
    )


def responses_and_comments() -> int:
    """A response for every answered invitation and a comment on every fifth (two INSERT … SELECT)."""
    quote = connection.ops.quote_name
    invitation, response, answer = (
        quote(model._meta.db_table) for model in (SurveyInvitation, SurveyResponse, SurveyAnswer)
    )
    text_question = Questionnaire.objects.get(kind=SurveyKind.ROUTINE, is_current=True).questions.get(type="text")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {response} (invitation_id, retailer_id, questionnaire_id, answered_at, low_score) "  # noqa: S608
            f"SELECT id, retailer_id, questionnaire_id, answered_at, %s FROM {invitation} WHERE status = 'answered'",
            [False],
        )
        cursor.execute(
            f"INSERT INTO {answer} (response_id, question_id, score, text) "  # noqa: S608
            f"SELECT id, %s, NULL, %s FROM {response} WHERE id %% 5 = 0",
            [text_question.pk, "希望紧俏烟的货源能多投放一些。"],
        )
        return cursor.rowcount


def time_page(client: Client, url: str, label: str) -> tuple[float, int]:
    client.get(url)  # warm the caches
    times = []
    for _ in range(15):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    median = statistics.median(times)
    print(f"{label}: median {median * 1000:.0f} ms, best {min(times) * 1000:.0f} ms, {len(queries)} queries; {load()}")
    return median, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailers", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--invite", type=int, default=INVITED, help="shops invited in the timed run")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not Retailer.objects.exists():
        started = time.perf_counter()
        call_command("seed_demo", retailers=args.retailers, months=args.months, seed=1, line_weeks=0)
        print(f"seed_demo: {time.perf_counter() - started:.1f} s")
    # The send tasks go to a broker (in memory here) instead of running in this process.
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"
    settings.ALLOWED_HOSTS = ["*"]
    release()
    empty_surveys()
    today, now = timezone.localdate(), timezone.now()
    total = Retailer.objects.count()
    held = hold_all_but(args.invite, today)
    print(f"database: {connection.vendor}; retailers: {total:,}; held out of the run: {held:,}; {load()}")
    try:
        reference = bare_insert_reference(today=today, now=now)
        started = time.perf_counter()
        invited = survey_invitations_create(today=today, now=now)
        seconds = time.perf_counter() - started
        batches = f"{settings.SURVEY_BATCH_SIZE:,} a batch, {settings.SURVEY_SEND_BATCH_SIZE} a send task"
        print(f"queue the invitations of {invited:,} shops: {seconds:.2f} s ({batches}); {load()}")
        started = time.perf_counter()
        again = survey_invitations_create(today=today, now=now)
        print(f"the same job again (a retry): {again:,} invited in {time.perf_counter() - started:.2f} s; {load()}")
    finally:
        release()
    answered = answer_half()
    comments = responses_and_comments()
    started = time.perf_counter()
    cells = survey_results_rebuild()
    print(f"result cells rebuilt from the invitations: {cells:,} in {time.perf_counter() - started:.2f} s")
    print(f"answered (set-based): {answered:,} of {SurveyInvitation.objects.count():,}, {comments:,} comments")

    admin = User.objects.filter(is_superuser=True).first() or User.objects.create(username="bench_admin",
                                                                                 is_superuser=True)  # fmt: skip
    client = Client()
    client.force_login(admin)
    page_admin, queries_admin = time_page(client, "/visits/surveys/", "results page, admin (every shop)")
    manager = User.objects.filter(groups__name=Role.SALES_MANAGER, service_areas__isnull=False).first()
    if manager is not None:
        client.force_login(manager)
        time_page(client, "/visits/surveys/", f"results page, sales manager {manager.username}")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT service_area_id_at, COUNT(*), SUM(ratings) FROM {SurveyInvitation._meta.db_table} "  # noqa: S608
            "WHERE invited_on >= %s GROUP BY service_area_id_at",
            [connection.ops.adapt_datefield_value(today - datetime.timedelta(days=180))],
        )
        cursor.fetchall()
    bare_group = time.perf_counter() - started
    print(f"reference, one bare GROUP BY over the invitations: {bare_group * 1000:.0f} ms; {load()}")
    last = SurveyInvitation.objects.aggregate(m=Max("pk"))["m"]
    print(f"invitations: {SurveyInvitation.objects.count():,} (last id {last:,})")
    print(f"ratio queue_100k_seconds_vs_60s_goal {seconds * INVITED / max(invited, 1) / 60:.2f}")
    print(f"ratio queue_100k_vs_bare_insert {seconds / reference:.1f}")
    print(f"ratio results_page_ms_vs_150ms_goal {page_admin * 1000 / 150:.2f}")
    print(f"ratio results_page_vs_bare_group_by {page_admin / bare_group:.1f}")
    print(f"ratio results_page_queries {queries_admin}")


if __name__ == "__main__":
    main()
