"""Stored messages are said in the language and time zone of whoever reads them, never crash."""

import datetime
import json
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from crm_site import stored_messages as sm
from crm_site.models import ExportJob

# "%(n)s d" is formatting's own msgid (3天 / 3 d): a template translated when said, not when stored.
DAYS = sm.register("test.days", gettext_lazy("%(n)s d"), n=sm.COUNT)
EVERY_KIND = sm.register(
    "test.every_kind",
    "%(who)s|%(status)s|%(at)s|%(rows)s|%(amount)s|%(share)s|%(took)s",
    who=sm.TEXT,
    status=sm.Choice(ExportJob.Status),
    at=sm.DATETIME,
    rows=sm.COUNT,
    amount=sm.MONEY,
    share=sm.SHARE,
    took=sm.DURATION,
)
AT = datetime.datetime(2026, 11, 24, 2, 5, tzinfo=datetime.UTC)  # 10:05 in Shanghai


def said_every_kind() -> sm.Said:
    return EVERY_KIND.say(
        who="王建国",
        status=ExportJob.Status.RUNNING,
        at=AT,
        rows=1234567,
        amount=Decimal("12345.6"),
        share=0.1234,
        took=datetime.timedelta(hours=2, minutes=15),
    )


def test_what_is_stored_is_a_code_and_plain_json_values():
    stored = said_every_kind().stored
    assert json.loads(json.dumps(stored)) == stored
    assert stored == {
        "code": "test.every_kind",
        "params": {
            "who": "王建国",
            "status": "running",
            "at": "2026-11-24T02:05:00+00:00",
            "rows": 1234567,
            "amount": "12345.6",
            "share": 0.1234,
            "took": 8100.0,
        },
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "王建国|运行中|2026-11-24 10:05|1,234,567|12,345.60|12.3%|2小时15分"),
        ("en", "王建国|Running|2026-11-24 10:05|1,234,567|12,345.60|12.3%|2 h 15 min"),
    ],
)
def test_each_kind_of_parameter_is_said_in_the_readers_language(language, expected):
    stored = said_every_kind().stored
    with translation.override(language):
        assert sm.render(stored) == expected


def test_the_sentence_is_translated_when_read_not_when_stored():
    with translation.override("en"):
        said = DAYS.say(n=3)
        assert said.fallback_text() == "3天"  # the site's language, for e-mail and old readers
    with translation.override("zh-hans"):
        assert sm.render(said.stored) == "3天"
    with translation.override("en"):
        assert sm.render(said.stored) == "3 d"


def test_a_datetime_is_shown_in_the_readers_time_zone():
    stored = said_every_kind().stored
    with timezone.override("Europe/London"):
        assert "|2026-11-24 02:05|" in sm.render(stored)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {},
        {"code": "test.gone", "params": {"n": 1}},  # a code no longer registered
        {"code": "test.days"},  # parameters lost
        {"code": "test.days", "params": {"x": 1}},
        {"code": "test.days", "params": {"n": "many"}},
        {"code": "test.every_kind", "params": {**said_every_kind().stored["params"], "at": "yesterday"}},
        "not a dict",
    ],
)
def test_what_cannot_be_said_gives_the_stored_text_never_an_error(stored):
    assert sm.render(stored, "已逾期") == "已逾期"


def test_a_choice_value_the_choices_no_longer_have_is_shown_as_stored():
    stored = said_every_kind().stored
    stored["params"]["status"] = "archived"
    assert "|archived|" in sm.render(stored)


def test_saying_a_message_with_missing_unknown_or_wrong_parameters_fails_at_once():
    with pytest.raises(ValueError, match="takes"):
        DAYS.say()
    with pytest.raises(ValueError, match="takes"):
        DAYS.say(n=1, m=2)
    with pytest.raises(ValueError, match="aware datetime"):
        EVERY_KIND.say(**{**said_every_kind().stored["params"], "at": datetime.datetime(2026, 11, 24)})
    with pytest.raises(ValueError, match="number"):
        DAYS.say(n="three")


def test_a_code_is_registered_once_for_one_sentence():
    assert sm.register("test.days", gettext_lazy("%(n)s d"), n=sm.COUNT) == DAYS  # importing twice is fine
    with pytest.raises(ValueError, match="registered twice"):
        sm.register("test.days", gettext_lazy("%(n)s h"), n=sm.COUNT)


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "3天"), ("en", "3 d")])
def test_the_say_filter_renders_a_stored_message_or_the_stored_text(language, expected):
    template = Template("{% load crm_tags %}{{ new.message|say:new.text }}/{{ old.message|say:old.text }}")
    rows = {"new": {"message": DAYS.say(n=3).stored, "text": "3天"}, "old": {"message": {}, "text": "<旧>"}}
    with translation.override(language):
        assert template.render(Context(rows)) == f"{expected}/&lt;旧&gt;"


def test_the_stored_text_is_in_the_sites_language_and_time_zone_whoever_says_it():
    with translation.override("en"), timezone.override("Europe/London"):
        fields = said_every_kind().fields()
    assert fields["message"] == said_every_kind().stored
    assert fields["text"] == "王建国|运行中|2026-11-24 10:05|1,234,567|12,345.60|12.3%|2小时15分"


def test_said_sets_the_same_two_fields_on_a_model_instance():
    from crm_site.models import Notification

    notification = Notification()
    DAYS.say(n=3).set_on(notification)
    assert (notification.message, notification.text) == (DAYS.say(n=3).stored, DAYS.say(n=3).fallback_text())


@pytest.mark.django_db
def test_a_notification_keeps_the_message_for_the_bell_and_mails_the_sites_language(
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from crm_site.models import Notification
    from crm_site.notifications import notifications_send
    from crm_site.tests.factories import UserFactory

    reader = UserFactory(username="reader", email="reader@example.com")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notifications_send(recipients=[reader], text=DAYS.say(n=3), link="/somewhere/")
    notification = Notification.objects.get(user=reader)
    assert (notification.text, notification.message) == ("3天", DAYS.say(n=3).stored)
    assert [message.body for message in mail.outbox] == ["3天"]
    template = Template("{% load crm_tags %}{{ n.message|say:n.text }}")
    with translation.override("en"):
        assert template.render(Context({"n": notification})) == "3 d"
