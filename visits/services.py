"""Visit writes: the routine planner (one set-based pass over every shop) and single plans."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.business_hours import is_working_day
from crm_site.bulk import statistics_refresh
from grading.selectors import service_policy_for
from retailers.models import Retailer, RetailerStatus, Tier
from visits.models import Visit, VisitKind, VisitStatus

# pg_advisory_xact_lock key of the planner ("visits" in ASCII): one planner at a time.
PLAN_LOCK = 0x766973697473
# … and of the KPI roll-up ("kpis"): two refreshes at once would each delete the rows and insert
# their own (a unique violation for the second), so they take turns.
KPI_LOCK = 0x6B706973
DUE = "visits_plan_due"
NEXT_WORKING_DAY = "visits_plan_next_working_day"


def next_working_days(*, start: datetime.date, days: int) -> dict[datetime.date, datetime.date]:
    """Each day of [start, start + days] that is not a working day, mapped to the next one that is."""
    mapping: dict[datetime.date, datetime.date] = {}
    following = None
    for offset in range(days, -1, -1):  # backwards: each day's answer is the next day's
        day = start + datetime.timedelta(days=offset)
        if is_working_day(day):
            following = day
            continue
        if following is None:
            following = day + datetime.timedelta(days=1)
            while not is_working_day(following):
                following += datetime.timedelta(days=1)
        mapping[day] = following
    return mapping


def tier_intervals() -> dict[str, int]:
    """The routine interval of every tier value a shop can hold, "" (not graded yet) included."""
    return {tier: service_policy_for(tier).visit_interval_days for tier in ["", *Tier.values]}


class _Dialect:
    """The few date expressions that differ between SQLite (ISO text) and PostgreSQL (date)."""

    def __init__(self) -> None:
        self.postgresql = connection.vendor == "postgresql"

    def date(self, placeholder: str = "%s") -> str:
        return f"CAST({placeholder} AS date)" if self.postgresql else placeholder

    def add_days(self, day: str, days: str) -> str:
        return f"({day} + CAST({days} AS integer))" if self.postgresql else f"date({day}, '+' || ({days}) || ' days')"

    def later(self, first: str, second: str) -> str:
        return f"GREATEST({first}, {second})" if self.postgresql else f"MAX({first}, {second})"


def _due_table(*, cursor, today: datetime.date, dialect: _Dialect) -> None:
    """Fill the scratch table DUE with the routine plan every servable shop is due now: the
    shop's manager, its tier's interval, and the date (last done routine visit + interval, or
    for a shop never visited a day spread by id over the first interval; never before today;
    moved to the next working day)."""
    intervals = tier_intervals()
    horizon = max(intervals.values())
    holidays = next_working_days(start=today, days=horizon)
    quote = connection.ops.quote_name
    visit, retailer = quote(Visit._meta.db_table), quote(Retailer._meta.db_table)
    day_type = "date" if dialect.postgresql else "text"
    cursor.execute(f"DROP TABLE IF EXISTS {NEXT_WORKING_DAY}")
    cursor.execute(f"DROP TABLE IF EXISTS {DUE}")
    cursor.execute(f"CREATE TEMPORARY TABLE {NEXT_WORKING_DAY} (day {day_type} PRIMARY KEY, working_day {day_type})")
    adapt = connection.ops.adapt_datefield_value
    cursor.executemany(
        f"INSERT INTO {NEXT_WORKING_DAY} (day, working_day) VALUES ({dialect.date()}, {dialect.date()})",  # noqa: S608
        [(adapt(day), adapt(working)) for day, working in holidays.items()],
    )
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DUE} (retailer_id bigint PRIMARY KEY, manager_id bigint NOT NULL, "
        f"interval_days integer NOT NULL, license_expires_on {day_type} NOT NULL, planned_on {day_type} NOT NULL)"
    )
    interval_case = "CASE r.tier " + " ".join("WHEN %s THEN %s" for _ in intervals) + " ELSE %s END"
    interval_params = [value for pair in intervals.items() for value in pair] + [intervals[""]]
    today_sql = dialect.date()
    due_on = dialect.later(
        f"COALESCE({dialect.add_days('s.visited_on', 's.interval_days')}, "
        f"{dialect.add_days(today_sql, 's.id %% s.interval_days')})",
        today_sql,
    )
    cursor.execute(
        f"""
        INSERT INTO {DUE} (retailer_id, manager_id, interval_days, license_expires_on, planned_on)
        SELECT d.id, d.manager_id, d.interval_days, d.license_expires_on, COALESCE(w.working_day, d.due_on)
        FROM (
            SELECT s.id, s.manager_id, s.interval_days, s.license_expires_on, {due_on} AS due_on
            FROM (
                SELECT r.id, r.account_manager_id AS manager_id, r.license_expires_on,
                       {interval_case} AS interval_days, last.visited_on
                FROM {retailer} r
                LEFT JOIN (
                    SELECT retailer_id, MAX(visited_on) AS visited_on FROM {visit}
                    WHERE kind = %s AND status = %s GROUP BY retailer_id
                ) last ON last.retailer_id = r.id
                WHERE r.status = %s AND r.account_manager_id IS NOT NULL
            ) s
        ) d
        LEFT JOIN {NEXT_WORKING_DAY} w ON w.day = d.due_on
        """,  # noqa: S608
        [adapt(today), adapt(today), *interval_params, VisitKind.ROUTINE, VisitStatus.DONE, RetailerStatus.ACTIVE],
    )
    # Without statistics PostgreSQL guessed a few hundred rows and checked each shop's open plan
    # by a nested loop over the visits' heap (dead rows included): 446 s for 300,000 shops.
    statistics_refresh(DUE)


@transaction.atomic
def visits_plan(*, today: datetime.date | None = None) -> dict[str, int]:
    """Plan the routine visits of every shop, in a few SQL statements over all of them.

    A servable shop (active, with an account manager, its licence valid on the plan's date) that
    has no open planned routine visit gets one; open plans follow their shop: a new tier
    interval moves the date, a new manager (a new area brings one) takes the plan over, and a
    shop that can no longer be served has its plan cancelled. Running it again changes nothing,
    and two planners at once wait for each other (a lock) and cannot double a plan (the
    database constraint). A plan whose new date falls after its licence counts as rescheduled
    and cancelled."""
    today = today or timezone.localdate()
    dialect = _Dialect()
    quote = connection.ops.quote_name
    visit = quote(Visit._meta.db_table)
    open_plan = f"{visit}.kind = %s AND {visit}.status = %s"
    open_params = [VisitKind.ROUTINE, VisitStatus.PLANNED]
    own_due = f"d.retailer_id = {visit}.retailer_id"
    with connection.cursor() as cursor:
        if dialect.postgresql:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PLAN_LOCK])
        # On SQLite the transaction is IMMEDIATE (settings): it holds the write lock from here.
        _due_table(cursor=cursor, today=today, dialect=dialect)
        cursor.execute(
            f"""
            UPDATE {visit}
            SET planned_on = (SELECT d.planned_on FROM {DUE} d WHERE {own_due}),
                interval_days = (SELECT d.interval_days FROM {DUE} d WHERE {own_due})
            WHERE {open_plan} AND EXISTS (
                SELECT 1 FROM {DUE} d WHERE {own_due}
                AND ({visit}.interval_days IS NULL OR d.interval_days <> {visit}.interval_days)
            )
            """,  # noqa: S608
            open_params,
        )
        rescheduled = cursor.rowcount
        cursor.execute(
            f"""
            UPDATE {visit} SET status = %s
            WHERE {open_plan} AND NOT EXISTS (
                SELECT 1 FROM {DUE} d WHERE {own_due} AND d.license_expires_on >= {visit}.planned_on
            )
            """,  # noqa: S608
            [VisitStatus.CANCELLED, *open_params],
        )
        cancelled = cursor.rowcount
        cursor.execute(
            f"""
            UPDATE {visit} SET manager_id = (SELECT d.manager_id FROM {DUE} d WHERE {own_due})
            WHERE {open_plan} AND EXISTS (
                SELECT 1 FROM {DUE} d WHERE {own_due} AND d.manager_id <> {visit}.manager_id
            )
            """,  # noqa: S608
            open_params,
        )
        reassigned = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {visit} (retailer_id, manager_id, kind, status, planned_on, interval_days, created_at)
            SELECT d.retailer_id, d.manager_id, %s, %s, d.planned_on, d.interval_days, %s
            FROM {DUE} d
            WHERE d.license_expires_on >= d.planned_on AND NOT EXISTS (
                SELECT 1 FROM {visit} WHERE {own_due} AND {open_plan}
            )
            ON CONFLICT DO NOTHING
            """,  # noqa: S608
            [*open_params, connection.ops.adapt_datetimefield_value(timezone.now()), *open_params],
        )
        created = cursor.rowcount
        cursor.execute(f"DROP TABLE {DUE}")
        cursor.execute(f"DROP TABLE {NEXT_WORKING_DAY}")
    return {"created": created, "reassigned": reassigned, "rescheduled": rescheduled, "cancelled": cancelled}


class VisitError(ValidationError):
    """A visit action refused for a business reason; the message names the field or the rule."""


def working_day_on_or_after(day: datetime.date) -> datetime.date:
    """`day` itself if it is a working day (the complaints' holiday calendar), else the next one."""
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def _servable(retailer: Retailer, on: datetime.date) -> bool:
    return retailer.status == RetailerStatus.ACTIVE and retailer.license_expires_on >= on


@transaction.atomic
def visit_plan_one(
    *,
    retailer: Retailer,
    kind: str,
    planned_on: datetime.date,
    manager=None,
    purpose: str = "",
    created_by=None,
    campaign=None,
    previous: Visit | None = None,
) -> Visit:
    """Plan one visit of a shop (a care visit from a reminder, a follow-up, a visit asked for from
    analytics …), for the shop's manager unless another is named.

    A routine plan is the planner's: asking for one moves the shop's open routine plan to the
    date instead of adding a second. Refused (VisitError) for a shop that cannot be served on
    that day (closed, licence expired), a day in the past, or a shop with no manager."""
    today = timezone.localdate()
    if planned_on < today:
        raise VisitError({"planned_on": _("A visit cannot be planned in the past.")})
    if not _servable(retailer, planned_on):
        raise VisitError({"planned_on": _("The shop cannot be served on that day (closed or licence expired).")})
    manager = manager or retailer.account_manager
    if manager is None:
        raise VisitError({"manager": _("The shop has no account manager to visit it.")})
    if kind == VisitKind.ROUTINE:
        routine = (
            Visit.objects.select_for_update()
            .filter(retailer=retailer, kind=VisitKind.ROUTINE, status=VisitStatus.PLANNED)
            .first()
        )
        if routine is not None:
            routine.planned_on, routine.manager = planned_on, manager
            routine.save(update_fields=["planned_on", "manager"])
            return routine
    visit = Visit(
        retailer=retailer,
        manager=manager,
        kind=kind,
        planned_on=planned_on,
        purpose=purpose,
        created_by=created_by,
        campaign=campaign,
        previous=previous,
        interval_days=service_policy_for(retailer.tier).visit_interval_days if kind == VisitKind.ROUTINE else None,
    )
    visit.full_clean()
    visit.save()
    return visit


def visit_plan_next_routine(*, retailer: Retailer, visited_on: datetime.date) -> Visit | None:
    """After a routine visit is logged: the shop's next routine plan, at its tier's interval from
    the visit, on a working day, never before today; none if the shop cannot be served then.

    The same rule as `visits_plan` (which would find it on its next pass), for one shop at once."""
    interval = service_policy_for(retailer.tier).visit_interval_days
    due = working_day_on_or_after(max(visited_on + datetime.timedelta(days=interval), timezone.localdate()))
    if not _servable(retailer, due) or retailer.account_manager is None:
        return None
    return visit_plan_one(retailer=retailer, kind=VisitKind.ROUTINE, planned_on=due)


# ---------------------------------------------------------------------------------------------
# The visit log (拜访记录): check-in, logging a planned or an unplanned visit, moving a missed one.
# ---------------------------------------------------------------------------------------------

# A visit photo: a picture taken in the shop, with the ticket attachments' size limit and the same
# check of its bytes (a renamed text file is refused).
PHOTO_EXTENSIONS = ("jpg", "jpeg", "png")
TEXT_FIELDS = ("purpose", "needs", "feedback")
LOG_FIELDS = (
    "channel",
    "purpose",
    "price_display_ok",
    "license_displayed",
    "needs",
    "feedback",
    "satisfaction",
)


def visit_may_act(*, visit: Visit, user) -> bool:
    """Whether a user may log, check in or move a visit: its own manager, or a supervisor or an
    admin whose scope holds the shop (the caller has already scoped the visit to the user)."""
    from crm_site.roles import Role, user_roles

    if not user.is_authenticated or not user.is_active:
        return False
    if visit.manager_id == user.pk:
        return True
    roles = user_roles(user)
    return Role.ADMIN in roles or Role.SUPERVISOR in roles


def visit_may_log_unplanned(*, retailer: Retailer, user) -> bool:
    """Whether a user may log an unplanned visit of a shop of their scope: its managers, supervisors, admins."""
    from crm_site.roles import Role, user_roles

    if not user.is_authenticated or not user.is_active:
        return False
    return bool({Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER} & set(user_roles(user)))


def _check_scope(*, retailer: Retailer, user) -> None:
    from django.core.exceptions import PermissionDenied

    from retailers.selectors import retailers_visible_to

    if not retailers_visible_to(user).filter(pk=retailer.pk).exists():
        raise PermissionDenied


def _check_may_act(*, visit: Visit, user) -> None:
    from django.core.exceptions import PermissionDenied

    _check_scope(retailer=visit.retailer, user=user)
    if not visit_may_act(visit=visit, user=user):
        raise PermissionDenied


def _locked_planned(visit: Visit) -> Visit:
    locked = Visit.objects.select_for_update().select_related("retailer").get(pk=visit.pk)
    if locked.status != VisitStatus.PLANNED:
        raise VisitError(
            _("This visit is already “%(status)s”; only a planned visit can be logged or moved.")
            % {"status": locked.get_status_display()}
        )
    return locked


def visit_photo_check(photo) -> None:
    """Refuse (VisitError on "photo") a photo that is too large, not a JPEG or PNG by its name,
    or whose bytes are not what its name says."""
    from complaints.attachments import CONTENT_CHECKS
    from complaints.models import ATTACHMENT_MAX_BYTES

    extension = photo.name.rsplit(".", 1)[-1].lower() if "." in photo.name else ""
    if extension not in PHOTO_EXTENSIONS:
        raise VisitError({"photo": _("The photo must be a JPEG or PNG picture.")})
    if photo.size > ATTACHMENT_MAX_BYTES:
        raise VisitError({"photo": _("A photo may be at most 5 MB.")})
    kind, looks_right = CONTENT_CHECKS[extension]
    photo.seek(0)
    content = b"".join(photo.chunks())
    photo.seek(0)
    if not looks_right(content):
        raise VisitError(
            {
                "photo": _("“%(name)s” is not a %(kind)s picture, whatever its name says. Nothing was saved.")
                % {"name": photo.name, "kind": kind}
            }
        )


@transaction.atomic
def visit_check_in(*, visit: Visit, user, at: datetime.datetime | None = None) -> Visit:
    """The manager arrives at the shop: record when (the first check-in counts; a second tap keeps it)."""
    _check_may_act(visit=visit, user=user)
    locked = _locked_planned(visit)
    if locked.checked_in_at is None:
        locked.checked_in_at = at or timezone.now()
        locked.save(update_fields=["checked_in_at"])
    return locked


def _stock_check_rows(*, visit: Visit, stock_checks) -> list:
    from visits.models import VisitStockCheck

    rows, seen = [], set()
    for check in stock_checks:
        product = check["product"]
        if product.pk in seen:
            raise VisitError({"stock_checks": _("A product is checked twice: %(product)s.") % {"product": product}})
        seen.add(product.pk)
        cartons = check.get("cartons")
        in_stock = bool(check["in_stock"])
        if not in_stock and cartons:
            raise VisitError(
                {"stock_checks": _("%(product)s is out of stock but has cartons counted.") % {"product": product}}
            )
        row = VisitStockCheck(visit=visit, product=product, in_stock=in_stock, cartons=cartons)
        row.full_clean(exclude=["visit"])
        rows.append(row)
    return rows


def _fill_log(*, visit: Visit, data: dict, checked_in_at, now) -> None:
    for field in LOG_FIELDS:
        if field in data:
            value = data[field]
            setattr(visit, field, "" if value is None and field in TEXT_FIELDS else value)
    visit.checked_out_at = now
    visit.checked_in_at = checked_in_at or visit.checked_in_at or now
    if visit.checked_in_at > now:
        raise VisitError({"checked_in_at": _("The check-in cannot be later than the check-out (now).")})
    visit.visited_on = timezone.localdate(now)
    visit.status = VisitStatus.DONE
    if not visit.channel:
        raise VisitError({"channel": _("Say how the shop was contacted.")})


def _follow_ups(
    *, visit: Visit, user, stock_rows: list, photo, open_ticket: dict | None, next_visit_on: datetime.date | None
) -> None:
    """Everything a logged visit leads to, in one transaction with the log itself."""
    from complaints.models import Channel
    from complaints.services import ticket_create
    from visits.models import VisitStockCheck

    for row in stock_rows:
        row.visit = visit
    VisitStockCheck.objects.bulk_create(stock_rows)
    if open_ticket:
        data = {"channel": Channel.MANAGER, "priority": "normal", **open_ticket}
        try:
            visit.ticket = ticket_create(retailer=visit.retailer, data=data, created_by=user)
        except ValidationError as error:
            raise VisitError({"ticket": error.messages}) from error
    if visit.kind == VisitKind.ROUTINE:
        visit_plan_next_routine(retailer=visit.retailer, visited_on=visit.visited_on)
    if next_visit_on is not None:
        try:
            visit_plan_one(
                retailer=visit.retailer,
                kind=VisitKind.FOLLOW_UP,
                planned_on=next_visit_on,
                manager=visit.manager,
                created_by=user,
                previous=visit,
                purpose=visit.purpose,
            )
        except ValidationError as error:
            raise VisitError({"next_visit_on": error.messages}) from error
    update = ["ticket"]
    if photo is not None:
        visit.photo.save(photo.name, photo, save=False)  # the last write: nothing after it can refuse
        update.append("photo")
    try:
        visit.save(update_fields=update)
    except Exception:
        if photo is not None:
            visit.photo.delete(save=False)
        raise


@transaction.atomic
def visit_log(
    *,
    visit: Visit,
    user,
    data: dict,
    stock_checks=(),
    photo=None,
    open_ticket: dict | None = None,
    next_visit_on: datetime.date | None = None,
) -> Visit:
    """Log a planned visit: it is done today, checked out now (checked in when the manager tapped
    "check in", else at the time asked, else now), with what was checked and said. A routine visit
    closes the shop's routine plan and plans the next at the tier's rhythm; a next visit date plans
    a follow-up; `open_ticket` ({"category", "description"}) opens a complaint ticket linked to the
    visit. All or nothing: a refused photo, ticket or date writes nothing."""
    _check_may_act(visit=visit, user=user)
    if photo is not None:
        visit_photo_check(photo)
    locked = _locked_planned(visit)
    now = timezone.now()
    _fill_log(visit=locked, data=data, checked_in_at=data.get("checked_in_at"), now=now)
    stock_rows = _stock_check_rows(visit=locked, stock_checks=stock_checks)
    locked.full_clean()
    locked.save()
    _follow_ups(
        visit=locked,
        user=user,
        stock_rows=stock_rows,
        photo=photo,
        open_ticket=open_ticket,
        next_visit_on=next_visit_on,
    )
    _kpi_refresh_after(locked)
    return locked


@transaction.atomic
def visit_log_unplanned(
    *,
    retailer: Retailer,
    user,
    kind: str,
    data: dict,
    stock_checks=(),
    photo=None,
    open_ticket: dict | None = None,
    next_visit_on: datetime.date | None = None,
) -> Visit:
    """Log a visit that had no plan (the manager dropped by, or the shop called): it is done today
    by the user, counts as unplanned (not in the planned figures), and a routine one re-plans the
    shop's open routine plan from today at the tier's rhythm."""
    from django.core.exceptions import PermissionDenied

    _check_scope(retailer=retailer, user=user)
    if not visit_may_log_unplanned(retailer=retailer, user=user):
        raise PermissionDenied
    if kind not in VisitKind.values:
        raise VisitError({"kind": _("Choose the kind of visit.")})
    if photo is not None:
        visit_photo_check(photo)
    now = timezone.now()
    today = timezone.localdate(now)
    visit = Visit(retailer=retailer, manager=user, kind=kind, unplanned=True, planned_on=today, created_by=user)
    _fill_log(visit=visit, data=data, checked_in_at=data.get("checked_in_at"), now=now)
    visit.planned_on = visit.visited_on
    stock_rows = _stock_check_rows(visit=visit, stock_checks=stock_checks)
    visit.full_clean()
    visit.save()
    _follow_ups(
        visit=visit, user=user, stock_rows=stock_rows, photo=photo, open_ticket=open_ticket, next_visit_on=next_visit_on
    )
    _kpi_refresh_after(visit)
    return visit


@transaction.atomic
def visit_miss(*, visit: Visit, user, reason: str, note: str = "", new_date: datetime.date | None = None) -> Visit:
    """A planned visit that did not happen: it is missed with a reason code (and a note); with a
    new date, a visit of the same kind follows it on that day (for a routine visit, the shop's new
    routine plan: the missed one is no longer open)."""
    from visits.models import MissReason

    _check_may_act(visit=visit, user=user)
    if reason not in MissReason.values:
        raise VisitError({"reason": _("Say why the visit did not happen.")})
    locked = _locked_planned(visit)
    locked.status, locked.miss_reason, locked.miss_note = VisitStatus.MISSED, reason, (note or "").strip()
    locked.full_clean()
    locked.save(update_fields=["status", "miss_reason", "miss_note"])
    if new_date is not None:
        try:
            visit_plan_one(
                retailer=locked.retailer,
                kind=locked.kind,
                planned_on=new_date,
                manager=locked.manager,
                purpose=locked.purpose,
                created_by=user,
                campaign=locked.campaign,
                previous=locked,
            )
        except ValidationError as error:
            raise VisitError({"new_date": error.messages}) from error
    _kpi_refresh_after(locked)
    return locked


# ---------------------------------------------------------------------------------------------
# The KPIs' daily roll-up (VisitKpiDay): rebuilt set-based, nightly for everyone and after a
# log or a miss for the one manager.
# ---------------------------------------------------------------------------------------------

def _kpi_refresh_sql(*, dialect: _Dialect, where_manager: str) -> str:
    from visits.models import MissReason, VisitKpiDay

    quote = connection.ops.quote_name
    visit, retailer = quote(Visit._meta.db_table), quote(Retailer._meta.db_table)
    order = quote(Retailer._meta.get_field("orders").related_model._meta.db_table)
    kpi = quote(VisitKpiDay._meta.db_table)
    reasons = MissReason.values
    miss_columns = ", ".join(f"miss_{code}" for code in reasons)
    planned_misses = ", ".join(
        f"CASE WHEN v.status = 'missed' AND v.miss_reason = '{code}' THEN 1 ELSE 0 END AS miss_{code}"
        for code in reasons
    )
    zero_misses = ", ".join("0" for _code in reasons)
    sums = ", ".join(
        f"SUM({column})"
        for column in ["planned", "done", "on_time", "still_open", "missed", *[f"miss_{c}" for c in reasons],
                       "logged", "logged_unplanned", "struck", "rated", "satisfaction_sum"]
    )  # fmt: skip
    from visits.selectors import STRIKE_WINDOW_DAYS

    window_end = dialect.add_days("v.visited_on", str(STRIKE_WINDOW_DAYS))
    return f"""
        INSERT INTO {kpi} (day, manager_id, service_area_id, planned, done, on_time, still_open, missed,
                           {miss_columns}, logged, logged_unplanned, struck, rated, satisfaction_sum)
        SELECT u.day, u.manager_id, u.service_area_id, {sums}
        FROM (
            SELECT v.planned_on AS day, v.manager_id, r.service_area_id,
                   1 AS planned,
                   CASE WHEN v.status = 'done' THEN 1 ELSE 0 END AS done,
                   CASE WHEN v.status = 'done' AND v.visited_on <= v.planned_on THEN 1 ELSE 0 END AS on_time,
                   CASE WHEN v.status = 'planned' THEN 1 ELSE 0 END AS still_open,
                   CASE WHEN v.status = 'missed' THEN 1 ELSE 0 END AS missed,
                   {planned_misses},
                   0 AS logged, 0 AS logged_unplanned, 0 AS struck, 0 AS rated, 0 AS satisfaction_sum
            FROM {visit} v JOIN {retailer} r ON r.id = v.retailer_id
            WHERE v.unplanned = %s AND v.status <> 'cancelled' {where_manager}
            UNION ALL
            SELECT v.visited_on, v.manager_id, r.service_area_id,
                   0, 0, 0, 0, 0, {zero_misses},
                   1,
                   CASE WHEN v.unplanned THEN 1 ELSE 0 END,
                   CASE WHEN EXISTS (
                       SELECT 1 FROM {order} o WHERE o.retailer_id = v.retailer_id
                       AND o.ordered_on >= v.visited_on AND o.ordered_on <= {window_end}
                   ) THEN 1 ELSE 0 END,
                   CASE WHEN v.satisfaction IS NULL THEN 0 ELSE 1 END,
                   COALESCE(v.satisfaction, 0)
            FROM {visit} v JOIN {retailer} r ON r.id = v.retailer_id
            WHERE v.status = 'done' {where_manager}
        ) u
        GROUP BY u.day, u.manager_id, u.service_area_id
    """  # noqa: S608


def _managers_in(column: str, managers: int | None) -> str:
    """`column IN (%s, …)` for that many manager ids, or nothing (every manager)."""
    return "" if managers is None else f"{column} IN ({', '.join(['%s'] * managers)})"


def _kpi_month_refresh_sql(*, dialect: _Dialect, managers: int | None) -> str:
    """The monthly level: each month's sums of the daily rows just written (the same columns)."""
    from django.db.models import PositiveIntegerField

    from visits.models import VisitKpiDay, VisitKpiMonth

    quote = connection.ops.quote_name
    day, month = quote(VisitKpiDay._meta.db_table), quote(VisitKpiMonth._meta.db_table)
    fields = VisitKpiMonth._meta.concrete_fields
    counters = [field.column for field in fields if isinstance(field, PositiveIntegerField)]
    month_of = "CAST(date_trunc('month', d.day) AS date)" if dialect.postgresql else "date(d.day, 'start of month')"
    return f"""
        INSERT INTO {month} (month, manager_id, service_area_id, {", ".join(counters)})
        SELECT {month_of}, d.manager_id, d.service_area_id, {", ".join(f"SUM(d.{column})" for column in counters)}
        FROM {day} d {_managers_in("WHERE d.manager_id", managers)}
        GROUP BY {month_of}, d.manager_id, d.service_area_id
    """  # noqa: S608


@transaction.atomic
def visit_kpis_refresh(*, manager_ids: list[int] | None = None) -> int:
    """Rebuild the KPIs' roll-up from the visits, in one transaction: the daily level from the
    visits, then the monthly level from the daily rows; every manager's (the nightly job, after
    the planner) or only those of `manager_ids` (after one of their visits is logged or missed).
    Returns the number of roll-up rows written (both levels). Safe to run at any time."""
    from visits.models import VisitKpiDay, VisitKpiMonth

    dialect = _Dialect()
    days, months = VisitKpiDay.objects.all(), VisitKpiMonth.objects.all()
    params = []
    if manager_ids is not None:
        ids = sorted({int(pk) for pk in manager_ids})
        if not ids:
            return 0
        days, months = days.filter(manager_id__in=ids), months.filter(manager_id__in=ids)
        params = ids
    if dialect.postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [KPI_LOCK])
    # On SQLite the transaction is IMMEDIATE (settings): the write lock is held from the start.
    days.delete()
    months.delete()
    managers = len(params) if manager_ids is not None else None
    where_manager = _managers_in("AND v.manager_id", managers)
    with connection.cursor() as cursor:
        cursor.execute(_kpi_refresh_sql(dialect=dialect, where_manager=where_manager), [False, *params, *params])
        written = cursor.rowcount
        cursor.execute(_kpi_month_refresh_sql(dialect=dialect, managers=managers), params)
        return written + cursor.rowcount


def _kpi_refresh_after(visit: Visit) -> None:
    """After a visit is logged or missed: its manager's roll-up, by a task queued once the
    transaction commits (the page the manager sees next does not wait for it)."""
    from visits.tasks import visit_kpis_refresh_manager_task

    manager_id = visit.manager_id
    transaction.on_commit(lambda: visit_kpis_refresh_manager_task.delay(manager_id))


# ---------------------------------------------------------------------------------------------
# Care reminders (关怀提醒): birthdays and festivals coming up, N days ahead (CarePolicy), made
# set-based once a day; one click turns one into a planned care visit, another dismisses it.
# ---------------------------------------------------------------------------------------------


def _lunar_card_dates(*, first: datetime.date, last: datetime.date) -> dict[tuple[int, int, bool], datetime.date]:
    """Every lunar birthday a card can hold (month, day, leap) whose date falls in [first, last]:
    for each day, the cards that could land on it (its lunar month and day, leap or not, and day
    30 on a 29th), kept where care_dates' rule (a missing leap month, a missing day 30) says so."""
    from lunar_python import Solar

    from visits.care_dates import lunar_birthday_in

    found = {}
    for offset in range((last - first).days + 1):
        day = first + datetime.timedelta(days=offset)
        lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
        month, date = abs(lunar.getMonth()), lunar.getDay()
        for card_day in (date, 30) if date == 29 else (date,):
            for leap in (False, True):
                if lunar_birthday_in(lunar.getYear(), month=month, day=card_day, leap_month=leap) == day:
                    found[(month, card_day, leap)] = day
    return found


def _solar_card_dates(*, first: datetime.date, last: datetime.date) -> dict[tuple[int, int], datetime.date]:
    """Every (month, day) of a solar birthday whose date in its year falls in [first, last]
    (29 February is 28 February in a common year)."""
    from visits.care_dates import solar_birthday_in

    found = {}
    for offset in range((last - first).days + 1):
        day = first + datetime.timedelta(days=offset)
        found[(day.month, day.day)] = day
        if (day.month, day.day) == (2, 28) and solar_birthday_in(day.year, datetime.date(2000, 2, 29)) == day:
            found[(2, 29)] = day
    return found


def _reminders_insert(*, occasion: str, retailers, dates: list[tuple, datetime.date], days_ahead: int) -> int:
    """INSERT … SELECT one reminder per shop of `retailers` for `occasion`: `dates` is a list of
    (Q matching the shops, their date) pairs; a reminder already there (any status) stays as it is."""
    from django.db.models import Case, DateField, Q, Value, When

    from visits.models import CareReminder, CareReminderStatus

    if not dates:
        return 0
    occurs_on = Case(*[When(match, then=Value(day)) for match, day in dates], output_field=DateField())
    remind_from = Case(
        *[When(match, then=Value(day - datetime.timedelta(days=days_ahead))) for match, day in dates],
        output_field=DateField(),
    )
    matching = Q()
    for match, _day in dates:
        matching |= match
    select = (
        retailers.filter(matching)
        .annotate(
            r_occasion=Value(occasion),
            r_occurs_on=occurs_on,
            r_remind_from=remind_from,
            r_status=Value(CareReminderStatus.OPEN),
            r_created_at=Value(timezone.now()),
        )
        .values_list("pk", "r_occasion", "r_occurs_on", "r_remind_from", "r_status", "r_created_at")
        .order_by()
    )
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(CareReminder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (retailer_id, occasion, occurs_on, remind_from, status, created_at) "  # noqa: S608
            f"SELECT * FROM ({sql}) s WHERE s.r_occurs_on IS NOT NULL ON CONFLICT DO NOTHING",
            params,
        )
        return cursor.rowcount


@transaction.atomic
def care_reminders_create(*, today: datetime.date | None = None) -> dict[str, int]:
    """Create the care reminders due from `today`: for every enabled care policy, each servable
    shop (active, with an account manager, its licence valid on the day; of the policy's tiers if
    it names any) whose occasion falls within the policy's days ahead gets one reminder, shown from
    that many days before. One INSERT … SELECT per occasion over every shop.

    Festivals are reminded per shop, like birthdays: a care visit, a dismissal, the dossier and
    the policy's tiers are all per shop (the agenda groups them). Idempotent: at most one reminder
    per shop, occasion and date (a database constraint), so a second run, a second worker or a
    reminder dismissed earlier adds nothing. Returns the reminders created per occasion."""
    from django.db.models import Q

    from visits.care_dates import Birthday, Festival, festival_dates
    from visits.models import CarePolicy

    today = today or timezone.localdate()
    servable = Retailer.objects.filter(status=RetailerStatus.ACTIVE, account_manager__isnull=False)
    created = {}
    for policy in CarePolicy.objects.filter(enabled=True):
        last = today + datetime.timedelta(days=policy.days_ahead)
        shops = servable.filter(tier__in=policy.tiers) if policy.tiers else servable
        if policy.occasion == Birthday.SOLAR:
            dates = [
                (Q(birthday__month=month, birthday__day=day, license_expires_on__gte=date), date)
                for (month, day), date in _solar_card_dates(first=today, last=last).items()
            ]
        elif policy.occasion == Birthday.LUNAR:
            dates = [
                (
                    Q(
                        lunar_birthday_month=month,
                        lunar_birthday_day=day,
                        lunar_birthday_leap=leap,
                        license_expires_on__gte=date,
                    ),
                    date,
                )
                for (month, day, leap), date in _lunar_card_dates(first=today, last=last).items()
            ]
        else:
            festival = Festival(policy.occasion)
            days = [festival_dates(year)[festival] for year in range(today.year, last.year + 1)]
            dates = [(Q(license_expires_on__gte=date), date) for date in days if today <= date <= last]
        created[policy.occasion] = _reminders_insert(
            occasion=policy.occasion, retailers=shops, dates=dates, days_ahead=policy.days_ahead
        )
    return created


def _reminder_to_act_on(*, reminder, user):
    from django.core.exceptions import PermissionDenied

    from visits.models import CareReminder, CareReminderStatus

    _check_scope(retailer=reminder.retailer, user=user)
    if not visit_may_log_unplanned(retailer=reminder.retailer, user=user):
        raise PermissionDenied
    locked = CareReminder.objects.select_for_update(of=("self",)).select_related("retailer").get(pk=reminder.pk)
    if locked.status != CareReminderStatus.OPEN:
        raise VisitError(_("This reminder is already “%(status)s”.") % {"status": locked.get_status_display()})
    return locked


def care_visit_day(*, occurs_on: datetime.date, today: datetime.date) -> datetime.date:
    """When a care visit is planned: the last working day on or before the occasion (a festival
    is often a holiday), not before today; today when no working day is left before it."""
    day = occurs_on
    while day > today and not is_working_day(day):
        day -= datetime.timedelta(days=1)
    return max(day, today)


@transaction.atomic
def care_reminder_plan(*, reminder, user) -> Visit:
    """Turn an open care reminder into a planned care visit of the shop by its account manager
    (`visit_plan_one`), on `care_visit_day`; the reminder keeps the visit."""
    from visits.models import CareReminderStatus

    locked = _reminder_to_act_on(reminder=reminder, user=user)
    today = timezone.localdate()
    visit = visit_plan_one(
        retailer=locked.retailer,
        kind=VisitKind.CARE,
        planned_on=care_visit_day(occurs_on=locked.occurs_on, today=today),
        purpose=str(locked.get_occasion_display()),
        created_by=user,
    )
    locked.status, locked.visit = CareReminderStatus.PLANNED, visit
    locked.save(update_fields=["status", "visit"])
    return visit


@transaction.atomic
def care_reminder_dismiss(*, reminder, user):
    """Dismiss an open care reminder (it is not made again: one per shop, occasion and date)."""
    from visits.models import CareReminderStatus

    locked = _reminder_to_act_on(reminder=reminder, user=user)
    locked.status = CareReminderStatus.DISMISSED
    locked.save(update_fields=["status"])
    return locked


# ---------------------------------------------------------------------------------------------
# Seasonal campaigns (专项拜访): one visit per target shop, spread over the range's working days.
# ---------------------------------------------------------------------------------------------


def campaign_working_days(*, starts_on: datetime.date, ends_on: datetime.date, today: datetime.date) -> list:
    """The working days of [starts_on, ends_on] from today on."""
    first = max(starts_on, today)
    return [
        first + datetime.timedelta(days=offset)
        for offset in range((ends_on - first).days + 1)
        if is_working_day(first + datetime.timedelta(days=offset))
    ]


def campaign_plan(*, campaign, retailers, user) -> int:
    """Plan one seasonal visit of the campaign for every shop of `retailers` that has no open one
    yet, for the shop's manager: one INSERT … SELECT. Each manager's shops are spread evenly over
    the campaign's working days (the n-th shop of a manager, by id, on working day n mod days), and
    a shop whose licence ends before its day is left out. Returns the visits planned."""
    dialect = _Dialect()
    days = campaign_working_days(starts_on=campaign.starts_on, ends_on=campaign.ends_on, today=timezone.localdate())
    if not days:
        raise VisitError({"ends_on": _("The campaign has no working day left between its dates.")})
    adapt = connection.ops.adapt_datefield_value
    day_case = "CASE t.rn %% %s " + " ".join(f"WHEN {n} THEN {dialect.date()}" for n in range(len(days))) + " END"
    day_params = [len(days), *[adapt(day) for day in days]]
    select, select_params = (
        retailers.values("pk", "account_manager_id", "license_expires_on").order_by().query.sql_with_params()
    )
    visit = connection.ops.quote_name(Visit._meta.db_table)
    sql = f"""
        INSERT INTO {visit} (retailer_id, manager_id, kind, status, planned_on, campaign_id, purpose,
                             created_by_id, created_at)
        SELECT u.id, u.manager_id, %s, %s, u.planned_on, %s, %s, %s, %s
        FROM (
            SELECT t.id, t.manager_id, t.license_expires_on, {day_case} AS planned_on
            FROM (
                SELECT s.pk AS id, s.account_manager_id AS manager_id, s.license_expires_on,
                       ROW_NUMBER() OVER (PARTITION BY s.account_manager_id ORDER BY s.pk) - 1 AS rn
                FROM ({select}) s
            ) t
        ) u
        WHERE u.license_expires_on >= u.planned_on AND NOT EXISTS (
            SELECT 1 FROM {visit} v WHERE v.retailer_id = u.id AND v.campaign_id = %s AND v.status = %s
        )
    """  # noqa: S608
    params = [
        VisitKind.SEASONAL, VisitStatus.PLANNED, campaign.pk, campaign.name[:200], user.pk,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        *day_params, *select_params, campaign.pk, VisitStatus.PLANNED,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@transaction.atomic
def campaign_create(*, user, data: dict, target: dict):
    """Create a seasonal campaign and plan its visits (`campaign_plan`) to the target shops of the
    user's scope. A supervisor targets their own regions (none named: all of them); an admin any.
    `data`: name, purpose, description, starts_on, ends_on; `target`: see Campaign.target."""
    from django.core.exceptions import PermissionDenied

    from retailers.selectors import service_areas_visible_to
    from visits.models import Campaign
    from visits.selectors import TARGET_KEYS, campaign_targets

    if not user.has_perm("visits.add_campaign"):
        raise PermissionDenied
    target = {key: value for key, value in target.items() if key in TARGET_KEYS and value not in (None, [], "")}
    if not user.has_perm("retailers.view_all_retailers"):
        own = set(service_areas_visible_to(user).values_list("region_id", flat=True))
        asked = set(target.get("regions") or own)
        if not asked <= own:
            raise VisitError({"regions": _("Regions: a supervisor targets only the regions they supervise.")})
        target["regions"] = sorted(asked)
    campaign = Campaign(created_by=user, target=target, **data)
    campaign.full_clean()
    if campaign.ends_on < timezone.localdate():
        raise VisitError({"ends_on": _("Ends on: the campaign would be over already.")})
    campaign.save()
    retailers = campaign_targets(target=target, user=user, on=max(campaign.starts_on, timezone.localdate()))
    campaign.planned_count = campaign_plan(campaign=campaign, retailers=retailers, user=user)
    campaign.save(update_fields=["planned_count"])
    return campaign


@transaction.atomic
def care_reminders_plan_all(*, user, manager, occasion: str, occurs_on: datetime.date) -> int:
    """Plan a care visit for every open reminder of `occasion` on `occurs_on` of the manager's
    shops (of the user's scope, still servable on the visit's day), on `care_visit_day`, and mark
    the reminders planned with their visits: two statements, whatever the number of shops (a
    festival reminds every shop of the manager). Returns the visits planned."""
    from django.db.models import F, OuterRef, Subquery, Value

    from retailers.selectors import retailers_visible_to
    from visits.models import CareOccasion, CareReminder, CareReminderStatus

    if not visit_may_log_unplanned(retailer=None, user=user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    today = timezone.localdate()
    day = care_visit_day(occurs_on=occurs_on, today=today)
    now = timezone.now()
    reminders = CareReminder.objects.filter(
        status=CareReminderStatus.OPEN,
        occasion=occasion,
        occurs_on=occurs_on,
        retailer__in=retailers_visible_to(user).filter(
            account_manager=manager, status=RetailerStatus.ACTIVE, license_expires_on__gte=day
        ).values("pk"),
    )
    columns = {
        "v_manager": F("retailer__account_manager_id"),
        "v_kind": Value(VisitKind.CARE),
        "v_status": Value(VisitStatus.PLANNED),
        "v_day": Value(day),
        "v_purpose": Value(str(CareOccasion(occasion).label)),
        "v_by": Value(user.pk),
        "v_at": Value(now),
    }
    select = reminders.annotate(**columns).values_list("retailer_id", *columns).order_by()
    sql, params = select.query.sql_with_params()
    visit = connection.ops.quote_name(Visit._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {visit} (retailer_id, manager_id, kind, status, planned_on, purpose, created_by_id, "
            f"created_at) {sql}",
            params,
        )
        planned = cursor.rowcount
    made = Visit.objects.filter(
        retailer=OuterRef("retailer_id"), kind=VisitKind.CARE, planned_on=day, created_by=user, created_at=now
    ).values("pk")[:1]
    reminders.update(status=CareReminderStatus.PLANNED, visit=Subquery(made))
    return planned
