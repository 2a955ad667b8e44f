"""Complaint writes. The workflow lives in MOVES: which step each move leaves and enters, who may
make it, and what it requires. Every change writes an event; nothing is half-applied."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints import messages
from complaints.attachments import CONTENT_CHECKS
from complaints.business_hours import add_time
from complaints.models import (
    ATTACHMENT_MAX_BYTES,
    OPEN_STATUSES,
    UNSATISFIED_AT_OR_BELOW,
    EventKind,
    SlaPolicy,
    Status,
    Ticket,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
)
from crm_site.notifications import notifications_send
from crm_site.stored_messages import Message
from grading.selectors import service_policy_for
from retailers.models import Retailer
from retailers.selectors import retailers_visible_to


class TicketMoveRefused(Exception):
    """The move is not allowed from the ticket's step, or its requirements are missing."""


@dataclass(frozen=True)
class Move:
    label: str | Promise
    sources: tuple[Status, ...]
    target: Status
    requires: tuple[str, ...] = ()
    permission: str = "complaints.work_ticket"


MOVES: dict[str, Move] = {
    "acknowledge": Move(gettext_lazy("Acknowledge"), (Status.RECEIVED,), Status.INVESTIGATING),
    "verify": Move(gettext_lazy("Findings verified"), (Status.INVESTIGATING,), Status.RESOLVING, ("findings",)),
    "resolve": Move(gettext_lazy("Resolved"), (Status.RESOLVING,), Status.REPLYING, ("resolution",)),
    "reply": Move(gettext_lazy("Reply given to the shop"), (Status.REPLYING,), Status.FOLLOWING_UP, ("reply",)),
    "follow_up": Move(
        gettext_lazy("Follow-up done"), (Status.FOLLOWING_UP,), Status.CLOSED, ("satisfaction", "satisfaction_comment")
    ),
    "reject": Move(
        gettext_lazy("Reject (not a valid complaint)"),
        (Status.RECEIVED, Status.INVESTIGATING),
        Status.REJECTED,
        ("reason",),
    ),
    "reopen": Move(
        gettext_lazy("Reopen"),
        (Status.CLOSED, Status.REJECTED),
        Status.INVESTIGATING,
        ("reason",),
        "complaints.reopen_ticket",
    ),
}


def moves_for(*, ticket: Ticket, user) -> dict[str, Move]:
    """The moves this user may make on this ticket now (what the ticket page offers)."""
    return {
        name: move for name, move in MOVES.items() if ticket.status in move.sources and user.has_perm(move.permission)
    }


def step_deadline(
    *, ticket: Ticket, status: Status, start: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime] | None:
    """(warn at, due at) of a step started at `start`; None for the closed steps.

    Acknowledgement and resolution take the stricter of the category's SLA and the tier's
    service policy, so key accounts are answered first.
    """
    sla = SlaPolicy.objects.filter(category=ticket.category).first() or SlaPolicy(category=ticket.category)
    tier_policy = service_policy_for(ticket.retailer.tier)
    minutes = {
        Status.RECEIVED: min(sla.acknowledge_minutes, tier_policy.complaint_response_minutes),
        Status.INVESTIGATING: sla.verify_hours * 60,
        Status.RESOLVING: min(sla.resolve_hours, tier_policy.complaint_resolution_hours) * 60,
        Status.REPLYING: sla.reply_hours * 60,
        Status.FOLLOWING_UP: sla.follow_up_hours * 60,
    }.get(status)
    if minutes is None:
        return None
    duration = datetime.timedelta(minutes=minutes)
    # The follow-up call is promised within N hours of the reply: always calendar hours.
    working_hours = sla.working_hours and status != Status.FOLLOWING_UP
    return (
        add_time(start, duration * sla.due_soon_percent / 100, working_hours=working_hours),
        add_time(start, duration, working_hours=working_hours),
    )


def _start_step(ticket: Ticket, status: Status, now: datetime.datetime) -> None:
    ticket.status = status
    ticket.step_started_at = now
    deadline = step_deadline(ticket=ticket, status=status, start=now)
    ticket.step_warn_at, ticket.step_due_at = deadline or (None, None)
    ticket.due_soon_notified = ticket.overdue_escalated = False


def _next_number(year: int) -> str:
    TicketCounter.objects.get_or_create(year=year)
    counter = TicketCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"TS-{year}-{counter.last:06d}"


@transaction.atomic
def ticket_create(*, retailer: Retailer, data: dict, created_by) -> Ticket:
    """Log a complaint. A clerk who logs it owns the first step; others leave it unassigned."""
    if not created_by.has_perm("complaints.add_ticket"):
        raise PermissionDenied
    if not retailers_visible_to(created_by).filter(pk=retailer.pk).exists():
        raise PermissionDenied
    now = timezone.now()
    ticket = Ticket(retailer=retailer, created_by=created_by, step_started_at=now, **data)
    ticket.owner = created_by if created_by.has_perm("complaints.work_ticket") else None
    ticket.number = "pending"
    ticket.full_clean(exclude=["number"])
    ticket.number = _next_number(timezone.localdate(now).year)
    _start_step(ticket, Status.RECEIVED, now)
    ticket.save()
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.CREATED, to_status=Status.RECEIVED, text=ticket.description, actor=created_by
    )
    return ticket


@transaction.atomic
def ticket_move(*, ticket: Ticket, move: str, user, data: dict | None = None) -> Ticket:
    """Make one workflow move. Refused moves raise and write nothing."""
    data = data or {}
    spec = MOVES.get(move)
    if spec is None:
        raise TicketMoveRefused(_("Unknown move."))
    if not user.has_perm(spec.permission):
        raise PermissionDenied
    locked = Ticket.objects.select_for_update().select_related("retailer").get(pk=ticket.pk)
    if locked.status not in spec.sources:
        raise TicketMoveRefused(
            _("“%(move)s” is not possible while the ticket is at “%(step)s”.")
            % {"move": spec.label, "step": locked.get_status_display()}
        )
    missing = [field for field in spec.requires if data.get(field) in (None, "")]
    if missing:
        labels = "、".join(str(_field_label(field)) for field in missing)
        raise ValidationError(_("Needed for this step: %(fields)s") % {"fields": labels})

    now = timezone.now()
    previous, due = locked.status, locked.step_due_at
    for field in ("findings", "resolution", "reply", "satisfaction", "satisfaction_comment"):
        if field in spec.requires:
            setattr(locked, field, data[field])
    target = spec.target
    if move == "follow_up" and int(data["satisfaction"]) <= UNSATISFIED_AT_OR_BELOW:
        target = Status.RESOLVING  # an unsatisfied shop reopens the ticket
    if move == "acknowledge" and locked.owner_id is None:
        locked.owner = user
    locked.full_clean()
    _start_step(locked, target, now)
    locked.closed_at = now if target in (Status.CLOSED, Status.REJECTED) else None
    locked.save()
    TicketEvent.objects.create(
        ticket=locked, kind=EventKind.MOVED, from_status=previous, to_status=target, actor=user,
        **_event_text(move, data), step_due_at=due, on_time=None if due is None else now <= due,
        satisfaction=locked.satisfaction if move == "follow_up" else None,
    )  # fmt: skip
    return locked


def _field_label(field: str):
    if field == "reason":
        return _("reason")
    return Ticket._meta.get_field(field).verbose_name


def _event_text(move: str, data: dict) -> dict:
    """The event's text and message: the rating is a sentence of ours, said in the reader's
    language; findings, a reply or a reason are kept as typed."""
    if move == "follow_up":
        comment = str(data["satisfaction_comment"]).strip()
        return messages.RATED.say(score=int(data["satisfaction"]), comment=comment).fields()
    field = next((name for name in MOVES[move].requires), None)
    return {"text": str(data.get(field, "")) if field else ""}


@transaction.atomic
def ticket_assign(*, ticket: Ticket, owner, assigned_by) -> Ticket:
    if not assigned_by.has_perm("complaints.work_ticket") or not owner.has_perm("complaints.work_ticket"):
        raise PermissionDenied
    if not retailers_visible_to(owner).filter(pk=ticket.retailer_id).exists():
        raise ValidationError(_("%(user)s cannot see this shop, so cannot own its ticket.") % {"user": owner})
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not locked.is_open:
        raise TicketMoveRefused(_("A closed ticket is read-only; reopen it first."))
    locked.owner = owner
    locked.save(update_fields=["owner"])
    TicketEvent.objects.create(
        ticket=locked, kind=EventKind.ASSIGNED, actor=assigned_by, **messages.ASSIGNED.say(owner=owner).fields()
    )
    return locked


def ticket_add_note(*, ticket: Ticket, text: str, user) -> TicketEvent:
    if not text.strip():
        raise ValidationError(_("The note is empty."))
    if not retailers_visible_to(user).filter(pk=ticket.retailer_id).exists():
        raise PermissionDenied
    if not ticket.is_open:
        raise TicketMoveRefused(_("A closed ticket is read-only; reopen it first."))
    return TicketEvent.objects.create(ticket=ticket, kind=EventKind.NOTE, text=text.strip(), actor=user)


@transaction.atomic
def ticket_attach(*, ticket: Ticket, upload, user) -> TicketAttachment:
    if (
        not user.has_perm("complaints.work_ticket")
        and not retailers_visible_to(user).filter(pk=ticket.retailer_id).exists()
    ):
        raise PermissionDenied
    if not ticket.is_open:
        raise TicketMoveRefused(_("A closed ticket is read-only; reopen it first."))
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(_("A file may be at most 5 MB."))
    attachment = TicketAttachment(ticket=ticket, file=upload, size=upload.size, uploaded_by=user)
    attachment.full_clean()  # the extension is one of ATTACHMENT_EXTENSIONS
    _check_content(upload)
    attachment.save()
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.ATTACHMENT, text=attachment.filename, actor=user)
    return attachment


def _check_content(upload) -> None:
    """The file must be what its extension says: a .png that is really text is refused."""
    kind, looks_right = CONTENT_CHECKS[upload.name.rsplit(".", 1)[-1].lower()]
    upload.seek(0)
    content = b"".join(upload.chunks())  # at most ATTACHMENT_MAX_BYTES, checked above
    upload.seek(0)
    if not looks_right(content):
        raise ValidationError(
            _(
                "Attachment “%(name)s”: the content is not a %(kind)s file, whatever its name says. "
                "Nothing was uploaded."
            )
            % {"name": upload.name, "kind": kind},
            code="content_mismatch",
        )


def tickets_check_deadlines(*, now: datetime.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Warn owners of steps due soon and escalate overdue ones to the region's supervisors,
    once per step (the flags are reset when a step starts). Safe to run as often as wanted."""
    now = now or timezone.now()
    open_steps = Ticket.objects.filter(status__in=OPEN_STATUSES).select_related(
        "owner", "retailer__service_area__region"
    )
    return {
        "due_soon": _flag_once(
            open_steps.filter(step_warn_at__lte=now, step_due_at__gt=now),
            flag="due_soon_notified",
            kind=EventKind.DUE_SOON,
            message=messages.DUE_SOON,
            recipients=lambda ticket: _owner_or_clerks(ticket),
            batch=batch,
        ),
        "escalated": _flag_once(
            open_steps.filter(step_due_at__lte=now),
            flag="overdue_escalated",
            kind=EventKind.ESCALATED,
            message=messages.ESCALATED,
            recipients=lambda ticket: [
                *_owner_or_clerks(ticket),
                *ticket.retailer.service_area.region.supervisors.all(),
            ],
            batch=batch,
        ),
    }


def _owner_or_clerks(ticket: Ticket) -> list:
    """The step's owner; for an unassigned ticket, everyone who could take it."""
    if ticket.owner is not None:
        return [ticket.owner]
    from complaints.selectors import ticket_owner_choices

    return list(ticket_owner_choices(ticket=ticket))


def _flag_once(tickets, *, flag: str, kind: EventKind, message: Message, recipients, batch: int) -> int:
    """For each ticket whose `flag` is still off: set it, log the event and notify. The guarded
    update is the lock: it only succeeds while the ticket is still in the step that was read, so
    two workers never both send, and a step that started meanwhile keeps its own flags."""
    flagged = 0
    for ticket in tickets.filter(**{flag: False})[:batch]:
        with transaction.atomic():
            still_due = Ticket.objects.filter(
                pk=ticket.pk, status=ticket.status, step_started_at=ticket.step_started_at, **{flag: False}
            )
            if not still_due.update(**{flag: True}):
                continue
            said = message.say(number=ticket.number, step=ticket.status, due=ticket.step_due_at)
            event = TicketEvent.objects.create(ticket=ticket, kind=kind, **said.fields())
            notifications_send(
                recipients=recipients(ticket),
                text=said,
                link=reverse("complaints:ticket-detail", args=[ticket.pk]),
                mail_subject=f"[{ticket.number}] {event.text}",
            )
            flagged += 1
    return flagged
