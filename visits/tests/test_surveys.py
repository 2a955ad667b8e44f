"""Surveys without HTTP: invitations at most once per shop and period (retried and doubled jobs),
sending (claim, failures, back-off), reminders, tokens (expiry, reuse, forgery), the post-complaint
survey, answers, the low-score follow-up, CSAT/NPS arithmetic, versions and the channel backends."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django_celery_beat.models import PeriodicTask

from complaints.models import Status as TicketStatus
from complaints.services import ticket_create
from complaints.tests.factories import ticket_data
from crm_site.roles import Role
from grading.models import ServicePolicy
from retailers.models import RetailerStatus, Tier
from retailers.tests.factories import RetailerFactory
from visits import channels
from visits.models import (
    InvitationStatus,
    Question,
    Questionnaire,
    QuestionType,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveyToken,
    Visit,
    VisitKind,
)
from visits.selectors import survey_answers_for_points, survey_satisfaction_by_retailer
from visits.survey_selectors import csat, nps, survey_results
from visits.surveys import (
    SurveyClosed,
    SurveyError,
    period_start,
    questionnaire_make_current,
    questionnaire_new_version,
    retry_delay,
    survey_answer_submit,
    survey_complaint_invitations_create,
    survey_invitation_for_token,
    survey_invitations_create,
    survey_invitations_deliver,
    survey_invitations_expire,
    survey_reminders_queue,
    surveys_send,
    token_hash,
)
from visits.tasks import surveys_deliver_task, surveys_send_task

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 9, 1, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _now():
    channels.outbox.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    channels.outbox.clear()


@pytest.fixture
def manager(prefecture):
    return prefecture["users"][Role.SALES_MANAGER]


@pytest.fixture
def shop(prefecture, manager):
    """make(**fields) -> a servable shop of area A; the prefecture's own shops are closed (not surveyed)."""
    for retailer in prefecture["shops"].values():
        retailer.status = RetailerStatus.CLOSED
        retailer.save()

    def make(**fields):
        fields.setdefault("service_area", prefecture["areas"]["a"])
        fields.setdefault("account_manager", manager)
        return RetailerFactory(**fields)

    return make


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """Run a job and the send tasks it queues after commit (Celery is eager in tests)."""

    def run(job, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return job(**kwargs)

    return run


def link_tokens() -> list[str]:
    """The tokens in the messages sent so far (the last path segment of each link)."""
    return [message.body.split("/s/", 1)[1].split("/", 1)[0] for message in channels.outbox]


def answers_for(questionnaire: Questionnaire, **by_type) -> dict[str, str]:
    answers = {}
    for question in questionnaire.questions.all():
        default = {"rating": "5", "nps": "10", "choice": question.option_list[:1] and question.option_list[0],
                   "text": "很好"}[question.type]  # fmt: skip
        answers[f"q{question.pk}"] = by_type.get(question.type, default)
    return answers


def invite_and_send(send_now, retailer) -> str:
    send_now(survey_invitations_create)
    return link_tokens()[-1]


# --- invitations: once per shop and period -----------------------------------------------------------


def test_the_migration_creates_the_two_questionnaires_and_the_daily_job():
    routine = Questionnaire.objects.get(kind=SurveyKind.ROUTINE, is_current=True)
    short = Questionnaire.objects.get(kind=SurveyKind.POST_COMPLAINT, is_current=True)
    assert {q.type for q in routine.questions.all()} == set(QuestionType.values)
    assert short.questions.count() < routine.questions.count()
    task = PeriodicTask.objects.get(task="visits.surveys_send")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("9", "30", "Asia/Shanghai")


def test_each_servable_shop_is_invited_once_and_sent_a_link(shop, send_now):
    shops = [shop() for _ in range(3)]
    shop(status=RetailerStatus.CLOSED)
    shop(license_expires_on=datetime.date(2026, 8, 1))
    assert send_now(survey_invitations_create) == 3
    invitations = SurveyInvitation.objects.all()
    assert {i.retailer_id for i in invitations} == {s.pk for s in shops}
    assert {i.status for i in invitations} == {InvitationStatus.SENT}
    assert all(i.expires_at == NOW + datetime.timedelta(days=settings.SURVEY_VALID_DAYS) for i in invitations)
    assert sorted(m.to for m in channels.outbox) == sorted(s.phone for s in shops)
    assert all(f"{settings.SURVEY_BASE_URL}/s/" in m.body for m in channels.outbox)
    assert all(s.name in m.body for s, m in zip(sorted(shops, key=lambda s: s.phone),
                                                sorted(channels.outbox, key=lambda m: m.to), strict=True))  # fmt: skip


def test_only_the_hash_of_a_token_is_stored(shop, send_now):
    token = invite_and_send(send_now, shop())
    stored = SurveyToken.objects.get()
    assert stored.token_hash == token_hash(token) != token
    assert len(token) >= 40  # 32 random bytes
    assert not SurveyInvitation.objects.filter(last_error__contains=token).exists()


def test_a_retried_job_invites_nobody_twice(shop, send_now, settings):
    settings.SURVEY_REMINDERS_MAX = 0  # only invitations in the outbox
    shop(), shop()
    assert send_now(surveys_send_task)["invited"] == 2
    assert send_now(surveys_send_task)["invited"] == 0  # the same day again (a retry)
    with time_machine.travel(NOW + datetime.timedelta(days=5), tick=False):
        assert send_now(surveys_send)["invited"] == 0  # later in the same period
    assert SurveyInvitation.objects.count() == 2
    assert len(channels.outbox) == 2


def test_a_doubled_send_task_sends_each_message_once(shop, send_now):
    shop()
    with transaction.atomic():  # create without running the queued send
        survey_invitations_create()
    ids = list(SurveyInvitation.objects.values_list("pk", flat=True))
    first = surveys_deliver_task(ids)
    second = surveys_deliver_task(ids)
    assert (first["sent"], second["sent"], second["skipped"]) == (1, 0, 1)
    assert len(channels.outbox) == 1


def test_the_database_refuses_a_second_invitation_for_the_period(shop, send_now):
    retailer = shop()
    send_now(survey_invitations_create)
    invitation = SurveyInvitation.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyInvitation.objects.create(
            retailer=retailer, questionnaire=invitation.questionnaire, kind=SurveyKind.ROUTINE,
            period_start=invitation.period_start, channel="sms", invited_on=NOW.date(),
            invited_month=NOW.date().replace(day=1), created_at=NOW,
            expires_at=NOW,
        )  # fmt: skip


def test_a_shop_is_invited_again_in_its_next_period(shop, send_now):
    retailer = shop(tier=Tier.KEY)
    interval = ServicePolicy.objects.get(tier=Tier.KEY).survey_interval_days
    send_now(survey_invitations_create)
    first = SurveyInvitation.objects.get()
    assert first.period_start == period_start(day=NOW.date(), interval=interval, retailer_id=retailer.pk)
    next_period = first.period_start + datetime.timedelta(days=interval)
    with time_machine.travel(NOW + (next_period - NOW.date()) - datetime.timedelta(days=1), tick=False):
        assert send_now(survey_invitations_create) == 0
    with time_machine.travel(NOW + (next_period - NOW.date()), tick=False):
        assert send_now(survey_invitations_create) == 1
    assert list(SurveyInvitation.objects.order_by("period_start").values_list("period_start", flat=True)) == [
        first.period_start,
        next_period,
    ]


def test_periods_follow_the_tier_interval_and_are_spread_by_shop():
    day = datetime.date(2026, 9, 1)
    starts = {period_start(day=day, interval=30, retailer_id=pk) for pk in range(30)}
    assert len(starts) == 30  # thirty shops fall due on thirty different days
    assert all(day - datetime.timedelta(days=29) <= start <= day for start in starts)
    for pk in range(5):
        start = period_start(day=day, interval=30, retailer_id=pk)
        assert period_start(day=start + datetime.timedelta(days=29), interval=30, retailer_id=pk) == start


def test_invitations_are_created_in_bounded_batches(shop, send_now, settings):
    settings.SURVEY_BATCH_SIZE = 2
    shops = [shop() for _ in range(5)]
    assert send_now(survey_invitations_create) == 5
    assert SurveyInvitation.objects.filter(retailer__in=shops).count() == 5


def test_the_command_runs_the_same_job(shop, django_capture_on_commit_callbacks):
    shop()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_surveys", stdout=out)
    assert "1 shops invited" in out.getvalue()
    assert SurveyInvitation.objects.get().status == InvitationStatus.SENT


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        if settings.REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES is set but the database is not PostgreSQL")
        pytest.skip("two survey jobs at once are tested on PostgreSQL (DATABASE_URL)")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_jobs_at_once_invite_and_send_each_shop_once(prefecture):
    require_postgresql()
    RetailerFactory.create_batch(40, service_area=prefecture["areas"]["a"])
    results, barrier = [], threading.Barrier(2)

    def job() -> None:
        connection.ensure_connection()
        barrier.wait()
        try:
            results.append(surveys_send())  # a real commit: its send tasks run (eager) after it
        except Exception as error:
            results.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(result, dict) for result in results), results
    assert sum(result["invited"] for result in results) == 43  # the prefecture's 3 shops and these 40
    assert SurveyInvitation.objects.count() == 43
    assert len(channels.outbox) == 43
    assert SurveyInvitation.objects.filter(status=InvitationStatus.SENT).count() == 43


# --- sending: failures, back-off, channels -----------------------------------------------------------


class BrokenSmsBackend(channels.BaseSmsBackend):
    def send_messages(self, messages):
        raise channels.ChannelError("gateway timeout")


def test_a_failed_send_is_recorded_and_retried_with_back_off(shop, send_now, settings):
    settings.SMS_BACKEND = "visits.tests.test_surveys.BrokenSmsBackend"
    shop()
    send_now(survey_invitations_create)
    invitation = SurveyInvitation.objects.get()
    assert (invitation.status, invitation.attempts) == (InvitationStatus.FAILED, 1)
    assert invitation.last_error == "ChannelError: gateway timeout"
    assert invitation.next_attempt_at == NOW + retry_delay(1)
    # Not before its time …
    assert survey_invitations_deliver(ids=[invitation.pk]).skipped == 1
    # … then again (4 minutes after the second failure), and after the last attempt no more.
    for attempt in range(2, settings.SURVEY_SEND_ATTEMPTS + 1):
        with time_machine.travel(NOW + datetime.timedelta(days=attempt), tick=False):
            survey_invitations_deliver(ids=[invitation.pk])
        invitation.refresh_from_db()
        assert invitation.attempts == attempt
    assert invitation.next_attempt_at is None
    with time_machine.travel(NOW + datetime.timedelta(days=9), tick=False):
        assert survey_invitations_deliver(ids=[invitation.pk]).skipped == 1
    settings.SMS_BACKEND = "visits.channels.LocmemSmsBackend"
    assert retry_delay(1) < retry_delay(2) < retry_delay(3) <= datetime.timedelta(days=1)


def test_a_send_that_recovers_clears_the_error(shop, send_now, settings):
    settings.SMS_BACKEND = "visits.tests.test_surveys.BrokenSmsBackend"
    shop()
    send_now(survey_invitations_create)
    settings.SMS_BACKEND = "visits.channels.LocmemSmsBackend"
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        assert send_now(surveys_send)["resumed"] == 1
    invitation = SurveyInvitation.objects.get()
    assert (invitation.status, invitation.last_error, invitation.attempts) == (InvitationStatus.SENT, "", 2)
    assert len(channels.outbox) == 1


def test_the_email_channel_uses_djangos_mail(shop, send_now, settings):
    settings.SURVEY_CHANNEL = "email"
    retailer = shop()
    send_now(survey_invitations_create)
    assert len(mail.outbox) == 1 and not channels.outbox
    assert mail.outbox[0].to == [settings.SURVEY_EMAIL_RECIPIENT.format(phone=retailer.phone)]
    assert "/s/" in mail.outbox[0].body


def test_the_console_backend_prints_each_message_with_its_link():
    stream = io.StringIO()
    backend = channels.ConsoleSmsBackend(stream=stream)
    assert backend.send_messages([channels.SmsMessage("13900000000", "请填写 http://x/s/abc/")]) == 1
    assert "13900000000" in stream.getvalue() and "http://x/s/abc/" in stream.getvalue()


def test_the_file_backend_appends_to_the_days_file(tmp_path):
    backend = channels.FileSmsBackend(path=tmp_path)
    backend.send_messages([channels.SmsMessage("13900000000", "一"), channels.SmsMessage("13900000001", "二")])
    (log,) = tmp_path.iterdir()
    assert log.name == "sms-20260901.log"
    assert "13900000001" in log.read_text(encoding="utf-8")


def test_the_default_sms_backend_is_the_console():
    from crm_site.settings import base

    assert base.SMS_BACKEND == "visits.channels.ConsoleSmsBackend"


# --- reminders and expiry ----------------------------------------------------------------------------


def test_reminders_go_to_shops_that_have_not_answered_with_a_gap_and_a_limit(shop, send_now, settings):
    settings.SURVEY_REMINDERS_MAX, settings.SURVEY_REMINDER_GAP_DAYS, settings.SURVEY_VALID_DAYS = 2, 3, 30
    silent, answering = shop(), shop()
    send_now(survey_invitations_create)
    answered_token = next(t for t, m in zip(link_tokens(), channels.outbox, strict=True) if m.to == answering.phone)
    survey_answer_submit(token=answered_token, answers=answers_for(current_routine()))
    days = lambda n: time_machine.travel(NOW + datetime.timedelta(days=n), tick=False)  # noqa: E731
    with days(2):
        assert send_now(survey_reminders_queue) == 0  # within the gap
    with days(3):
        assert send_now(survey_reminders_queue) == 1
        assert send_now(survey_reminders_queue) == 0  # a second run the same day
    with days(6):
        assert send_now(survey_reminders_queue) == 1
    with days(12):
        assert send_now(survey_reminders_queue) == 0  # the limit
    reminders = [m for m in channels.outbox if m.to == silent.phone]
    assert len(reminders) == 3  # the invitation and two reminders
    assert SurveyInvitation.objects.get(retailer=silent).reminders_sent == 2
    # every message's link works until the invitation is answered
    first, last = [t for t, m in zip(link_tokens(), channels.outbox, strict=True) if m.to == silent.phone][::2]
    with days(12):
        assert survey_invitation_for_token(first).retailer == silent
        assert survey_invitation_for_token(last).retailer == silent


def test_no_reminder_after_the_link_expired(shop, send_now, settings):
    settings.SURVEY_VALID_DAYS = 2
    shop()
    send_now(survey_invitations_create)
    with time_machine.travel(NOW + datetime.timedelta(days=4), tick=False):
        assert send_now(surveys_send)["expired"] == 1
        assert send_now(survey_reminders_queue) == 0
    assert SurveyInvitation.objects.get().status == InvitationStatus.EXPIRED


# --- tokens -------------------------------------------------------------------------------------------


def current_routine() -> Questionnaire:
    return Questionnaire.objects.get(kind=SurveyKind.ROUTINE, is_current=True)


def test_a_forged_token_is_unknown(shop, send_now):
    token = invite_and_send(send_now, shop())
    for forged in ["", "x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), "a\x00b", "长" * 200]:
        with pytest.raises(SurveyClosed) as closed:
            survey_invitation_for_token(forged)
        assert closed.value.state == "unknown"


def test_an_expired_token_is_refused_even_before_the_nightly_job(shop, send_now, settings):
    token = invite_and_send(send_now, shop())
    with time_machine.travel(NOW + datetime.timedelta(days=settings.SURVEY_VALID_DAYS, seconds=1), tick=False):
        with pytest.raises(SurveyClosed) as closed:
            survey_answer_submit(token=token, answers=answers_for(current_routine()))
        assert closed.value.state == "expired"
        survey_invitations_expire()
    assert SurveyInvitation.objects.get().status == InvitationStatus.EXPIRED
    assert not SurveyResponse.objects.exists()


def test_a_token_is_answered_once(shop, send_now):
    token = invite_and_send(send_now, shop())
    survey_answer_submit(token=token, answers=answers_for(current_routine()))
    with pytest.raises(SurveyClosed) as closed:
        survey_answer_submit(token=token, answers=answers_for(current_routine()))
    assert closed.value.state == "answered"
    assert SurveyResponse.objects.count() == 1


# --- answers ------------------------------------------------------------------------------------------


def test_every_answer_is_validated_and_the_errors_name_the_question(shop, send_now):
    token = invite_and_send(send_now, shop())
    questionnaire = current_routine()
    questions = {q.type: q for q in questionnaire.questions.all()}
    answers = answers_for(questionnaire)
    answers[f"q{questions['rating'].pk}"] = "6"
    answers[f"q{questions['nps'].pk}"] = "-1"
    answers[f"q{questions['choice'].pk}"] = "每天"
    with pytest.raises(SurveyError) as refused:
        survey_answer_submit(token=token, answers=answers)
    assert {f"q{questions[t].pk}" for t in ("rating", "nps", "choice")} <= set(refused.value.message_dict)
    assert not SurveyResponse.objects.exists()
    assert SurveyInvitation.objects.get().status == InvitationStatus.SENT


def test_an_answer_is_stored_with_the_version_and_its_scores(shop, send_now):
    retailer = shop()
    token = invite_and_send(send_now, retailer)
    questionnaire = current_routine()
    response = survey_answer_submit(token=token, answers=answers_for(questionnaire, rating="4", nps="9"))
    invitation = SurveyInvitation.objects.get()
    assert response.questionnaire == questionnaire == invitation.questionnaire
    ratings = questionnaire.questions.filter(type=QuestionType.RATING).count()
    assert (invitation.status, invitation.ratings, invitation.ratings_satisfied) == ("answered", ratings, ratings)
    assert (invitation.nps_answers, invitation.promoters, invitation.detractors) == (1, 1, 0)
    assert not response.low_score and response.follow_up is None
    assert response.answers.count() == questionnaire.questions.count()


def test_answers_keep_the_version_they_answered(shop, send_now):
    retailer = shop()
    token = invite_and_send(send_now, retailer)
    old = current_routine()
    new = questionnaire_new_version(questionnaire=old)
    Question.objects.filter(questionnaire=new, type=QuestionType.CHOICE).delete()
    questionnaire_make_current(questionnaire=new)
    assert (new.version, current_routine()) == (old.version + 1, new)
    response = survey_answer_submit(token=token, answers=answers_for(old))
    assert response.questionnaire == old
    other = shop()
    send_now(survey_invitations_create)
    assert SurveyInvitation.objects.get(retailer=other).questionnaire == new


@pytest.mark.parametrize(("by_type", "low"), [({"rating": "2"}, True), ({"nps": "6"}, True),
                                              ({"rating": "3", "nps": "7"}, False)])  # fmt: skip
def test_a_low_score_plans_one_follow_up_visit_for_the_manager(shop, send_now, manager, by_type, low):
    retailer = shop()
    token = invite_and_send(send_now, retailer)
    response = survey_answer_submit(token=token, answers=answers_for(current_routine(), **by_type))
    visits = Visit.objects.filter(retailer=retailer, kind=VisitKind.FOLLOW_UP)
    assert response.low_score is low
    assert visits.count() == (1 if low else 0)
    if low:
        visit = visits.get()
        assert (visit.manager, response.follow_up) == (manager, visit)
        assert visit.planned_on > NOW.date()
        assert "满意度" in visit.purpose
        with pytest.raises(SurveyClosed):  # once per answer: the answer cannot be given twice
            survey_answer_submit(token=token, answers=answers_for(current_routine(), **by_type))
        assert visits.count() == 1


def test_a_low_score_from_a_shop_without_manager_is_kept_without_a_visit(shop, send_now):
    retailer = shop(account_manager=None)
    token = invite_and_send(send_now, retailer)
    response = survey_answer_submit(token=token, answers=answers_for(current_routine(), rating="1"))
    assert response.low_score and response.follow_up is None
    assert not Visit.objects.exists()


# --- after a complaint ------------------------------------------------------------------------------


def test_a_closed_complaint_invites_the_shop_to_the_short_survey_once(shop, send_now, prefecture):
    retailer = shop()
    ticket = ticket_create(retailer=retailer, data=ticket_data(), created_by=prefecture["users"][Role.COMPLAINT_CLERK])
    assert send_now(survey_complaint_invitations_create) == 0  # still open
    ticket.status, ticket.closed_at = TicketStatus.CLOSED, NOW - datetime.timedelta(hours=2)
    ticket.save()
    old = ticket_create(retailer=retailer, data=ticket_data(), created_by=prefecture["users"][Role.COMPLAINT_CLERK])
    old.status, old.closed_at = TicketStatus.CLOSED, NOW - datetime.timedelta(days=60)  # before the window
    old.save()
    assert send_now(surveys_send)["after_complaint"] == 1
    assert send_now(surveys_send)["after_complaint"] == 0
    invitation = SurveyInvitation.objects.get(kind=SurveyKind.POST_COMPLAINT)
    assert (invitation.ticket, invitation.questionnaire.kind, invitation.status) == (
        ticket, SurveyKind.POST_COMPLAINT, InvitationStatus.SENT,
    )  # fmt: skip
    assert SurveyInvitation.objects.filter(kind=SurveyKind.ROUTINE, retailer=retailer).count() == 1  # both
    complaint_message = next(m for m in channels.outbox if "投诉" in m.body)
    assert complaint_message.to == retailer.phone


# --- results: CSAT and NPS on fixed samples ---------------------------------------------------------


def test_csat_and_nps_arithmetic():
    assert csat(ratings=10, satisfied=7) == Decimal("0.7")
    assert csat(ratings=0, satisfied=0) is None
    # 5 promoters, 3 passives, 2 detractors of 10: 50% − 20% = 30
    assert nps(answers=10, promoters=5, detractors=2) == Decimal("30.0")
    assert nps(answers=3, promoters=0, detractors=3) == Decimal("-100.0")
    assert nps(answers=3, promoters=1, detractors=0) == Decimal("33.3")
    assert nps(answers=0, promoters=0, detractors=0) is None


def test_results_on_a_fixed_sample(prefecture, shop, send_now, users):
    area_a, area_c = prefecture["areas"]["a"], prefecture["areas"]["c"]
    samples = [  # (area, tier, rating answers, nps)
        (area_a, Tier.KEY, "5", "10"), (area_a, Tier.KEY, "4", "9"), (area_a, Tier.ORDINARY, "3", "7"),
        (area_a, Tier.ORDINARY, "1", "0"), (area_c, Tier.ORDINARY, "5", "6"), (area_c, Tier.ORDINARY, None, None),
    ]  # fmt: skip
    shops = [shop(service_area=area, tier=tier) for area, tier, _r, _n in samples]
    SurveyInvitation.objects.all().delete()
    send_now(survey_invitations_create)
    by_phone = dict(zip([m.to for m in channels.outbox], link_tokens(), strict=True))
    for retailer, (_area, _tier, rating, score) in zip(shops, samples, strict=True):
        if rating:
            survey_answer_submit(token=by_phone[retailer.phone],
                                 answers=answers_for(current_routine(), rating=rating, nps=score))  # fmt: skip
    ratings = current_routine().questions.filter(type=QuestionType.RATING).count()  # every rating alike
    results = survey_results(user=users[Role.ADMIN], start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 30))
    invited = 6
    assert (results.total.invited, results.total.answered) == (invited, 5)
    assert results.total.response_rate == Decimal(5) / Decimal(invited)
    assert results.total.csat == Decimal(3 * ratings) / Decimal(5 * ratings)  # 5, 4, 5 of 5, 4, 3, 1, 5
    assert results.total.nps == Decimal("0.0")  # promoters 10, 9; detractors 0, 6: (2 − 2) / 5
    by_tier = {row.key: row for row in results.by_tier}
    assert by_tier[Tier.KEY].csat == 1 and by_tier[Tier.KEY].nps == Decimal("100.0")
    assert by_tier[Tier.ORDINARY].nps == Decimal("-66.7")  # 7, 0, 6: (0 − 2) / 3
    by_area = {row.key: row for row in results.by_area}
    assert (by_area[area_a.pk].answered, by_area[area_c.pk].answered) == (4, 1)
    assert [row.key for row in results.by_month] == [datetime.date(2026, 9, 1)]
    assert [a.text for a in results.free_texts] == ["很好"] * 5
    manager_results = survey_results(user=users[Role.SALES_MANAGER], start=datetime.date(2026, 9, 1),
                                     end=datetime.date(2026, 9, 30))  # fmt: skip
    assert {row.key for row in manager_results.by_area} == {area_a.pk}
    assert manager_results.total.answered == 4


def test_what_other_apps_pull(shop, send_now):
    first, second = shop(), shop()
    send_now(survey_invitations_create)
    by_phone = dict(zip([m.to for m in channels.outbox], link_tokens(), strict=True))
    one = survey_answer_submit(token=by_phone[first.phone], answers=answers_for(current_routine(), nps="10"))
    two = survey_answer_submit(token=by_phone[second.phone], answers=answers_for(current_routine(), nps="3"))
    rows = survey_answers_for_points()
    assert [(r.response_id, r.retailer_id, r.kind) for r in rows] == [
        (one.pk, first.pk, SurveyKind.ROUTINE), (two.pk, second.pk, SurveyKind.ROUTINE),
    ]  # fmt: skip
    assert [r.response_id for r in survey_answers_for_points(since_id=one.pk)] == [two.pk]
    satisfaction = survey_satisfaction_by_retailer(retailers=first.__class__.objects.filter(pk__in=[first.pk]))
    assert list(satisfaction) == [first.pk]
    assert satisfaction[first.pk].nps == Decimal("100.0") and satisfaction[first.pk].csat == 1
    assert satisfaction[first.pk].responses == 1


def test_a_version_without_questions_cannot_be_made_current():
    empty = Questionnaire.objects.create(kind=SurveyKind.ROUTINE, version=9, title="空")
    with pytest.raises(SurveyError):
        questionnaire_make_current(questionnaire=empty)
    assert current_routine().version == 1



def test_the_stored_result_cells_equal_a_rebuild(shop, send_now, prefecture):
    from visits.models import SurveyResultCell
    from visits.surveys import survey_results_rebuild

    shops = [shop(), shop(service_area=prefecture["areas"]["c"], tier=Tier.KEY), shop()]
    send_now(survey_invitations_create)
    by_phone = dict(zip([m.to for m in channels.outbox], link_tokens(), strict=True))
    survey_answer_submit(token=by_phone[shops[0].phone], answers=answers_for(current_routine(), rating="4", nps="2"))
    survey_answer_submit(token=by_phone[shops[1].phone], answers=answers_for(current_routine()))
    fields = ["month", "service_area_id", "tier", "invited", "answered", "ratings", "ratings_satisfied",
              "nps_answers", "promoters", "detractors"]  # fmt: skip
    live = sorted(SurveyResultCell.objects.values_list(*fields))
    assert sum(row[3] for row in live) == 3 and sum(row[4] for row in live) == 2
    survey_results_rebuild()
    assert sorted(SurveyResultCell.objects.values_list(*fields)) == live
