"""Complaint reads: the clerk's queue, a ticket's log, a shop's tickets, the report."""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.models import (
    OPEN_STATUSES,
    UNSATISFIED_AT_OR_BELOW,
    Category,
    EventKind,
    StandardAnswer,
    Status,
    Ticket,
    TicketEvent,
)
from crm_site.stored_messages import render
from retailers.models import Retailer
from retailers.selectors import retailers_visible_to, sees_every_retailer, users_who_can_see
from retailers.timeline import TimelineEvent

QUEUES = {
    "mine": _("My open tickets"),
    "unassigned": _("Unassigned"),
    "due_soon": _("Due soon"),
    "overdue": _("Overdue"),
    "open": _("All open"),
    "closed": pgettext_lazy("ticket queue", "Closed"),  # not a shop's "Closed" (out of business)
}


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """A user sees the tickets of the shops they may see (retailers_visible_to), nothing else.
    Whoever sees every shop gets no shop filter: matching each ticket to a province's shops
    cost the company dashboard's two ticket queries 220–260 ms at 300,000 shops."""
    if not user.has_perm("complaints.view_ticket"):
        return Ticket.objects.none()
    if sees_every_retailer(user):
        return Ticket.objects.all()
    return Ticket.objects.filter(retailer__in=retailers_visible_to(user).values("pk"))


def open_tickets_of(*, retailer) -> QuerySet[Ticket]:
    """Open tickets of a shop (or of OuterRef("pk"), for the retailer list's filter)."""
    return Ticket.objects.filter(retailer=retailer, status__in=OPEN_STATUSES)


def queue_conditions(user, now: datetime.datetime) -> dict[str, Q]:
    is_open = Q(status__in=OPEN_STATUSES)
    return {
        "mine": is_open & Q(owner=user),
        "unassigned": is_open & Q(owner__isnull=True),
        "due_soon": is_open & Q(step_warn_at__lte=now, step_due_at__gt=now),
        "overdue": is_open & Q(step_due_at__lte=now),
        "open": is_open,
        "closed": Q(status__in=[Status.CLOSED, Status.REJECTED]),
    }


def queue_counts(*, tickets: QuerySet[Ticket], user, now: datetime.datetime) -> dict[str, int]:
    """All tab counts in one query."""
    conditions = queue_conditions(user, now)
    return tickets.aggregate(**{key: Count("pk", filter=condition) for key, condition in conditions.items()})


def ticket_owner_choices(*, ticket: Ticket) -> QuerySet:
    """Who may own a ticket: active users who work tickets and may see its shop."""
    return (
        users_who_can_see(retailer=ticket.retailer)
        .filter(Q(is_superuser=True) | Q(groups__permissions__codename="work_ticket"))
        .distinct()
        .order_by("username")
    )


def ticket_events(*, ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.select_related("actor"))


def standard_answers_for(*, ticket: Ticket) -> list[StandardAnswer]:
    return list(StandardAnswer.objects.filter(category=ticket.category, is_active=True))


def retailer_tickets(*, retailer: Retailer, limit: int = 50) -> list[Ticket]:
    return list(retailer.tickets.select_related("owner").order_by("-created_at")[:limit])


def complaint_timeline_events(retailer: Retailer, limit: int) -> list[TimelineEvent]:
    events = (
        TicketEvent.objects.filter(ticket__retailer=retailer)
        .select_related("ticket", "actor")
        .order_by("-at", "-id")[:limit]
    )
    return [
        TimelineEvent(
            at=event.at,
            kind="complaints",
            title=f"{event.ticket.number} · {event.get_kind_display()}"
            + (f" → {event.get_to_status_display()}" if event.to_status else ""),
            detail=render(event.message, event.text)[:120],
            icon="bi-chat-left-text",
            actor=str(event.actor or ""),
        )
        for event in events
    ]


def complaints_report(*, tickets: QuerySet[Ticket], months: int = 12) -> dict:
    """Tickets by category and month over the last `months` calendar months, this one included
    (every month listed, quiet ones as zeros), share of each step done in time, mean time to
    close, and satisfaction at follow-up. Four aggregate queries."""
    first_month = timezone.localdate().replace(day=1) - relativedelta(months=months - 1)
    month_starts = [first_month + relativedelta(months=offset) for offset in range(months)]
    recent = tickets.filter(created_at__date__gte=first_month)
    by_month = (
        recent.annotate(month=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "category")
        .annotate(n=Count("pk"))
    )
    table = {category: {"label": label, "counts": [0] * months, "total": 0} for category, label in Category.choices}
    for row in by_month:
        entry = table[row["category"]]
        entry["counts"][month_starts.index(row["month"].date())] = row["n"]
        entry["total"] += row["n"]
    steps = (
        TicketEvent.objects.filter(ticket__in=recent.values("pk"), on_time__isnull=False)
        .values("from_status")
        .annotate(total=Count("pk"), in_time=Count("pk", filter=Q(on_time=True)))
    )
    statuses = dict(Status.choices)
    in_time = [
        {
            "step": statuses[row["from_status"]],
            "total": row["total"],
            "in_time": row["in_time"],
            "share": row["in_time"] / row["total"],
        }
        for row in sorted(steps, key=lambda row: list(statuses).index(row["from_status"]))
    ]
    closed = recent.filter(status=Status.CLOSED, closed_at__isnull=False)
    mean_close = closed.aggregate(mean=Avg(F("closed_at") - F("created_at")))["mean"]
    satisfaction = follow_up_satisfaction(tickets=recent)
    return {
        "months": month_starts,
        "by_category": [entry for entry in table.values() if entry["total"]],
        "in_time": in_time,
        "mean_time_to_close": mean_close,
        "satisfaction": satisfaction,
    }


def follow_up_satisfaction(*, tickets: QuerySet[Ticket]) -> dict:
    """Every follow-up rating of these tickets: a ticket rated twice counts twice, and a rating
    stands though the ticket was reopened afterwards. The mean, the number of ratings, and how
    many (and what share) were unsatisfied (the ones that sent the ticket back). One query."""
    ratings = TicketEvent.objects.filter(
        ticket__in=tickets.values("pk"), kind=EventKind.MOVED, satisfaction__isnull=False
    ).aggregate(
        mean=Avg("satisfaction"),
        n=Count("pk"),
        unsatisfied=Count("pk", filter=Q(satisfaction__lte=UNSATISFIED_AT_OR_BELOW)),
    )
    ratings["unsatisfied_share"] = ratings["unsatisfied"] / ratings["n"] if ratings["n"] else None
    return ratings


def ticket_service_summary(*, tickets: QuerySet[Ticket], start: datetime.date, end: datetime.date) -> dict:
    """For a dashboard tile: the tickets open now, and of the steps finished in [start, end) how
    many were finished within their deadline (share None when none finished). Two queries."""
    steps = TicketEvent.objects.filter(
        ticket__in=tickets.values("pk"),
        on_time__isnull=False,
        at__date__gte=start,
        at__date__lt=end,
    ).aggregate(total=Count("pk"), in_time=Count("pk", filter=Q(on_time=True)))
    return {
        "open": tickets.filter(status__in=OPEN_STATUSES).count(),
        "steps": steps["total"],
        "in_time": steps["in_time"],
        "share": steps["in_time"] / steps["total"] if steps["total"] else None,
    }
