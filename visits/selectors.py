"""Visit reads that views and other apps need, scoped to what a user may see."""

from __future__ import annotations

import datetime
import operator
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from retailers.selectors import retailers_visible_to
from visits.models import MissReason, Visit, VisitStatus


def visits_visible_to(user) -> QuerySet[Visit]:
    """The visits of the shops a user may see (a manager: their areas' shops; a supervisor: their
    region's; admins: all)."""
    return Visit.objects.filter(retailer__in=retailers_visible_to(user).values("pk"))


# ---------------------------------------------------------------------------------------------
# The visit log, the dossier's visits tab and timeline, and the visit KPIs.
# ---------------------------------------------------------------------------------------------

STRIKE_WINDOW_DAYS = 7  # an order of the shop on the visit's day or within the 7 days after it
DOSSIER_LIMIT = 20  # rows per section of the dossier tab


def visit_for_page(*, user, pk: int) -> Visit:
    """One visit of the user's scope with what its page shows (404 outside the scope)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        visits_visible_to(user).select_related("retailer__service_area", "manager", "ticket", "previous"),
        pk=pk,
    )


def visit_stock_checks(*, visit: Visit) -> list:
    from visits.models import VisitStockCheck

    return list(VisitStockCheck.objects.filter(visit=visit).select_related("product").order_by("id"))


def visit_followers(*, visit: Visit) -> list[Visit]:
    """The visits that follow this one (its follow-up, the plan that replaced it when missed)."""
    return list(Visit.objects.filter(previous=visit).exclude(status=VisitStatus.CANCELLED).order_by("planned_on", "id"))


def visit_next_routine(*, retailer) -> Visit | None:
    return Visit.objects.filter(retailer=retailer, kind="routine", status=VisitStatus.PLANNED).first()


def retailer_visits_tab(*, retailer) -> dict:
    """The dossier's visits tab: open plans, done visits (newest first), missed ones with their
    reasons, and the shop's care reminders still to come. Four queries whatever the history."""
    from visits.models import CareReminder, CareReminderStatus

    visits = Visit.objects.filter(retailer=retailer).select_related("manager")
    today = timezone.localdate()
    return {
        "planned": list(visits.filter(status=VisitStatus.PLANNED).order_by("planned_on", "id")[:DOSSIER_LIMIT]),
        "done": list(visits.filter(status=VisitStatus.DONE).order_by("-visited_on", "-id")[:DOSSIER_LIMIT]),
        "missed": list(visits.filter(status=VisitStatus.MISSED).order_by("-planned_on", "-id")[:DOSSIER_LIMIT]),
        "reminders": list(
            CareReminder.objects.filter(retailer=retailer, occurs_on__gte=today)
            .exclude(status=CareReminderStatus.DISMISSED)
            .select_related("visit")
            .order_by("occurs_on", "id")[:DOSSIER_LIMIT]
        ),
    }


def visit_timeline_events(retailer, limit: int) -> list:
    """The dossier timeline's visits: logged (with channel and satisfaction), missed (with the
    reason), and tickets opened from a visit. One query."""
    from retailers.timeline import TimelineEvent

    rows = (
        Visit.objects.filter(retailer=retailer, status__in=[VisitStatus.DONE, VisitStatus.MISSED])
        .select_related("manager", "ticket")
        .order_by("-planned_on", "-id")[:limit]
    )
    events = []
    for visit in rows:
        actor = str(visit.manager)
        if visit.status == VisitStatus.MISSED:
            events.append(
                TimelineEvent(
                    at=visit.planned_on,
                    kind="visits",
                    title=str(_("Visit missed: %(kind)s") % {"kind": visit.get_kind_display()}),
                    detail=" · ".join(filter(None, [str(visit.get_miss_reason_display()), visit.miss_note]))[:120],
                    icon="bi-calendar-x",
                    actor=actor,
                )
            )
            continue
        detail = [str(visit.get_channel_display())]
        if visit.satisfaction:
            detail.append(str(_("satisfaction %(score)s/5") % {"score": visit.satisfaction}))
        if visit.purpose:
            detail.append(visit.purpose)
        events.append(
            TimelineEvent(
                at=visit.checked_out_at or visit.visited_on,
                kind="visits",
                title=str(_("Visit done: %(kind)s") % {"kind": visit.get_kind_display()}),
                detail=" · ".join(detail)[:120],
                icon="bi-person-check",
                actor=actor,
            )
        )
        if visit.ticket_id:
            events.append(
                TimelineEvent(
                    at=visit.ticket.created_at,
                    kind="visits",
                    title=str(_("Complaint opened from a visit: %(number)s") % {"number": visit.ticket.number}),
                    detail=visit.ticket.description[:120],
                    icon="bi-chat-left-text",
                    actor=actor,
                )
            )
    return events


def visits_in_kpi_scope(user) -> QuerySet[Visit]:
    """The visits whose KPIs a user reads: a sales manager their own, a supervisor their region's,
    an admin every visit (no subquery over every shop)."""
    from crm_site.roles import Role, user_roles

    roles = user_roles(user)
    if Role.ADMIN in roles and user.has_perm("retailers.view_all_retailers"):
        return Visit.objects.all()
    visits = visits_visible_to(user)
    if Role.ADMIN in roles or Role.SUPERVISOR in roles:
        return visits
    return visits.filter(manager=user)


def _kpi_planned_figures(*, today) -> dict:
    """Over the visits planned in the period (unplanned and cancelled ones already left out)."""
    done = Q(status=VisitStatus.DONE)
    figures = {
        "planned": Count("pk"),
        "done": Count("pk", filter=done),
        "on_time": Count("pk", filter=done & Q(visited_on__lte=F("planned_on"))),
        "overdue": Count("pk", filter=Q(status=VisitStatus.PLANNED, planned_on__lt=today)),
        "missed": Count("pk", filter=Q(status=VisitStatus.MISSED)),
    }
    for reason in MissReason.values:
        figures[f"miss_{reason}"] = Count("pk", filter=Q(status=VisitStatus.MISSED, miss_reason=reason))
    return figures


def _kpi_logged_figures(*, followed: Exists) -> dict:
    """Over the visits logged (done) in the period, planned or not."""
    return {
        "logged": Count("pk"),
        # Not called "unplanned": an annotation named like a field would shadow it.
        "logged_unplanned": Count("pk", filter=Q(unplanned=True)),
        "struck": Count("pk", filter=Q(followed)),
        "rated": Count("satisfaction"),
        "satisfaction_sum": Sum("satisfaction"),
    }


CENT = Decimal("0.01")


def _ratio(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / whole if whole else None


def _kpi_rates(row: dict) -> dict:
    row["completion"] = _ratio(row["done"], row["planned"])
    row["strike_rate"] = _ratio(row["struck"], row["logged"])
    row["unplanned"] = row["logged_unplanned"]
    rated = row["rated"]
    row["satisfaction"] = (Decimal(row["satisfaction_sum"]) / rated).quantize(CENT) if rated else None
    return row


def visit_kpis(
    *, visits: QuerySet[Visit], start: datetime.date, end: datetime.date, today: datetime.date | None = None
) -> dict:
    """Visit KPIs over [start, end], per manager, per service area and in total (two aggregate
    queries, whatever the number of visits):

    - planned: visits planned in the period (by their planned date), unplanned and cancelled ones out;
    - done / on time / overdue / missed: of those, the ones logged, logged on or before their day,
      still open with their day passed, missed (and by reason);
    - completion = done ÷ planned;
    - logged: every visit logged in the period (planned or not); strike rate = logged visits
      followed by an order of the shop on the visit's day or within the 7 days after it ÷ logged;
      average satisfaction of the logged visits that were rated."""
    from retailers.models import Order

    today = today or timezone.localdate()
    followed = Exists(
        Order.objects.filter(
            retailer=OuterRef("retailer_id"),
            ordered_on__gte=OuterRef("visited_on"),
            ordered_on__lte=ExpressionWrapper(
                OuterRef("visited_on") + datetime.timedelta(days=STRIKE_WINDOW_DAYS), output_field=DateField()
            ),
        )
    )
    keys = (
        "manager",
        "manager__display_name",
        "manager__first_name",
        "manager__last_name",
        "manager__username",
        "retailer__service_area",
        "retailer__service_area__name",
    )
    # Two aggregate queries grouped by (manager, service area), each read through its own date
    # index: the visits planned in the period, and the visits logged in it. The per-manager lines,
    # the per-area lines and the total are sums of those groups (a few hundred rows, never visits).
    planned = (
        visits.filter(unplanned=False, planned_on__gte=start, planned_on__lte=end)
        .exclude(status=VisitStatus.CANCELLED)
        .values(*keys)
        .annotate(**_kpi_planned_figures(today=today))
        .order_by()
    )
    logged = (
        visits.filter(status=VisitStatus.DONE, visited_on__gte=start, visited_on__lte=end)
        .values(*keys)
        .annotate(**_kpi_logged_figures(followed=followed))
        .order_by()
    )
    groups = (
        (*(group[key] for key in keys), *(group.get(count) for count in KPI_COUNTS)) for group in [*planned, *logged]
    )
    return _kpi_combine(groups, start=start, end=end)


MISS_KEYS = [f"miss_{code}" for code in MissReason.values]  # a line's count of each miss reason, in order
# The counters of a KPI line, in the order of a group's tuple (see _kpi_combine).
KPI_COUNTS = (
    "planned", "done", "on_time", "overdue", "missed", "logged", "logged_unplanned", "struck", "rated",
    "satisfaction_sum", *MISS_KEYS,
)  # fmt: skip


def _kpi_combine(groups: Iterable[tuple], *, start: datetime.date, end: datetime.date) -> dict:
    """The manager, area and total lines: sums of the (manager, area) groups, each a tuple
    (manager id, display name, first name, last name, username, area id, area name, *KPI_COUNTS),
    a count None where the group has none (a province's few thousand groups: summed as lists)."""
    managers: dict[int, tuple[str, list[int]]] = {}
    areas: dict[int, tuple[str, list[int]]] = {}
    total = [0] * len(KPI_COUNTS)
    for manager, display_name, first_name, last_name, username, area, area_name, *counts in groups:
        counts = [count or 0 for count in counts]
        if manager not in managers:
            managers[manager] = (display_name or f"{last_name}{first_name}".strip() or username, [0] * len(counts))
        if area not in areas:
            areas[area] = (area_name, [0] * len(counts))
        for sums in (managers[manager][1], areas[area][1], total):
            sums[:] = map(operator.add, sums, counts)

    def lines(by: dict, key: str) -> list[dict]:
        rows = sorted(((str(label), pk, label, sums) for pk, (label, sums) in by.items()), key=lambda row: row[:2])
        return [_kpi_line(label, sums, **{key: pk}) for _text, pk, label, sums in rows]

    return {
        "start": start,
        "end": end,
        "by_manager": lines(managers, "manager"),
        "by_area": lines(areas, "area"),
        "total": _kpi_line(None, total),
    }


def _kpi_line(label, sums: list[int], **keys) -> dict:
    return _kpi_rates({"label": label, **keys, **dict(zip(KPI_COUNTS, sums, strict=True))})


def visit_kpi_scope(user) -> Q:
    """The KPI roll-up rows a user reads, as a condition on either level (VisitKpiDay,
    VisitKpiMonth): the same scope as `visits_in_kpi_scope` (a manager their own visits, a
    supervisor their region's areas, an admin everything)."""
    from crm_site.roles import Role, user_roles
    from retailers.selectors import service_areas_visible_to

    roles = user_roles(user)
    if Role.ADMIN in roles and user.has_perm("retailers.view_all_retailers"):
        return Q()
    scope = Q(service_area__in=service_areas_visible_to(user).values("pk"))
    if Role.ADMIN in roles or Role.SUPERVISOR in roles:
        return scope
    return scope & Q(manager=user)


def _kpi_rollup_spans(
    *, start: datetime.date, end: datetime.date, today: datetime.date
) -> tuple[list[datetime.date], list[tuple[datetime.date, datetime.date]], list[tuple[datetime.date, datetime.date]]]:
    """How [start, end] is read from the roll-up: the first days of the calendar months read
    from the monthly level, the day ranges added from the daily level and the day ranges taken
    away from it. A month is read whole when it lies wholly before today or wholly from today
    on (its overdue count is all or none of its still-open visits); such a month that the period
    covers only in part is read whole, less the days outside the period, when that reads fewer
    rows than its days inside (the 30 days to yesterday: one month less a few days, not 27 days).
    The month holding today is read by the day. Added ranges that meet form one."""
    months, days, minus = [], [], []

    def add(first: datetime.date, last: datetime.date) -> None:
        if days and days[-1][1] == first - datetime.timedelta(days=1):
            days[-1] = (days[-1][0], last)  # one range across the month edge
        else:
            days.append((first, last))

    month = start.replace(day=1)
    while month <= end:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        last = following - datetime.timedelta(days=1)
        first_in, last_in = max(month, start), min(last, end)
        whole_month_readable = last < today or month >= today
        days_outside = (last - month).days + 1 - ((last_in - first_in).days + 1)
        if whole_month_readable and days_outside == 0:
            months.append(month)
        elif whole_month_readable and 1 + days_outside < (last_in - first_in).days + 1:
            months.append(month)
            if first_in > month:
                minus.append((month, first_in - datetime.timedelta(days=1)))
            if last_in < last:
                minus.append((last_in + datetime.timedelta(days=1), last))
        else:
            add(first_in, last_in)
        month = following
    return months, days, minus


def visit_kpis_from_rollup(
    *, scope: Q, start: datetime.date, end: datetime.date, today: datetime.date | None = None
) -> dict:
    """The figures of `visit_kpis` for the roll-up rows of `scope`, in one query whatever the
    visits: the months of the period from the monthly level (~1,200 rows a month for a
    province), the rest added or taken away at the daily level (`_kpi_rollup_spans`), summed by (manager, area) in
    the database and labelled after that (names joined to the sums, not grouped with them)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from retailers.models import ServiceArea
    from visits.models import VisitKpiDay, VisitKpiMonth

    today = today or timezone.localdate()
    months, days, minus = _kpi_rollup_spans(start=start, end=end, today=today)
    counters = [count for count in KPI_COUNTS if count != "overdue"]

    def rows(model, date_field: str, condition: Q, sign: int) -> QuerySet:
        overdue = Case(When(**{f"{date_field}__lt": today}, then=F("still_open")), default=Value(0))
        return (
            model.objects.filter(scope, condition)
            .annotate(overdue=overdue, sign=Value(sign))
            .values("manager_id", "service_area_id", *counters, "overdue", "sign")
            .order_by()
        )

    def in_ranges(ranges: list[tuple[datetime.date, datetime.date]]) -> Q:
        condition = Q()
        for first, last in ranges:
            condition |= Q(day__gte=first, day__lte=last)
        return condition

    parts = []
    if months:
        parts.append(rows(VisitKpiMonth, "month", Q(month__in=months), 1))
    if days:
        parts.append(rows(VisitKpiDay, "day", in_ranges(days), 1))
    if minus:
        parts.append(rows(VisitKpiDay, "day", in_ranges(minus), -1))
    union_sql, params = parts[0].union(*parts[1:], all=True).query.sql_with_params()
    quote = connection.ops.quote_name
    user, area = quote(get_user_model()._meta.db_table), quote(ServiceArea._meta.db_table)
    sums = ", ".join(f"SUM(u.sign * u.{quote(count)}) AS {quote(count)}" for count in KPI_COUNTS)
    sql = f"""
        SELECT g.manager_id, m.display_name, m.first_name, m.last_name, m.username, g.service_area_id, a.name,
               {", ".join(f"g.{quote(count)}" for count in KPI_COUNTS)}
        FROM (SELECT u.manager_id, u.service_area_id, {sums} FROM ({union_sql}) u
              GROUP BY u.manager_id, u.service_area_id) g
        JOIN {user} m ON m.id = g.manager_id
        JOIN {area} a ON a.id = g.service_area_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _kpi_combine(cursor.fetchall(), start=start, end=end)


def visit_satisfaction_by_retailer(*, since: datetime.date | None = None) -> QuerySet:
    """Each shop's mean satisfaction (1–5) rated on its done visits (visited on or after `since`),
    as rows (retailer_id, rating, ratings), for analytics to join in SQL."""
    visits = Visit.objects.filter(status=VisitStatus.DONE, satisfaction__isnull=False)
    if since is not None:
        visits = visits.filter(visited_on__gte=since)
    return visits.values("retailer_id").annotate(rating=Avg("satisfaction"), ratings=Count("pk")).order_by()


# Surveys: the reads other apps pull (the rest are in visits/survey_selectors.py).
from visits.survey_selectors import (  # noqa: E402
    RetailerSatisfaction,
    SurveyAnswered,
    survey_answers_for_points,
    survey_satisfaction_by_retailer,
)

__all__ = [
    "RetailerSatisfaction",
    "SurveyAnswered",
    "survey_answers_for_points",
    "survey_satisfaction_by_retailer",
    "visits_visible_to",
]


# ---------------------------------------------------------------------------------------------
# The manager's agenda (今日拜访): today in route order, the rest of the week, what is overdue,
# and the care reminders coming up.
# ---------------------------------------------------------------------------------------------

AGENDA_LIST_LIMIT = 100  # rows per section of the agenda (a manager plans a few dozen a week)


def agenda_managers_for(user) -> QuerySet | None:
    """The managers whose agenda a user may open: a supervisor the sales managers of their
    region's areas, an admin every sales manager; None for anyone else (they see their own)."""
    from crm_site.roles import Role, user_roles
    from retailers.selectors import account_manager_choices, service_areas_visible_to

    roles = user_roles(user)
    if Role.ADMIN not in roles and Role.SUPERVISOR not in roles:
        return None
    return account_manager_choices(areas=service_areas_visible_to(user).values("pk"))


def _agenda_visits(*, viewer, manager) -> QuerySet[Visit]:
    """The manager's visits, of the shops the viewer may see, with their shops."""
    visits = Visit.objects.filter(manager=manager)
    if not viewer.has_perm("retailers.view_all_retailers"):
        visits = visits.filter(retailer__in=retailers_visible_to(viewer).values("pk"))
    return visits.select_related("retailer", "retailer__service_area")


def agenda_day_route(*, viewer, manager, day: datetime.date):
    """The manager's visits of `day` (planned and done; missed and cancelled ones out), in route
    order (visits/route.py): one query."""
    from visits.route import nearest_neighbour_route, retailer_point

    visits = list(
        _agenda_visits(viewer=viewer, manager=manager)
        .filter(planned_on=day, status__in=[VisitStatus.PLANNED, VisitStatus.DONE])
        .order_by("id")[:AGENDA_LIST_LIMIT]
    )
    return nearest_neighbour_route(visits, point=lambda visit: retailer_point(visit.retailer))


def agenda_for(*, viewer, manager, today: datetime.date | None = None) -> dict:
    """Everything the agenda page shows, in five queries whatever the manager's history: today's
    route, the visits planned for the rest of the week (to Sunday), the overdue ones (planned for
    a day gone by, oldest first) and their count, and the open care reminders whose reminding
    window holds today (birthdays before festivals)."""
    from django.db.models import Case, IntegerField, Value, When

    from retailers.models import Retailer
    from visits.care_dates import Birthday
    from visits.models import CareReminder, CareReminderStatus

    today = today or timezone.localdate()
    week_end = today + datetime.timedelta(days=6 - today.weekday())
    visits = _agenda_visits(viewer=viewer, manager=manager)
    planned = visits.filter(status=VisitStatus.PLANNED)
    overdue = planned.filter(planned_on__lt=today)
    # Driven from the manager's shops (the reminder index by shop), not from every open reminder:
    # at a festival, every shop of the province has one.
    reminders = CareReminder.objects.filter(
        retailer__in=Retailer.objects.filter(account_manager=manager).values("pk"),
        status=CareReminderStatus.OPEN,
        remind_from__lte=today,
        occurs_on__gte=today,
    )
    if not viewer.has_perm("retailers.view_all_retailers"):
        reminders = reminders.filter(retailer__in=retailers_visible_to(viewer).values("pk"))
    birthdays_first = Case(
        When(occasion__in=Birthday.values, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return {
        "today": today,
        "week_end": week_end,
        "route": agenda_day_route(viewer=viewer, manager=manager, day=today),
        "week": list(
            planned.filter(planned_on__gt=today, planned_on__lte=week_end).order_by("planned_on", "id")[
                :AGENDA_LIST_LIMIT
            ]
        ),
        "overdue": list(overdue.order_by("planned_on", "id")[:AGENDA_LIST_LIMIT]),
        "overdue_count": overdue.count(),
        "reminder_limit": AGENDA_LIST_LIMIT,
        "reminders": list(
            reminders.select_related("retailer")
            .annotate(birthdays_first=birthdays_first)
            .order_by("birthdays_first", "occurs_on", "retailer__name", "id")[:AGENDA_LIST_LIMIT]
        ),
    }


# ---------------------------------------------------------------------------------------------
# Seasonal campaigns (专项拜访): their target shops and their progress.
# ---------------------------------------------------------------------------------------------

TARGET_KEYS = ("regions", "service_areas", "tiers", "business_types", "market_types", "level_min", "level_max")


def campaign_targets(*, target: dict, user, on: datetime.date) -> QuerySet:
    """The shops a campaign's target filter names, of the user's scope, that can be served on
    `on` (active, with an account manager, licence valid): a missing or empty key means "any"."""
    from grading.selectors import retailer_ids_at_levels
    from retailers.models import RetailerStatus

    shops = retailers_visible_to(user).filter(
        status=RetailerStatus.ACTIVE, account_manager__isnull=False, license_expires_on__gte=on
    )
    lookups = {
        "regions": "service_area__region__in",
        "service_areas": "service_area__in",
        "tiers": "tier__in",
        "business_types": "business_type__in",
        "market_types": "market_type__in",
    }
    for key, lookup in lookups.items():
        if target.get(key):
            shops = shops.filter(**{lookup: target[key]})
    if target.get("level_min") is not None or target.get("level_max") is not None:
        shops = shops.filter(
            pk__in=retailer_ids_at_levels(level_min=target.get("level_min"), level_max=target.get("level_max"))
        )
    return shops


def campaigns_visible_to(user) -> QuerySet:
    """An admin's: every campaign; a supervisor's: those they created and those planning visits in
    their region; nobody else's."""
    from visits.models import Campaign

    if not user.has_perm("visits.view_campaign"):
        return Campaign.objects.none()
    if user.has_perm("retailers.view_all_retailers"):
        return Campaign.objects.all()
    in_scope = Visit.objects.filter(campaign=OuterRef("pk"), retailer__in=retailers_visible_to(user).values("pk"))
    return Campaign.objects.filter(Q(created_by=user) | Exists(in_scope))


def campaign_progress(*, campaign, user) -> dict:
    """The campaign's visits of the user's scope by status, and the share done: one query."""
    from visits.models import VisitStatus as Status

    counts = (
        visits_visible_to(user)
        .filter(campaign=campaign)
        .aggregate(**{status: Count("pk", filter=Q(status=status)) for status in Status.values})
    )
    open_or_done = counts[Status.PLANNED] + counts[Status.DONE] + counts[Status.MISSED]
    counts["total"] = open_or_done
    counts["share_done"] = Decimal(counts[Status.DONE]) / open_or_done if open_or_done else None
    return counts
from visits.feedback_selectors import VisitFeedback, visit_feedback_for_points  # noqa: E402, F401
