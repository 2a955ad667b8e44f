"""Notifications for every area (ticket deadlines today; visit reminders, survey follow-ups and
expiring points next): a row per recipient for the navbar bell, and an e-mail to those who have
an address. Apps call these functions; crm_site knows nothing of what the link points to."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from crm_site.models import Notification, User
from crm_site.stored_messages import Said


def notifications_send(
    *, recipients: Iterable[User | None], text: str | Said, link: str, mail_subject: str = ""
) -> int:
    """Notify each distinct recipient (None is skipped) of `text`, linking to the site path `link`;
    e-mail those with an address once the transaction commits (no mail for a change that rolled
    back, no lock held while sending). Returns how many were notified.

    `text` is best a stored message (crm_site.stored_messages): the bell then says it in each
    reader's language. E-mails are in the site's language (users have no language of their own)."""
    fields = text.fields() if isinstance(text, Said) else {"text": text}
    users = list({user.pk: user for user in recipients if user is not None}.values())
    notifications = [Notification(user=user, link=link, **fields) for user in users]
    for notification in notifications:
        notification.full_clean(exclude=["user"])
    Notification.objects.bulk_create(notifications)
    emails = sorted({user.email for user in users if user.email})
    if emails:
        body = fields["text"]
        subject = mail_subject or body
        transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True))
    return len(users)


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications read: all of them, or only `ids` (others' ids are
    ignored). Returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def notifications_for(*, user: User, limit: int = 100) -> list[Notification]:
    """The user's latest notifications, newest first (one query)."""
    return list(Notification.objects.filter(user=user)[:limit])


def notifications_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
