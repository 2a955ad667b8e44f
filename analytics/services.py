"""The one write of analytics: rebuilding its summary tables from the orders (analytics_refresh).

Every step is one set-based statement (INSERT … SELECT … GROUP BY, UPDATE … FROM, or on SQLite,
which has no hash aggregate, INSERT … ON CONFLICT DO UPDATE adding rows to their groups: see
analytics.sql.groups_by_adding) over the querysets of the other apps' selectors; the whole refresh
is one transaction, so a refresh that fails leaves the previous tables as they were. Incremental
by default: the orders added since the last refresh (the watermarks are the highest order and line
ids seen) are added to their weeks and months; an order re-imported in place keeps its id but gets
new lines, and its weeks and months are recomputed. The per-shop standings (as of the week's
Monday) are moved on from the last ones when only weeks they had not counted changed, else
rebuilt; they stand when nothing changed in the same week. An order whose date was changed in
place leaves its old week stale until the nightly refresh, which is a full one.
"""

from __future__ import annotations

import datetime
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from analytics.models import (
    AreaBrandMonth,
    AreaMonth,
    AreaPriceClassMonth,
    AreaProductMonth,
    AreaTierStanding,
    RefreshState,
    ShopMonth,
    ShopStanding,
    ShopWeek,
)
from analytics.sql import (
    MonthNumber,
    MonthStart,
    WeekStart,
    allow_large_groupings,
    groups_by_adding,
    month_of_number_sql,
    months_between_sql,
    ordered_groupings,
    sql_of,
)
from crm_site.bulk import indexes_deferred, insert_rows, statistics_refresh, vacuumed
from retailers.selectors import (
    order_headers_for_summaries,
    order_lines_for_summaries,
    products_for_summaries,
    retailers_for_summaries,
)
from visits.selectors import survey_satisfaction_by_retailer, visit_satisfaction_by_retailer

logger = logging.getLogger(__name__)
RECENT_WEEKS = 8  # churn: the recent weeks compared with the rest of the 52-week window
WINDOW_WEEKS = 52
BASELINE_WEEKS = WINDOW_WEEKS - RECENT_WEEKS
FULL_ORDER_SHARE = Decimal("0.8")  # dependency: a week whose cartons reach 80 % of the shop's mean


@dataclass(frozen=True)
class Span:
    """A half-open range of dates [start, end); None for everything."""

    start: datetime.date
    end: datetime.date


@dataclass(frozen=True)
class RefreshOutcome:
    full: bool
    new_orders: int
    weeks: Span | None
    months: Span | None
    seconds: float
    steps: dict[str, float]  # seconds per step, for the benchmark and the log


ONE_DAY = datetime.timedelta(days=1)


def _date_span(orders: QuerySet) -> tuple[Span | None, int]:
    """The days [first, last + 1) of these orders (None for no order) and how many there are, in
    one aggregate (the rewritten orders are a semi-join of the new lines: 2 s a read at 300,000
    shops on PostgreSQL)."""
    dates = orders.aggregate(first=Min("ordered_on"), last=Max("ordered_on"), count=Count("id"))
    return (Span(dates["first"], dates["last"] + ONE_DAY) if dates["first"] else None), dates["count"]


def _union(first: Span | None, second: Span | None) -> Span:
    spans = [span for span in (first, second) if span]
    return Span(min(span.start for span in spans), max(span.end for span in spans))


def _month_span(days: Span) -> Span:
    return Span(month_start(days.start), month_start(days.end - ONE_DAY) + relativedelta(months=1))


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def analytics_refresh(*, full: bool = False, today: datetime.date | None = None) -> RefreshOutcome:
    """Bring every summary table up to date with the orders, in one transaction.

    full: recompute everything (the nightly job); otherwise only the weeks and months of the
    orders with an id above the watermark. Safe to run twice: a second run finds no new order
    and recomputes only the standings, to the same values."""
    started = time.monotonic()
    today = today or timezone.localdate()
    with transaction.atomic():
        allow_large_groupings()
        state = RefreshState.objects.select_for_update().order_by("pk").first() or RefreshState.objects.create()
        orders = order_headers_for_summaries()
        last_id = orders.aggregate(last=Max("id"))["last"] or 0
        lines = order_lines_for_summaries()
        last_line_id = lines.aggregate(last=Max("id"))["last"] or 0
        full = full or state.refreshed_at is None
        steps: dict[str, float] = {}

        def step(name: str, work, *args, **kwargs) -> None:
            began = time.monotonic()
            work(*args, **kwargs)
            steps[name] = time.monotonic() - began

        weeks = months = None
        # the standings can be moved on from the last ones when only weeks they did not count yet
        # changed: new orders dated from their week on, no order rewritten, no shop added or gone
        movable = not full and state.as_of_week is not None
        if full:
            count = last_id
            step("shop weeks", _rebuild_shop_weeks, None)
            step("shop months", _rebuild_shop_months, None)
            step("area lines", _rebuild_area_products, None)
            step("area roll-ups", _roll_up_areas, None)
        else:
            new = orders.filter(id__gt=state.last_order_id, id__lte=last_id)
            # an order re-imported in place keeps its id but gets new lines: its weeks and months
            # are recomputed; new orders are added to their months (a week of them, not a month)
            rewritten = orders.filter(
                id__lte=state.last_order_id,
                id__in=lines.filter(id__gt=state.last_line_id, id__lte=last_line_id).values("order_id"),
            )
            (new_span, new_count), (rewritten_span, rewritten_count) = _date_span(new), _date_span(rewritten)
            count = new_count + rewritten_count
            movable = movable and not rewritten_span and (new_span is None or new_span.start >= state.as_of_week)
            if new_span or rewritten_span:
                days = _union(new_span, rewritten_span)
                weeks = Span(week_start(days.start), week_start(days.end - ONE_DAY) + datetime.timedelta(days=7))
                months = _month_span(days)
                new_weeks = new_months = new
                if rewritten_span:
                    rewritten_weeks = Span(
                        week_start(rewritten_span.start),
                        week_start(rewritten_span.end - ONE_DAY) + datetime.timedelta(days=7),
                    )
                    rewritten_months = _month_span(rewritten_span)
                    step("shop weeks", _rebuild_shop_weeks, rewritten_weeks)
                    step("shop months", _rebuild_shop_months, rewritten_months)
                    step("area lines", _rebuild_area_products, rewritten_months)
                    new_weeks = _outside(new, rewritten_weeks)
                    new_months = _outside(new, rewritten_months)
                lines_of_new = lines.filter(order_id__gt=state.last_order_id, order_id__lte=last_id)  # an index range
                if rewritten_span:
                    lines_of_new = lines_of_new.exclude(
                        order__ordered_on__gte=rewritten_months.start, order__ordered_on__lt=rewritten_months.end
                    )
                step("new orders", _add_new_orders, weeks=new_weeks, months=new_months, lines=lines_of_new)
                step("area roll-ups", _roll_up_areas, months)
        as_of = week_start(today)
        if full or months is not None or state.as_of_week != as_of:
            # nothing new in the same week: the standings stand (tiers, surveys and visit ratings
            # that changed meanwhile are taken in by the nightly full refresh)
            since = state.as_of_week if movable and state.as_of_week <= as_of and _same_shops() else None
            step("standings", _refresh_standings, as_of=as_of, since=since)
            step("area tiers", _rebuild_area_tiers)
        now = timezone.now()
        state.last_order_id, state.last_line_id = last_id, last_line_id
        state.as_of_week, state.refreshed_at = as_of, now
        if full:
            state.full_refresh_at = now
        state.seconds = time.monotonic() - started
        state.save()
    if steps:
        # Autovacuum did not keep up with a full refresh's 9 M deleted shop weeks: after four
        # refreshes the table held 28 M dead rows (7.4 GB), and each refresh's DELETE and writes
        # went through them (shop weeks 107 s → 145 s)
        began = time.monotonic()
        if vacuumed(*SUMMARIES):
            steps["vacuum after commit"] = time.monotonic() - began
    logger.info("analytics refresh (full=%s): %s", full, {name: round(took, 1) for name, took in steps.items()})
    return RefreshOutcome(full=full, new_orders=count, weeks=weeks, months=months, seconds=state.seconds, steps=steps)


SUMMARIES = (ShopWeek, ShopMonth, AreaMonth, AreaProductMonth, AreaBrandMonth, AreaPriceClassMonth, ShopStanding,
             AreaTierStanding)  # fmt: skip


# ------------------------------------------------------------------------------ the steps


def _execute(sql: str, params: tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _clear(model, field: str, span: Span | None) -> None:
    rows = model.objects.all()
    if span is not None:
        rows = rows.filter(**{f"{field}__gte": span.start, f"{field}__lt": span.end})
    rows._raw_delete(rows.db)


def _within(queryset: QuerySet, field: str, span: Span | None) -> QuerySet:
    if span is None:
        return queryset
    return queryset.filter(**{f"{field}__gte": span.start, f"{field}__lt": span.end})


# the summary column and its aggregate over the order headers (named apart from the model's fields)
SALES_SUMS = {
    "amount": Sum("amount"),
    "cartons": Sum("cartons"),
    "orders": Count("*"),  # not COUNT(id): PostgreSQL then reads the shop-first covering index alone
    "high_end_amount": Sum("high_end_amount"),
    "low_tar_cartons": Sum("low_tar_cartons"),
}
SALES_COLUMNS = ", ".join(SALES_SUMS)


def _sums(aggregates: dict) -> dict:
    return {f"{name}_sum": aggregate for name, aggregate in aggregates.items()}


def _upsert(table: str, key: str, columns: list[str], *, order: str = "") -> str:
    """The tail (after the SELECT's FROM, with its ORDER BY `order`) that adds a row's figures to
    an existing row of the same key (new orders only: nothing of theirs is in the table yet).
    SQLite needs a WHERE before ON CONFLICT after a SELECT."""
    added = ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in columns)
    return f" WHERE 1 = 1{order} ON CONFLICT ({key}) DO UPDATE SET {added}"


def _insert_shop_sales(model, period: str, bucket, orders: QuerySet, *, add: bool = False) -> None:
    """Group the order headers by shop and `period` (first), then name each shop's service area;
    `add`: into rows that may exist (new orders), else into a cleared span. Where grouping means
    sorting (groups_by_adding), each order is added to its shop's row instead; a rebuild reads the
    orders in shop and date order from their covering index, so that the orders of a shop and week
    (month) come one after another and the rows are written in the unique key's order."""
    table = model._meta.db_table
    shops, shop_params = sql_of(retailers_for_summaries().values("id", "service_area_id"))
    if groups_by_adding():
        figures = [name for name in SALES_SUMS if name != "orders"]  # the stored totals; "orders" counts 1 each
        rows = orders.annotate(**{period: bucket("ordered_on")}).values("retailer_id", period, *figures)
        if not add:  # a rebuild reads the covering index in shop order; new orders, their id range
            rows = rows.order_by("retailer_id", "ordered_on")
        inner, params = sql_of(rows)
        columns = ", ".join("1" if name == "orders" else f"g.{name}" for name in SALES_SUMS)
        add = True
    else:
        grouped = (
            orders.annotate(**{period: bucket("ordered_on")})
            .values("retailer_id", period)
            .annotate(**_sums(SALES_SUMS))
        )
        inner, params = sql_of(grouped)
        columns = ", ".join(f"g.{name}_sum" for name in SALES_SUMS)
    # PostgreSQL: a rebuild groups the orders as they come from the shop-first covering index,
    # each shop's few dozen sorted by week or month (an incremental sort), so that the groups come
    # out in the unique key's order with no sort of their own; its estimate of the groups (a
    # tenth of the 9 M) had it hash them instead, spill to disk and sort them all (18.7 s against
    # 6.3 s for the shop weeks' SELECT at 300,000 shops)
    grouping = ordered_groupings() if not add else nullcontext()
    # PostgreSQL: in the unique key's order. The hash aggregate's groups come in no order, and
    # each of 9 M shop weeks went into a random place of two B-trees (206 s at 300,000 shops,
    # against 48 s sorted first); a week of new orders' upserts likewise visit the pages in turn.
    in_key_order = "" if groups_by_adding() else f" ORDER BY g.retailer_id, g.{period}"
    with grouping:
        _execute(
            f"INSERT INTO {table} (retailer_id, service_area_id, {period}, {SALES_COLUMNS}) "
            f"SELECT g.retailer_id, r.service_area_id, g.{period}, {columns} "
            f"FROM ({inner}) g JOIN ({shops}) r ON r.id = g.retailer_id"
            + (_upsert(table, f"retailer_id, {period}", list(SALES_SUMS), order=in_key_order) if add else in_key_order),
            params + shop_params,
        )
    if not add:
        statistics_refresh(table)


def _rebuild_shop_weeks(weeks: Span | None) -> None:
    _clear(ShopWeek, "week", weeks)
    _insert_shop_sales(ShopWeek, "week", WeekStart, _within(order_headers_for_summaries(), "ordered_on", weeks))


def _rebuild_shop_months(months: Span | None) -> None:
    _clear(ShopMonth, "month", months)
    orders = _within(order_headers_for_summaries(), "ordered_on", months)
    if months is not None:
        _insert_shop_sales(ShopMonth, "month", MonthStart, orders)
        return
    # every shop month anew: the index by month is built once afterwards, not entry by entry in
    # random places (a third of the time of writing 3.6 M shop months at 300,000 shops)
    with indexes_deferred(ShopMonth):
        _insert_shop_sales(ShopMonth, "month", MonthStart, orders)


def _insert_area_products(*, orders: QuerySet, lines: QuerySet, add: bool = False) -> None:
    """The order lines grouped by area, product and month (the lines are read once, here);
    `lines` are the lines of `orders`."""
    table = AreaProductMonth._meta.db_table
    if groups_by_adding():
        _add_area_products(orders=orders, lines=lines, add=add)
        return
    grouped = lines.values(
        area=F("order__retailer__service_area_id"), product_ref=F("product_id"), period=MonthStart("order__ordered_on")
    ).annotate(amount_sum=Sum("amount"), cartons_sum=Sum("quantity"))
    inner, params = sql_of(grouped)
    in_key_order = " ORDER BY period, area, product_ref"  # the unique key's order, as for the shop weeks
    _execute(
        f"INSERT INTO {table} (service_area_id, product_id, month, amount, cartons) "
        f"SELECT area, product_ref, period, amount_sum, cartons_sum FROM ({inner}) g"
        + (
            _upsert(table, "month, service_area_id, product_id", ["amount", "cartons"], order=in_key_order)
            if add
            else in_key_order
        ),
        params,
    )


AREA_LINES = "analytics_area_lines"  # the scratch tables of _add_area_products (SQLite's temp schema)
ORDER_KEYS = "analytics_order_keys"
SHOP_AREAS = "analytics_shop_areas"


def _add_area_products(*, orders: QuerySet, lines: QuerySet, add: bool) -> None:
    """SQLite: each line added to its area × product × month sums in a scratch table keyed by one
    integer, (month number × areas + area) × products + product (a B-tree lookup per line instead
    of a sort of every line), then the scratch table's rows written, unpacked, in one statement.
    Each order's part of the key, (month number × areas + area) × products, is worked out once per
    order into a second scratch table, rather than per line from the order's and the shop's rows;
    each shop's area comes from a third, compact one (probing the wide shop rows once an order was
    2.4 s of 5.6 s for 9 M orders)."""
    areas = (retailers_for_summaries().aggregate(last=Max("service_area_id"))["last"] or 0) + 1
    products = (products_for_summaries().aggregate(last=Max("id"))["last"] or 0) + 1
    shops, shop_params = sql_of(retailers_for_summaries().values("id", "service_area_id"))
    headers, header_params = sql_of(orders.values("id", "retailer_id", period=MonthNumber("ordered_on")))
    rows, row_params = sql_of(lines.values("order_id", "product_id", "amount", "quantity"))
    table = AreaProductMonth._meta.db_table
    scratch_tables = ((AREA_LINES, "k INTEGER PRIMARY KEY, amount NUMERIC, cartons INTEGER"),
                      (ORDER_KEYS, "id INTEGER PRIMARY KEY, k INTEGER"),
                      (SHOP_AREAS, "id INTEGER PRIMARY KEY, service_area_id INTEGER"))  # fmt: skip
    for scratch, columns in scratch_tables:
        _execute(f"DROP TABLE IF EXISTS temp.{scratch}")
        _execute(f"CREATE TEMP TABLE {scratch} ({columns})")
    _execute(
        f"INSERT INTO temp.{SHOP_AREAS} (id, service_area_id) SELECT r.id, r.service_area_id FROM ({shops}) r",
        shop_params,
    )
    _execute(
        f"INSERT INTO temp.{ORDER_KEYS} (id, k) SELECT h.id, (h.period * {areas} + r.service_area_id) * {products} "
        f"FROM ({headers}) h JOIN temp.{SHOP_AREAS} r ON r.id = h.retailer_id ORDER BY h.id",
        header_params,
    )
    _execute(
        f"INSERT INTO temp.{AREA_LINES} (k, amount, cartons) "
        f"SELECT o.k + g.product_id, g.amount, g.quantity FROM ({rows}) g JOIN temp.{ORDER_KEYS} o ON o.id = g.order_id"
        + _upsert(AREA_LINES, "k", ["amount", "cartons"]),
        row_params,
    )
    _execute(
        f"INSERT INTO {table} (service_area_id, product_id, month, amount, cartons) "
        f"SELECT (k / {products}) %% {areas}, k %% {products}, {month_of_number_sql(f'k / {products} / {areas}')}, "
        f"amount, cartons FROM temp.{AREA_LINES}"
        + (_upsert(table, "month, service_area_id, product_id", ["amount", "cartons"]) if add else ""),
        (),
    )
    for scratch, _columns in scratch_tables:
        _execute(f"DROP TABLE temp.{scratch}")


def _rebuild_area_products(months: Span | None) -> None:
    _clear(AreaProductMonth, "month", months)
    _insert_area_products(
        orders=_within(order_headers_for_summaries(), "ordered_on", months),
        lines=_within(order_lines_for_summaries(), "order__ordered_on", months),
    )
    statistics_refresh(AreaProductMonth._meta.db_table)


def _outside(orders: QuerySet, span: Span) -> QuerySet:
    return orders.exclude(ordered_on__gte=span.start, ordered_on__lt=span.end)


def _add_new_orders(*, weeks: QuerySet, months: QuerySet, lines: QuerySet) -> None:
    """New orders added to their shop weeks and months, their lines to the area product months
    (the new orders and lines outside any span just recomputed)."""
    _insert_shop_sales(ShopWeek, "week", WeekStart, weeks, add=True)
    _insert_shop_sales(ShopMonth, "month", MonthStart, months, add=True)
    _insert_area_products(orders=months, lines=lines, add=True)


def _roll_up_areas(months: Span | None) -> None:
    """Area months from the shop months, brands and price classes from the area product months:
    small tables, recomputed for the months that changed."""
    _clear(AreaMonth, "month", months)
    shop_months = _within(ShopMonth.objects.order_by(), "month", months)
    table = AreaMonth._meta.db_table
    if groups_by_adding():
        # each shop month added to its area's, the shop months read in their table's order (the
        # index by month and area would fetch every row apart: 31 s for 3.6 M at 300,000 shops)
        inner, params = sql_of(shop_months.values("service_area_id", "month", *SALES_SUMS))
        sums, tail = SALES_COLUMNS + ", 1", _upsert(table, "service_area_id, month", [*SALES_SUMS, "active_shops"])
    else:
        grouped = shop_months.values("month", "service_area_id").annotate(
            **_sums({name: Sum(name) for name in SALES_SUMS}), shops=Count("retailer_id")
        )
        inner, params = sql_of(grouped)
        sums, tail = ", ".join(f"{name}_sum" for name in SALES_SUMS) + ", shops", ""
    _execute(
        f"INSERT INTO {table} (service_area_id, month, {SALES_COLUMNS}, active_shops) "
        f"SELECT service_area_id, month, {sums} FROM ({inner}) g" + tail,
        params,
    )
    products, product_params = sql_of(products_for_summaries().values("id", "brand", "price_class"))
    where, where_params = sql_of(_within(AreaProductMonth.objects.order_by(), "month", months).values("id"))
    for model, column in ((AreaBrandMonth, "brand"), (AreaPriceClassMonth, "price_class")):
        _clear(model, "month", months)
        _execute(
            f"INSERT INTO {model._meta.db_table} (service_area_id, {column}, month, amount, cartons) "
            f"SELECT t.service_area_id, p.{column}, t.month, SUM(t.amount), SUM(t.cartons) "
            f"FROM {AreaProductMonth._meta.db_table} t JOIN ({products}) p ON p.id = t.product_id "
            f"WHERE t.id IN ({where}) GROUP BY t.service_area_id, p.{column}, t.month",
            product_params + where_params,
        )


def _refresh_standings(*, as_of: datetime.date, since: datetime.date | None) -> None:
    """The standings moved on from those as of `since`, or rebuilt (None). Every standing is
    written several times over (sums, dependency, contribution, satisfaction): their indexes are
    built once, after."""
    with indexes_deferred(ShopStanding):
        if since is None:
            _rebuild_standings(as_of=as_of)
        else:
            _move_standings(as_of=as_of, since=since)


def _rebuild_standings(*, as_of: datetime.date) -> None:
    """Per shop, as of the Monday `as_of` (the weeks before it are complete): churn figures and
    the four measures, in five statements whatever the number of shops."""
    table = ShopStanding._meta.db_table
    window_start = as_of - datetime.timedelta(weeks=WINDOW_WEEKS)
    recent_start = as_of - datetime.timedelta(weeks=RECENT_WEEKS)
    _clear(ShopStanding, "retailer_id", None)
    shops, shop_params = sql_of(retailers_for_summaries().values("id", "service_area_id", "tier", "partner_since"))
    weeks = ShopWeek._meta.db_table
    in_window = "w.week >= %s AND w.week < %s"
    # "* 1.0": SQLite keeps whole amounts as integers, and would divide them as integers
    at_risk = f"(COALESCE(s.baseline, 0) * 1.0 * {RECENT_WEEKS} / {BASELINE_WEEKS} - COALESCE(s.recent, 0))"
    _execute(
        f"INSERT INTO {table} (retailer_id, service_area_id, tier, recent_amount, baseline_amount, last_order_week, "
        "weeks_ordered, tenure_months, amount_52w, cartons_52w, contribution, full_weeks, survey_responses, "
        "amount_at_risk) "
        "SELECT r.id, r.service_area_id, r.tier, COALESCE(s.recent, 0), COALESCE(s.baseline, 0), s.last_week, "
        f"COALESCE(s.weeks, 0), {months_between_sql('%s', 'r.partner_since')}, COALESCE(s.total, 0), "
        f"COALESCE(s.cartons, 0), 0, 0, 0, CASE WHEN {at_risk} > 0 THEN {at_risk} ELSE 0 END "
        f"FROM ({shops}) r LEFT JOIN ("
        # straight from the covering index, in shop order: no sort
        "  SELECT w.retailer_id,"
        "    SUM(CASE WHEN w.week >= %s AND w.week < %s THEN w.amount ELSE 0 END) AS recent,"
        "    SUM(CASE WHEN w.week >= %s AND w.week < %s THEN w.amount ELSE 0 END) AS baseline,"
        "    MAX(w.week) AS last_week,"
        f"   SUM(CASE WHEN {in_window} THEN 1 ELSE 0 END) AS weeks,"
        f"   SUM(CASE WHEN {in_window} THEN w.amount ELSE 0 END) AS total,"
        f"   SUM(CASE WHEN {in_window} THEN w.cartons ELSE 0 END) AS cartons"
        f"  FROM {weeks} w GROUP BY w.retailer_id"
        ") s ON s.retailer_id = r.id",
        (as_of, *shop_params, recent_start, as_of, window_start, recent_start, *(window_start, as_of) * 3),
    )
    statistics_refresh(table)
    _finish_standings(as_of=as_of)


def _same_shops() -> bool:
    return ShopStanding.objects.count() == retailers_for_summaries().count()


def _move_standings(*, as_of: datetime.date, since: datetime.date) -> None:
    """The standings as of the Monday `as_of` from those as of the Monday `since` (not after it),
    when no week before `since` has changed: each window's sum moves on by adding the weeks that
    entered it and taking off those that left it, read from the orders of those weeks only (about
    three weeks of orders, not every shop week of the year); the last week with an order from the
    orders since `since`. Then the shop's area, tier and tenure as the full rebuild copies them,
    and the same dependency, contribution and satisfaction."""
    table = ShopStanding._meta.db_table
    week = datetime.timedelta(weeks=1)
    entered = Q(ordered_on__gte=since, ordered_on__lt=as_of)
    left_recent = Q(ordered_on__gte=since - RECENT_WEEKS * week, ordered_on__lt=as_of - RECENT_WEEKS * week)
    left_window = Q(ordered_on__gte=since - WINDOW_WEEKS * week, ordered_on__lt=as_of - WINDOW_WEEKS * week)
    weeks = WeekStart("ordered_on")
    moved = (
        order_headers_for_summaries()
        .filter(Q(ordered_on__gte=since) | left_recent | left_window)
        .values("retailer_id")
        .annotate(
            entered_amount=Sum("amount", filter=entered, default=0),
            entered_cartons=Sum("cartons", filter=entered, default=0),
            entered_weeks=Count(weeks, filter=entered, distinct=True),
            left_recent_amount=Sum("amount", filter=left_recent, default=0),
            left_amount=Sum("amount", filter=left_window, default=0),
            left_cartons=Sum("cartons", filter=left_window, default=0),
            left_weeks=Count(weeks, filter=left_window, distinct=True),
            last_week=Max(weeks),
        )
    )
    inner, params = sql_of(moved)
    recent = f"({table}.recent_amount + d.entered_amount - d.left_recent_amount)"
    baseline = f"({table}.baseline_amount + d.left_recent_amount - d.left_amount)"
    at_risk = f"({baseline} * 1.0 * {RECENT_WEEKS} / {BASELINE_WEEKS} - {recent})"
    _execute(
        f"UPDATE {table} SET recent_amount = {recent}, baseline_amount = {baseline}, "
        f"weeks_ordered = {table}.weeks_ordered + d.entered_weeks - d.left_weeks, "
        f"amount_52w = {table}.amount_52w + d.entered_amount - d.left_amount, "
        f"cartons_52w = {table}.cartons_52w + d.entered_cartons - d.left_cartons, "
        f"amount_at_risk = CASE WHEN {at_risk} > 0 THEN {at_risk} ELSE 0 END, "
        f"last_order_week = CASE WHEN {table}.last_order_week IS NULL OR d.last_week > {table}.last_order_week "
        f"  THEN d.last_week ELSE {table}.last_order_week END "
        f"FROM ({inner}) d WHERE d.retailer_id = {table}.retailer_id",
        params,
    )
    shops, shop_params = sql_of(retailers_for_summaries().values("id", "service_area_id", "tier", "partner_since"))
    tenure = months_between_sql("%s", "r.partner_since")
    _execute(
        f"UPDATE {table} SET service_area_id = r.service_area_id, tier = r.tier, tenure_months = {tenure} "
        f"FROM ({shops}) r WHERE r.id = {table}.retailer_id AND ({table}.service_area_id <> r.service_area_id "
        f"  OR {table}.tier <> r.tier OR {table}.tenure_months IS DISTINCT FROM {tenure})",
        (as_of, *shop_params, as_of),
    )
    # satisfaction as the full rebuild finds it: none until the answers and ratings are read
    _execute(
        f"UPDATE {table} SET visit_rating = NULL, survey_responses = 0, csat = NULL, nps = NULL "
        "WHERE visit_rating IS NOT NULL OR survey_responses <> 0 OR csat IS NOT NULL OR nps IS NOT NULL"
    )
    _finish_standings(as_of=as_of)


SURVEY_FIGURES = "analytics_survey_figures"  # _finish_standings' scratch table


def _finish_standings(*, as_of: datetime.date) -> None:
    """Dependency, contribution and satisfaction, from the standings' sums of the window."""
    table = ShopStanding._meta.db_table
    weeks = ShopWeek._meta.db_table
    window_start = as_of - datetime.timedelta(weeks=WINDOW_WEEKS)
    in_window = "w.week >= %s AND w.week < %s"
    # dependency: the weeks whose cartons reach FULL_ORDER_SHARE of the shop's weekly mean
    # (cartons × weeks ordered ≥ share × cartons of the window: no division). SQLite counts them
    # per shop on the covering index's range of its window (a third of the time of joining every
    # week to its shop's standing and grouping them, which needs a sort there).
    if groups_by_adding():
        _execute(
            f"UPDATE {table} SET full_weeks = (SELECT COUNT(*) FROM {weeks} w WHERE w.retailer_id = {table}.retailer_id"
            f"  AND {in_window} AND w.cartons * {table}.weeks_ordered >= %s * {table}.cartons_52w"
            f") WHERE {table}.weeks_ordered > 0 OR {table}.full_weeks <> 0",
            (window_start, as_of, FULL_ORDER_SHARE),
        )
    else:
        # PostgreSQL: one hash join of the window's weeks to the standings, grouped per shop
        # (the correlated count took 32 s at 300,000 shops: 9 M index probes, each fetching its
        # row from a heap just written; this 7.5 s); the outer join counts none for a shop without
        # a week in the window (a second statement for those took 1.3 s)
        _execute(
            f"UPDATE {table} SET full_weeks = c.full_count FROM ("
            "  SELECT s.retailer_id,"
            "    SUM(CASE WHEN w.cartons * s.weeks_ordered >= %s * s.cartons_52w THEN 1 ELSE 0 END) AS full_count"
            f"  FROM {table} s LEFT JOIN {weeks} w ON w.retailer_id = s.retailer_id AND {in_window}"
            "   WHERE s.weeks_ordered > 0 OR s.full_weeks <> 0 GROUP BY s.retailer_id"
            f") c WHERE c.retailer_id = {table}.retailer_id AND {table}.full_weeks <> c.full_count",
            (FULL_ORDER_SHARE, window_start, as_of),
        )
    _execute(
        f"UPDATE {table} SET contribution = CASE WHEN t.total > 0 THEN {table}.amount_52w * 1.0 / t.total ELSE 0 END "
        f"FROM (SELECT service_area_id, SUM(amount_52w) AS total FROM {table} GROUP BY service_area_id) t "
        f"WHERE t.service_area_id = {table}.service_area_id"
    )
    ratings, rating_params = sql_of(visit_satisfaction_by_retailer(since=window_start))
    _execute(
        f"UPDATE {table} SET visit_rating = v.rating FROM ({ratings}) v WHERE v.retailer_id = {table}.retailer_id",
        rating_params,
    )
    surveys = survey_satisfaction_by_retailer(retailers=retailers_for_summaries(), since=window_start)
    if surveys:
        # into a scratch table at once, then one UPDATE (an UPDATE per shop took 3.1 s for 80,000
        # shops on PostgreSQL)
        _execute(f"DROP TABLE IF EXISTS {SURVEY_FIGURES}")
        _execute(
            f"CREATE TEMPORARY TABLE {SURVEY_FIGURES} "
            "(retailer_id BIGINT PRIMARY KEY, responses INTEGER, csat NUMERIC, nps NUMERIC)"
        )
        insert_rows(
            SURVEY_FIGURES,
            ["retailer_id", "responses", "csat", "nps"],
            ((retailer_id, row.responses, row.csat, row.nps) for retailer_id, row in surveys.items()),
        )
        statistics_refresh(SURVEY_FIGURES)
        _execute(
            f"UPDATE {table} SET survey_responses = f.responses, csat = f.csat, nps = f.nps "
            f"FROM {SURVEY_FIGURES} f WHERE f.retailer_id = {table}.retailer_id"
        )
        _execute(f"DROP TABLE {SURVEY_FIGURES}")


def _rebuild_area_tiers() -> None:
    """The standings summed per service area and tier (after every standing is written)."""
    _clear(AreaTierStanding, "service_area_id", None)
    grouped = ShopStanding.objects.order_by().values("service_area_id", "tier").annotate(**_sums(AreaTierStanding.SUMS))
    inner, params = sql_of(grouped)
    columns = ", ".join(AreaTierStanding.SUMS)
    sums = ", ".join(f"{name}_sum" for name in AreaTierStanding.SUMS)
    _execute(
        f"INSERT INTO {AreaTierStanding._meta.db_table} (service_area_id, tier, {columns}) "
        f"SELECT service_area_id, tier, {sums} FROM ({inner}) g",
        params,
    )
