"""How a survey invitation reaches a shop: a text message through the SMS backend chosen in
settings (SMS_BACKEND), or an e-mail through Django's mail (SURVEY_CHANNEL = "email").

SMS backends follow Django's e-mail backends: `send_messages(messages) -> int` sends a list and
says how many went; a failure raises (ChannelError or any exception), and the caller records it.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string


class ChannelError(Exception):
    """A message could not be handed over (the gateway refused it, the address is wrong …)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class BaseSmsBackend:
    def send_messages(self, messages: list[SmsMessage]) -> int:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints each message on standard output (the default of `make run`: the link is in the log)."""

    _lock = threading.Lock()

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout

    def send_messages(self, messages: list[SmsMessage]) -> int:
        with self._lock:
            for message in messages:
                self.stream.write(f"SMS to {message.to}\n{message.body}\n{'-' * 40}\n")
            self.stream.flush()
        return len(messages)


class FileSmsBackend(BaseSmsBackend):
    """Appends each message to a file of the day under SMS_FILE_PATH (sms-YYYYMMDD.log)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send_messages(self, messages: list[SmsMessage]) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        now = timezone.localtime()
        with (self.path / f"sms-{now:%Y%m%d}.log").open("a", encoding="utf-8") as log:
            for message in messages:
                log.write(f"{now.isoformat()} SMS to {message.to}\n{message.body}\n{'-' * 40}\n")
        return len(messages)


outbox: list[SmsMessage] = []  # LocmemSmsBackend's messages (tests empty it)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps the messages in `visits.channels.outbox`, as Django's locmem e-mail backend does."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def channel_send(*, channel: str, phone: str, subject: str, body: str) -> None:
    """Send one message on `channel` ("sms" or "email"); raises when it could not be handed over."""
    if channel == "email":
        recipient = settings.SURVEY_EMAIL_RECIPIENT.format(phone=phone)
        if send_mail(subject, body, None, [recipient]) != 1:
            raise ChannelError("the mail backend sent nothing")
        return
    if not phone:
        raise ChannelError("the shop has no phone number")
    if sms_backend().send_messages([SmsMessage(to=phone, body=body)]) != 1:
        raise ChannelError("the SMS backend sent nothing")
