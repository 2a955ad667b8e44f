"""Survey writes (满意度调查, issue 11): inviting shops, sending the links, taking the answers.

In a module of its own rather than in visits/services.py because it is as large as the rest of the
visits services together and shares nothing with them but `visit_plan_one`; the reads are in
visits/survey_selectors.py. Every step is safe to run twice:

- an invitation is created by one INSERT … SELECT per batch of shops, and the database refuses a
  second routine invitation of a shop for the same period (or a second one for a ticket), so a
  retried or doubled job invites nobody twice;
- a send first claims its invitations with one conditional UPDATE (queued → sending), so two
  workers given the same ids send each message once;
- an answer is one row per invitation (OneToOne), taken under a row lock.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Status as TicketStatus
from complaints.models import Ticket
from grading.selectors import service_policy_for
from retailers.models import Retailer, RetailerStatus, Tier
from visits.channels import channel_send
from visits.models import (
    InvitationStatus,
    Question,
    Questionnaire,
    QuestionType,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveyResultCell,
    SurveyToken,
    VisitKind,
)

logger = logging.getLogger(__name__)

SURVEY_PERIODS = "visits_survey_periods"
# A claimed invitation whose worker died is sent again after this long (the daily sweep).
SEND_LEASE = datetime.timedelta(minutes=30)
LOW_RATING_AT_MOST = 2  # a rating of 1–2 …
LOW_NPS_AT_MOST = 6  # … or an NPS answer of 0–6 asks for a follow-up visit
SATISFIED_RATING_FROM = 4  # CSAT: the share of 4–5 ratings
PROMOTER_FROM = 9  # NPS: promoters 9–10 minus detractors 0–6


class SurveyError(ValidationError):
    """A survey action refused for a business reason."""


class SurveyClosed(Exception):
    """The link cannot be answered: `state` is "unknown" (forged or mistyped), "answered" or "expired"."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


# --- tokens ----------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_new() -> tuple[str, str]:
    """A fresh unguessable token (256 bits) and its hash: only the hash is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def survey_link(token: str) -> str:
    return settings.SURVEY_BASE_URL.rstrip("/") + reverse("survey-answer", kwargs={"token": token})


# --- inviting ---------------------------------------------------------------------------------------


def tier_survey_intervals() -> dict[str, int]:
    """The survey interval of every tier value a shop can hold ("" = not graded yet: as ordinary)."""
    return {tier: service_policy_for(tier).survey_interval_days for tier in ["", *Tier.values]}


def period_start(*, day: datetime.date, interval: int, retailer_id: int) -> datetime.date:
    """The first day of the survey period `day` falls in, for a shop surveyed every `interval` days.

    Periods are fixed `interval`-day windows, shifted by the shop's id so that the shops of a tier
    fall due on different days rather than all at once; the same day always gives the same
    period, which is what the uniqueness constraint holds on."""
    return day - datetime.timedelta(days=(day.toordinal() + retailer_id % interval) % interval)


def _periods_table(*, cursor, today: datetime.date, intervals: Iterable[int]) -> None:
    """Scratch table (interval_days, residue, period_start): the period of today for every shop
    whose id % interval is `residue` (a few hundred rows in all)."""
    postgresql = connection.vendor == "postgresql"
    day_type = "date" if postgresql else "text"
    cursor.execute(f"DROP TABLE IF EXISTS {SURVEY_PERIODS}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {SURVEY_PERIODS} (interval_days integer NOT NULL, residue integer NOT NULL, "
        f"period_start {day_type} NOT NULL, PRIMARY KEY (interval_days, residue))"
    )
    adapt = connection.ops.adapt_datefield_value
    cast = "CAST(%s AS date)" if postgresql else "%s"
    cursor.executemany(
        f"INSERT INTO {SURVEY_PERIODS} (interval_days, residue, period_start) VALUES (%s, %s, {cast})",  # noqa: S608
        [
            (interval, residue, adapt(period_start(day=today, interval=interval, retailer_id=residue)))
            for interval in sorted(set(intervals))
            for residue in range(interval)
        ],
    )


def current_questionnaire(kind: str) -> Questionnaire | None:
    return Questionnaire.objects.filter(kind=kind, is_current=True).first()


def _enqueue(ids: list[int]) -> None:
    """Queue the sending of `ids` once the transaction commits, SURVEY_SEND_BATCH_SIZE ids a task."""
    from visits.tasks import surveys_deliver_task

    size = settings.SURVEY_SEND_BATCH_SIZE
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        transaction.on_commit(lambda chunk=chunk: surveys_deliver_task.delay(chunk))


def survey_invitations_create(*, today: datetime.date | None = None, now: datetime.datetime | None = None) -> int:
    """Invite every servable shop (active, licence valid) that has no routine invitation for its
    current period to the current routine questionnaire; returns how many were invited.

    Set-based: one INSERT … SELECT per SURVEY_BATCH_SIZE shop ids, each batch its own transaction
    that queues the sending of what it inserted after it commits. A shop already invited for the
    period is skipped by the uniqueness constraint (ON CONFLICT DO NOTHING), so a second run, or
    a second worker at the same time, invites nobody twice."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    questionnaire = current_questionnaire(SurveyKind.ROUTINE)
    if questionnaire is None:
        return 0
    intervals = tier_survey_intervals()
    bounds = Retailer.objects.aggregate(last=Max("pk"))
    if bounds["last"] is None:
        return 0
    quote = connection.ops.quote_name
    invitation, retailer = quote(SurveyInvitation._meta.db_table), quote(Retailer._meta.db_table)
    interval_case = "CASE r.tier " + " ".join("WHEN %s THEN %s" for _ in intervals) + " ELSE %s END"
    interval_params = [value for pair in intervals.items() for value in pair] + [intervals[""]]
    adapt_date, adapt_time = connection.ops.adapt_datefield_value, connection.ops.adapt_datetimefield_value
    expires = now + datetime.timedelta(days=settings.SURVEY_VALID_DAYS)
    sql = f"""
        INSERT INTO {invitation} (retailer_id, questionnaire_id, kind, period_start, service_area_id_at, tier_at,
            channel, status, attempts, last_error, reminders_sent, invited_on, invited_month, created_at, expires_at,
            ratings, ratings_satisfied, nps_answers, promoters, detractors)
        SELECT s.id, %s, %s, p.period_start, s.service_area_id, s.tier, %s, %s, 0, '', 0, %s, %s, %s, %s,
            0, 0, 0, 0, 0
        FROM (
            SELECT r.id, r.service_area_id, r.tier, {interval_case} AS interval_days
            FROM {retailer} r
            WHERE r.id > %s AND r.id <= %s AND r.status = %s AND r.license_expires_on >= %s
        ) s
        JOIN {SURVEY_PERIODS} p ON p.interval_days = s.interval_days AND p.residue = s.id %% s.interval_days
        WHERE 1 = 1
        ON CONFLICT DO NOTHING
        RETURNING id
    """  # noqa: S608
    head = [
        questionnaire.pk, SurveyKind.ROUTINE, settings.SURVEY_CHANNEL, InvitationStatus.QUEUED,
        adapt_date(today), adapt_date(today.replace(day=1)), adapt_time(now), adapt_time(expires), *interval_params,
    ]  # fmt: skip
    created = 0
    size = settings.SURVEY_BATCH_SIZE
    with connection.cursor() as cursor:
        _periods_table(cursor=cursor, today=today, intervals=intervals.values())
    try:
        for low in range(0, bounds["last"], size):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [*head, low, low + size, RetailerStatus.ACTIVE, adapt_date(today)])
                ids = [row[0] for row in cursor.fetchall()]
                created += len(ids)
                _enqueue(ids)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SURVEY_PERIODS}")
    return created


def survey_complaint_invitations_create(*, now: datetime.datetime | None = None) -> int:
    """Invite each shop whose complaint ticket closed in the last SURVEY_COMPLAINT_WITHIN_DAYS to
    the current post-complaint questionnaire, once per ticket (a constraint): the complaints app
    is below visits, so this job pulls the closed tickets rather than being told of them."""
    now = now or timezone.now()
    questionnaire = current_questionnaire(SurveyKind.POST_COMPLAINT)
    if questionnaire is None:
        return 0
    today = timezone.localdate(now)
    quote = connection.ops.quote_name
    invitation, ticket, retailer = (
        quote(SurveyInvitation._meta.db_table), quote(Ticket._meta.db_table), quote(Retailer._meta.db_table),
    )  # fmt: skip
    adapt_date, adapt_time = connection.ops.adapt_datefield_value, connection.ops.adapt_datetimefield_value
    since = now - datetime.timedelta(days=settings.SURVEY_COMPLAINT_WITHIN_DAYS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {invitation} (retailer_id, questionnaire_id, kind, period_start, ticket_id,
                service_area_id_at, tier_at, channel, status, attempts, last_error, reminders_sent, invited_on,
                invited_month, created_at, expires_at, ratings, ratings_satisfied, nps_answers, promoters, detractors)
            SELECT t.retailer_id, %s, %s, %s, t.id, r.service_area_id, r.tier, %s, %s, 0, '', 0, %s, %s, %s, %s,
                0, 0, 0, 0, 0
            FROM {ticket} t JOIN {retailer} r ON r.id = t.retailer_id
            WHERE t.status = %s AND t.closed_at >= %s AND r.status = %s
              AND NOT EXISTS (SELECT 1 FROM {invitation} i WHERE i.ticket_id = t.id)
            ON CONFLICT DO NOTHING
            RETURNING id
            """,  # noqa: S608
            [
                questionnaire.pk, SurveyKind.POST_COMPLAINT, adapt_date(today), settings.SURVEY_CHANNEL,
                InvitationStatus.QUEUED, adapt_date(today), adapt_date(today.replace(day=1)), adapt_time(now),
                adapt_time(now + datetime.timedelta(days=settings.SURVEY_VALID_DAYS)),
                TicketStatus.CLOSED, adapt_time(since), RetailerStatus.ACTIVE,
            ],
        )  # fmt: skip
        ids = [row[0] for row in cursor.fetchall()]
        _enqueue(ids)
    return len(ids)


@transaction.atomic
def survey_reminders_queue(*, now: datetime.datetime | None = None) -> int:
    """Queue a reminder (a new message with a fresh link) for each sent invitation not answered,
    still valid, reminded fewer than SURVEY_REMINDERS_MAX times and last messaged at least
    SURVEY_REMINDER_GAP_DAYS ago: one UPDATE … RETURNING, however many are due. Running it twice
    within the gap reminds nobody twice (a concurrent run finds the rows no longer "sent")."""
    now = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    invitation = connection.ops.quote_name(SurveyInvitation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {invitation}
            SET status = %s, reminders_sent = reminders_sent + 1, attempts = 0, next_attempt_at = NULL
            WHERE status = %s AND expires_at > %s AND reminders_sent < %s AND last_sent_at <= %s
            RETURNING id
            """,  # noqa: S608
            [
                InvitationStatus.QUEUED, InvitationStatus.SENT, adapt(now), settings.SURVEY_REMINDERS_MAX,
                adapt(now - datetime.timedelta(days=settings.SURVEY_REMINDER_GAP_DAYS)),
            ],
        )  # fmt: skip
        ids = sorted(row[0] for row in cursor.fetchall())
    _enqueue(ids)
    return len(ids)


def survey_invitations_expire(*, now: datetime.datetime | None = None) -> int:
    """Invitations past their validity that were not answered are expired (their links refused)."""
    now = now or timezone.now()
    return SurveyInvitation.objects.filter(
        expires_at__lte=now,
        status__in=[InvitationStatus.QUEUED, InvitationStatus.SENDING, InvitationStatus.SENT, InvitationStatus.FAILED],
    ).update(status=InvitationStatus.EXPIRED, next_attempt_at=None)


def survey_sends_resume(*, now: datetime.datetime | None = None) -> int:
    """Queue again what a lost task or a dead worker left unsent: queued invitations, failed ones
    due for another attempt, and claims older than their lease (the send's claim decides)."""
    now = now or timezone.now()
    ids = list(
        SurveyInvitation.objects.filter(expires_at__gt=now)
        .filter(
            Q(status=InvitationStatus.QUEUED)
            | Q(status=InvitationStatus.FAILED, attempts__lt=settings.SURVEY_SEND_ATTEMPTS, next_attempt_at__lte=now)
            | Q(status=InvitationStatus.SENDING, next_attempt_at__lte=now)
        )
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        _enqueue(ids)
    return len(ids)


def surveys_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The daily survey job (beat entry visits.surveys_send, command `send_surveys`): expire old
    links, invite the shops due and those whose complaint closed, remind the silent ones, and
    queue again what was left unsent. Safe to run twice, and by two workers at once."""
    now = now or timezone.now()
    return {
        "expired": survey_invitations_expire(now=now),
        "invited": survey_invitations_create(now=now),
        "after_complaint": survey_complaint_invitations_create(now=now),
        "reminded": survey_reminders_queue(now=now),
        "resumed": survey_sends_resume(now=now),
    }


# --- the results' stored figures ---------------------------------------------------------------------

CELL_FIGURES = """
    COUNT(CASE WHEN sent_at IS NOT NULL OR status = 'answered' THEN 1 END),
    COUNT(CASE WHEN status = 'answered' THEN 1 END),
    COALESCE(SUM(ratings), 0), COALESCE(SUM(ratings_satisfied), 0), COALESCE(SUM(nps_answers), 0),
    COALESCE(SUM(promoters), 0), COALESCE(SUM(detractors), 0)
"""
CELL_COLUMNS = (
    "month, service_area_id, tier, invited, answered, ratings, ratings_satisfied, nps_answers, promoters, detractors"
)


def survey_result_cells_refresh(*, invitation_ids: Iterable[int]) -> int:
    """Recompute the result cells (month, area, tier) of these invitations from the invitations
    themselves, each under a row lock so that two answers of one cell at the same moment both
    count. Call it inside the transaction that changed them."""
    keys = sorted(
        set(
            SurveyInvitation.objects.filter(pk__in=list(invitation_ids)).values_list(
                "invited_month", "service_area_id_at", "tier_at"
            )
        ),
        key=lambda key: (key[0], key[1] or 0, key[2]),
    )
    quote = connection.ops.quote_name
    cell, invitation = quote(SurveyResultCell._meta.db_table), quote(SurveyInvitation._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for month, area, tier in keys:
            area = area or 0
            SurveyResultCell.objects.bulk_create(
                [SurveyResultCell(month=month, service_area_id=area, tier=tier)], ignore_conflicts=True
            )
            locked = SurveyResultCell.objects.select_for_update().get(month=month, service_area_id=area, tier=tier)
            cursor.execute(
                f"SELECT {CELL_FIGURES} FROM {invitation} "  # noqa: S608
                "WHERE invited_month = %s AND COALESCE(service_area_id_at, 0) = %s AND tier_at = %s",
                [adapt(month), area, tier],
            )
            figures = cursor.fetchone()
            cursor.execute(
                f"UPDATE {cell} SET invited = %s, answered = %s, ratings = %s, ratings_satisfied = %s, "  # noqa: S608
                "nps_answers = %s, promoters = %s, detractors = %s WHERE id = %s",
                [*figures, locked.pk],
            )
    return len(keys)


@transaction.atomic
def survey_results_rebuild() -> int:
    """Every result cell recomputed from the invitations in two statements (after a bulk load such
    as the demo seeder, or to repair); returns the number of cells."""
    quote = connection.ops.quote_name
    cell, invitation = quote(SurveyResultCell._meta.db_table), quote(SurveyInvitation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {cell}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {cell} ({CELL_COLUMNS}) "  # noqa: S608
            f"SELECT invited_month, COALESCE(service_area_id_at, 0), tier_at, {CELL_FIGURES} FROM {invitation} "
            "GROUP BY invited_month, COALESCE(service_area_id_at, 0), tier_at"
        )
        return cursor.rowcount


# --- sending ----------------------------------------------------------------------------------------


def retry_delay(attempts: int) -> datetime.timedelta:
    """Back-off after the `attempts`-th failed attempt: 1, 4, 16, 64 … minutes, at most a day."""
    return datetime.timedelta(minutes=min(4 ** max(attempts - 1, 0), 24 * 60))


def _message(invitation: SurveyInvitation, token: str) -> tuple[str, str]:
    """The message (subject, body) in the site's language (the shops read Chinese)."""
    with translation.override(settings.LANGUAGE_CODE):
        expires = timezone.localtime(invitation.expires_at).date()
        params = {
            "shop": invitation.retailer.name,
            "link": survey_link(token),
            "until": f"{expires.month}月{expires.day}日" if settings.LANGUAGE_CODE.startswith("zh") else expires,
        }
        if invitation.reminders_sent:
            body = _("Reminder: %(shop)s, we would still like to hear from you. One minute: %(link)s (until %(until)s)")
        elif invitation.kind == SurveyKind.POST_COMPLAINT:
            body = _("%(shop)s, your complaint has been handled. Were you satisfied? %(link)s (until %(until)s)")
        else:
            body = _("%(shop)s, please tell us how we are doing (one minute): %(link)s (until %(until)s)")
        return _("Satisfaction survey"), body % params


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    # (ids, seconds): the failed invitations to try again, grouped by their back-off
    retry: list[tuple[list[int], int]] | None = None


def survey_invitations_deliver(*, ids: list[int], now: datetime.datetime | None = None) -> DeliveryReport:
    """Send the invitations `ids` (the send task's work): claim those still to send, give each a
    fresh link (its token's hash stored first), send it on its channel, and record the outcome:
    sent, or failed with the error and the time of the next attempt (the back-off).

    The claim is one conditional UPDATE, so the same ids given to two workers (a doubled or
    retried task) send each message once; an invitation answered, expired or already sent is
    skipped."""
    now = now or timezone.now()
    report = DeliveryReport()
    sendable = Q(status=InvitationStatus.QUEUED) | Q(
        status=InvitationStatus.FAILED, attempts__lt=settings.SURVEY_SEND_ATTEMPTS, next_attempt_at__lte=now
    ) | Q(status=InvitationStatus.SENDING, next_attempt_at__lte=now)  # fmt: skip
    with transaction.atomic():
        candidates = list(
            SurveyInvitation.objects.filter(sendable, pk__in=ids, expires_at__gt=now).values_list("pk", flat=True)
        )
        claimed = SurveyInvitation.objects.filter(sendable, pk__in=candidates).update(
            status=InvitationStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + SEND_LEASE
        )
    report.skipped = len(ids) - claimed
    if not claimed:
        return report
    # What this call claimed: the ids in `candidates` now sending with this call's lease.
    invitations = list(
        SurveyInvitation.objects.filter(
            pk__in=candidates, status=InvitationStatus.SENDING, next_attempt_at=now + SEND_LEASE
        ).select_related("retailer")
    )
    tokens = {invitation.pk: token_new() for invitation in invitations}
    SurveyToken.objects.bulk_create(
        SurveyToken(invitation=invitation, token_hash=tokens[invitation.pk][1]) for invitation in invitations
    )
    sent: list[int] = []
    failures: dict[int, tuple[int, str]] = {}
    for invitation in invitations:
        subject, body = _message(invitation, tokens[invitation.pk][0])
        try:
            channel_send(channel=invitation.channel, phone=invitation.retailer.phone, subject=subject, body=body)
        except Exception as error:  # any backend failure is recorded on the invitation and retried
            logger.warning("survey invitation %s not sent: %r", invitation.pk, error)
            failures[invitation.pk] = (invitation.attempts, f"{type(error).__name__}: {error}"[:300])
        else:
            sent.append(invitation.pk)
    done = timezone.now()
    still_sending = SurveyInvitation.objects.filter(status=InvitationStatus.SENDING)
    with transaction.atomic():
        still_sending.filter(pk__in=sent, sent_at__isnull=True).update(sent_at=done)
        report.sent = still_sending.filter(pk__in=sent).update(
            status=InvitationStatus.SENT, last_sent_at=done, last_error="", next_attempt_at=None
        )
        survey_result_cells_refresh(invitation_ids=sent)  # the first messages count as invited
        retry: dict[int, list[int]] = {}
        for pk, (attempts, error) in failures.items():
            again = attempts < settings.SURVEY_SEND_ATTEMPTS
            delay = retry_delay(attempts)
            report.failed += still_sending.filter(pk=pk).update(
                status=InvitationStatus.FAILED, last_error=error, next_attempt_at=done + delay if again else None
            )
            if again:
                retry.setdefault(int(delay.total_seconds()), []).append(pk)
    report.retry = [(pks, seconds) for seconds, pks in sorted(retry.items())]
    return report


# --- answering --------------------------------------------------------------------------------------


def survey_invitation_for_token(token: str, *, now: datetime.datetime | None = None) -> SurveyInvitation:
    """The invitation a link opens, or SurveyClosed("unknown" | "answered" | "expired")."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        raise SurveyClosed("unknown")
    link = (
        SurveyToken.objects.filter(token_hash=token_hash(token))
        .select_related("invitation__retailer", "invitation__questionnaire")
        .first()
    )
    if link is None:
        raise SurveyClosed("unknown")
    invitation = link.invitation
    if invitation.status == InvitationStatus.ANSWERED:
        raise SurveyClosed("answered")
    if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
        raise SurveyClosed("expired")
    return invitation


def questionnaire_questions(questionnaire: Questionnaire) -> list[Question]:
    return list(questionnaire.questions.order_by("position", "id"))


def _clean_answer(question: Question, raw) -> tuple[int | None, str]:
    """(score, text) of one answer as typed, or a ValidationError saying what is wrong with it."""
    raw = "" if raw is None else str(raw).strip().replace("\x00", "")
    if raw == "":
        if question.required:
            raise ValidationError(gettext_lazy("Please answer this question."), code="required")
        return None, ""
    if question.type in (QuestionType.RATING, QuestionType.NPS):
        top, bottom = (5, 1) if question.type == QuestionType.RATING else (10, 0)
        if not raw.isdigit() or not bottom <= int(raw) <= top:
            raise ValidationError(
                gettext_lazy("Choose a score from %(bottom)s to %(top)s."),
                code="range",
                params={"bottom": bottom, "top": top},
            )
        return int(raw), ""
    if question.type == QuestionType.CHOICE:
        if raw not in question.option_list:
            raise ValidationError(gettext_lazy("Choose one of the options."), code="choice")
        return None, raw
    if len(raw) > 1000:
        raise ValidationError(gettext_lazy("At most 1,000 characters, please."), code="length")
    return None, raw


def survey_answers_clean(*, questions: list[Question], answers: Mapping[str, object]) -> dict[int, tuple]:
    """Every answer checked against its question; a ValidationError names each wrong one by its
    field (`q<question id>`)."""
    cleaned, errors = {}, {}
    for question in questions:
        try:
            cleaned[question.pk] = _clean_answer(question, answers.get(f"q{question.pk}"))
        except ValidationError as error:
            errors[f"q{question.pk}"] = error
    if errors:
        raise SurveyError(errors)
    return cleaned


def _scores(questions: list[Question], cleaned: dict[int, tuple]) -> dict[str, int]:
    by_type = {question.pk: question.type for question in questions}
    ratings = [score for pk, (score, _t) in cleaned.items() if by_type[pk] == QuestionType.RATING and score is not None]
    nps = [score for pk, (score, _t) in cleaned.items() if by_type[pk] == QuestionType.NPS and score is not None]
    return {
        "ratings": len(ratings),
        "ratings_satisfied": sum(score >= SATISFIED_RATING_FROM for score in ratings),
        "nps_answers": len(nps),
        "promoters": sum(score >= PROMOTER_FROM for score in nps),
        "detractors": sum(score <= LOW_NPS_AT_MOST for score in nps),
        "low": any(score <= LOW_RATING_AT_MOST for score in ratings) or any(score <= LOW_NPS_AT_MOST for score in nps),
    }


def survey_answer_submit(
    *, token: str, answers: Mapping[str, object], now: datetime.datetime | None = None
) -> SurveyResponse:
    """Take a shop's answers to the link `token`: once (a second submission, even at the same
    moment, is refused with SurveyClosed("answered")), valid answers only (SurveyError naming each
    question), in the questionnaire version the shop was invited to. A low score (a rating of 1–2
    or an NPS answer of 0–6) plans a follow-up visit for the shop's manager."""
    now = now or timezone.now()
    found = survey_invitation_for_token(token, now=now)
    questions = questionnaire_questions(found.questionnaire)
    cleaned = survey_answers_clean(questions=questions, answers=answers)
    scores = _scores(questions, cleaned)
    try:
        with transaction.atomic():
            invitation = (
                SurveyInvitation.objects.select_for_update().select_related("retailer").get(pk=found.pk)
            )
            if invitation.status == InvitationStatus.ANSWERED:
                raise SurveyClosed("answered")
            if invitation.status == InvitationStatus.EXPIRED or invitation.expires_at <= now:
                raise SurveyClosed("expired")
            response = SurveyResponse.objects.create(
                invitation=invitation,
                retailer_id=invitation.retailer_id,
                questionnaire_id=invitation.questionnaire_id,
                answered_at=now,
                low_score=scores["low"],
            )
            SurveyAnswer.objects.bulk_create(
                SurveyAnswer(response=response, question_id=pk, score=score, text=text)
                for pk, (score, text) in cleaned.items()
                if score is not None or text
            )
            SurveyInvitation.objects.filter(pk=invitation.pk).update(
                status=InvitationStatus.ANSWERED,
                answered_at=now,
                next_attempt_at=None,
                **{key: value for key, value in scores.items() if key != "low"},
            )
            survey_result_cells_refresh(invitation_ids=[invitation.pk])
            if scores["low"]:
                response.follow_up = _follow_up(invitation=invitation, questions=questions, cleaned=cleaned)
                if response.follow_up is not None:
                    response.save(update_fields=["follow_up"])
    except IntegrityError as error:  # a second submission that passed the lock (OneToOne refused it)
        raise SurveyClosed("answered") from error
    return response


def _follow_up(*, invitation: SurveyInvitation, questions: list[Question], cleaned: dict[int, tuple]):
    """Plan the follow-up visit of a low score (once: the answer is taken once), or None when the
    shop cannot be visited (no manager, closed) — the response stays marked low_score."""
    from visits.services import VisitError, visit_plan_one, working_day_on_or_after

    low = [
        f"{question.text} {cleaned[question.pk][0]}"
        for question in questions
        if cleaned[question.pk][0] is not None
        and cleaned[question.pk][0] <= (LOW_RATING_AT_MOST if question.type == QuestionType.RATING else LOW_NPS_AT_MOST)
    ]
    with translation.override(settings.LANGUAGE_CODE):
        purpose = (_("Low survey score: %(answers)s") % {"answers": "; ".join(low)})[:200]
    day = working_day_on_or_after(timezone.localdate() + datetime.timedelta(days=settings.SURVEY_FOLLOW_UP_DAYS))
    try:
        with transaction.atomic():
            return visit_plan_one(
                retailer=invitation.retailer, kind=VisitKind.FOLLOW_UP, planned_on=day, purpose=purpose
            )
    except VisitError as error:
        logger.info("no follow-up visit for survey invitation %s: %s", invitation.pk, error.messages)
        return None


# --- questionnaires (admins) ------------------------------------------------------------------------


@transaction.atomic
def questionnaire_new_version(*, questionnaire: Questionnaire) -> Questionnaire:
    """A copy of `questionnaire` as the next version of its kind, to edit (not current yet):
    versions that shops were invited to are never changed."""
    latest = Questionnaire.objects.select_for_update().filter(kind=questionnaire.kind).aggregate(v=Max("version"))
    copy = Questionnaire(
        kind=questionnaire.kind, version=(latest["v"] or 0) + 1, title=questionnaire.title, intro=questionnaire.intro
    )
    copy.full_clean()
    copy.save()
    Question.objects.bulk_create(
        Question(questionnaire=copy, position=q.position, type=q.type, text=q.text, options=q.options,
                 required=q.required)
        for q in questionnaire.questions.all()
    )  # fmt: skip
    return copy


@transaction.atomic
def questionnaire_make_current(*, questionnaire: Questionnaire) -> Questionnaire:
    """Send `questionnaire` from now on (new invitations); those already sent keep their version."""
    if not questionnaire.questions.exists():
        raise SurveyError(_("A questionnaire without questions cannot be sent."))
    Questionnaire.objects.filter(kind=questionnaire.kind, is_current=True).exclude(pk=questionnaire.pk).update(
        is_current=False
    )
    Questionnaire.objects.filter(pk=questionnaire.pk).update(is_current=True)
    questionnaire.is_current = True
    return questionnaire


def questionnaire_is_frozen(questionnaire: Questionnaire) -> bool:
    """A version some shop was invited to is kept as it was (answers refer to its questions)."""
    return questionnaire.pk is not None and SurveyInvitation.objects.filter(questionnaire=questionnaire).exists()
