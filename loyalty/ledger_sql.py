"""The ledger's set-based SQL, shared by the services (writes) and the selectors (reads).

Everything here runs on SQLite and PostgreSQL; the few expressions the two say differently are
the functions at the top, and nowhere else."""

# The SQL here is built from table names and constants only; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.db import connection

from loyalty.models import EarnRule, EntryKind, ExpiryMode, PointsAccount, PointsEntry, PointsPolicy, RuleKind
from retailers.models import Order, OrderLine, Product, Retailer, Tier

ENTRY = PointsEntry._meta.db_table
ACCOUNT = PointsAccount._meta.db_table
RULE = EarnRule._meta.db_table
ORDER = Order._meta.db_table
LINE = OrderLine._meta.db_table
PRODUCT = Product._meta.db_table
RETAILER = Retailer._meta.db_table

TOTALS = "loyalty_account_totals"  # SQLite's scratch table of totals_per_account

# Columns every INSERT ... SELECT into the ledger fills, in this order.
ENTRY_COLUMNS = "account_id, kind, points, source_id, revision, booked_on, expires_on, basis, reason, created_at"


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def whole_points(expression: str) -> str:
    """Points are whole: the fraction is dropped (after rounding away binary noise on SQLite)."""
    if _postgres():
        return f"CAST(TRUNC(ROUND(CAST({expression} AS NUMERIC), 6)) AS BIGINT)"
    return f"CAST(ROUND({expression}, 6) AS INTEGER)"


def least(first: str, second: str) -> str:
    return f"LEAST({first}, {second})" if _postgres() else f"MIN({first}, {second})"


def greatest(first: str, second: str) -> str:
    return f"GREATEST({first}, {second})" if _postgres() else f"MAX({first}, {second})"


def plus_days(day: str, days: str) -> str:
    return f"({day} + CAST({days} AS INTEGER))" if _postgres() else f"date({day}, '+' || ({days}) || ' days')"


def expiry_sql(day: str, policy: PointsPolicy) -> str:
    """The SQL of the last day on which points earned on `day` may be spent."""
    if policy.expiry_mode == ExpiryMode.NEXT_YEAR_END:
        unit, step = "year", 2
    else:
        unit, step = "month", policy.expiry_months + 1
    if _postgres():
        return f"CAST(date_trunc('{unit}', {day}) + interval '{step} {unit}s' - interval '1 day' AS DATE)"
    return f"date({day}, 'start of {unit}', '+{step} {unit}s', '-1 day')"


def expiry_for(day: datetime.date, policy: PointsPolicy) -> datetime.date:
    """The same in Python, for an entry written one at a time."""
    if policy.expiry_mode == ExpiryMode.NEXT_YEAR_END:
        return datetime.date(day.year + 1, 12, 31)
    months = day.month + policy.expiry_months  # the month after the last month of the period
    first_after = datetime.date(day.year + months // 12, months % 12 + 1, 1)
    return first_after - datetime.timedelta(days=1)


def multiplier_sql(retailer: str, multipliers: dict[str, Decimal]) -> str:
    """The tier's points multiplier (grading's service policy) for the shop `retailer`, inlined as
    literals (few, and all Decimals read from the database)."""
    whens = " ".join(f"WHEN '{tier}' THEN {Decimal(value)}" for tier, value in multipliers.items() if tier)
    return f"(CASE {retailer}.tier {whens} ELSE {Decimal(multipliers[Tier.ORDINARY])} END)"


def valid_on(rule: str, day: str) -> str:
    return f"{rule}.valid_from <= {day} AND ({rule}.valid_to IS NULL OR {rule}.valid_to >= {day})"


def day_series_sql() -> str:
    """Every day from %(first_day)s to %(last_day)s (column day)."""
    if _postgres():
        return (
            "SELECT CAST(generate_series(CAST(%(first_day)s AS DATE), CAST(%(last_day)s AS DATE), interval '1 day') "
            "AS DATE) AS day"
        )
    return (
        "WITH RECURSIVE series(day) AS (SELECT date(%(first_day)s) UNION ALL "
        "SELECT date(day, '+1 day') FROM series WHERE day < %(last_day)s) SELECT day FROM series"
    )


def days_sql(policy: PointsPolicy) -> str:
    """Per day of the series, what an order of that day earns per yuan at the general purchase rate
    and the day its points expire: columns day, rate, expires_on. The rules' validity and the expiry
    are worked out once a day here rather than once an order (or a line) in the big statements.
    (At most one general rate is valid on a day: the table keyed by day refuses two.)"""
    general = f"rb.kind = '{RuleKind.PURCHASE}' AND rb.price_class IS NULL AND {valid_on('rb', 'd.day')}"
    return f"""
    SELECT d.day, COALESCE(rb.points, 0) AS rate, {expiry_sql("d.day", policy)} AS expires_on
    FROM ({day_series_sql()}) d LEFT JOIN {RULE} rb ON {general}"""


def product_days_sql(*, days: str) -> str:
    """Per product and day of the series on which its lines earn something of their own: the extra
    per yuan of a price class with its own purchase rate (the class rate minus the general one of
    `days`, the relation of days_sql) and the bonus per carton of a product within N days of its
    launch. Columns product_id, day, extra, bonus; only the pairs with an extra or a bonus, so that
    a line of any other product is left out by one probe. (A few products times a few hundred days:
    the rules' validity is worked out here, once, not once a line.)"""
    launched = (
        f"rn.id IS NOT NULL AND p.launched_on IS NOT NULL AND d.day >= p.launched_on "
        f"AND d.day <= {plus_days('p.launched_on', 'rn.new_product_days')}"
    )
    return f"""
    SELECT product_id, day, extra, bonus FROM (
      SELECT p.id AS product_id, d.day,
        CASE WHEN rc.id IS NOT NULL THEN rc.points - d.rate ELSE 0 END AS extra,
        CASE WHEN {launched} THEN rn.points ELSE 0 END AS bonus
      FROM {PRODUCT} p CROSS JOIN {days} d
      LEFT JOIN {RULE} rc ON rc.kind = '{RuleKind.PURCHASE}' AND rc.price_class = p.price_class
        AND {valid_on("rc", "d.day")}
      LEFT JOIN {RULE} rn ON rn.kind = '{RuleKind.NEW_PRODUCT}' AND {valid_on("rn", "d.day")}
    ) pd WHERE extra <> 0 OR bonus <> 0"""


def line_points_sql(scope: str, *, product_days: str, by_product: bool) -> str:
    """The lines of the orders of `scope` that earn something of their own (`product_days`, the
    relation of product_days_sql), summed per order: columns order_id, extra (yuan times the class
    extra), bonus (cartons times the bonus), before the multiplier. `scope` is an SQL condition on
    the order alias written `{o}`.

    Read `by_product` (a year of orders: the lines of the few products that earn, through the
    lines' product index) or by order (a night's orders, a few corrected ones: their lines through
    the (order, product) key). CROSS JOIN fixes SQLite's join order; PostgreSQL plans its own."""
    if by_product:
        tables = f"(SELECT DISTINCT product_id FROM {product_days}) pp CROSS JOIN {LINE} l CROSS JOIN {ORDER} lo"
        joins = "l.product_id = pp.product_id AND lo.id = l.order_id"
    else:
        tables, joins = f"{ORDER} lo CROSS JOIN {LINE} l", "l.order_id = lo.id"
    return f"""
    SELECT l.order_id, SUM(l.amount * pd.extra) AS extra, SUM(l.quantity * pd.bonus) AS bonus
    FROM {tables} CROSS JOIN {product_days} pd
    WHERE {joins} AND pd.product_id = l.product_id AND pd.day = lo.ordered_on AND {scope.format(o="lo")}
    GROUP BY l.order_id"""


def shops_sql(multipliers: dict[str, Decimal]) -> str:
    """Each shop's account and tier multiplier: columns retailer_id, account_id, multiplier."""
    return (
        f"SELECT a.retailer_id, a.id AS account_id, {multiplier_sql('s', multipliers)} AS multiplier "
        f"FROM {ACCOUNT} a JOIN {RETAILER} s ON s.id = a.retailer_id"
    )


def order_points_sql(scope: str, *, lines: str, shops: str, days: str, lines_only: bool = False) -> str:
    """What each order of `scope` earns under today's rules: columns order_id, account_id,
    ordered_on, amount, expires_on, purchase, new_product. `lines` is the relation of
    line_points_sql for these orders, `shops` that of shops_sql and `days` that of days_sql (each a
    table, or its query in parentheses); `lines_only`: only the orders with lines in `lines`.

    Purchase: the amount at the general rate of its day plus the lines' class extra; new product:
    the lines' bonus; both times the shop's tier multiplier. (With `lines_only` the few orders of
    `lines` come first: CROSS JOIN keeps SQLite from reading every order of the scope to probe
    them.)"""
    if lines_only:
        orders = f"{lines} lp CROSS JOIN {ORDER} o"
    else:
        orders = f"{ORDER} o LEFT JOIN {lines} lp ON lp.order_id = o.id"
    return f"""
    SELECT o.id AS order_id, sh.account_id, o.ordered_on, o.amount, d.expires_on,
      {whole_points("(o.amount * d.rate + COALESCE(lp.extra, 0)) * sh.multiplier")} AS purchase,
      {whole_points("COALESCE(lp.bonus, 0) * sh.multiplier")} AS new_product
    FROM {orders}
    JOIN {shops} sh ON sh.retailer_id = o.retailer_id
    JOIN {days} d ON d.day = o.ordered_on
    WHERE {scope.format(o="o")}{" AND o.id = lp.order_id" if lines_only else ""}"""


def key_column() -> str:
    """The type of a scratch table's id key: on SQLite an INTEGER PRIMARY KEY is the rowid itself
    (one B-tree probe, not an index and then the row)."""
    return "BIGINT PRIMARY KEY" if _postgres() else "INTEGER PRIMARY KEY"


def memory_for_big_statements() -> None:
    """For the rest of the transaction, memory enough (PostgreSQL) to group millions of rows by
    hashing and to build the ledger's indexes without spilling to disk (the server's defaults, 4 MB
    and 64 MB, are for many small queries). SQLite has its own page cache already."""
    if _postgres():
        run("SET LOCAL work_mem = '256MB'")
        run("SET LOCAL maintenance_work_mem = '512MB'")


@contextlib.contextmanager
def totals_per_account(rows: str, params: dict) -> Iterator[str]:
    """The sum of `rows` (a query with columns account_id, points) per account, as a relation with
    columns account_id, total. PostgreSQL groups by hashing; SQLite can only group by sorting (51 s
    for the 12 million entries of a first year at 300,000 shops), so there the rows are added up
    into a temporary table keyed by account, one probe a row (a third of the CPU time)."""
    if _postgres():
        yield f"(SELECT r.account_id, SUM(r.points) AS total FROM ({rows}) r GROUP BY r.account_id)"
        return
    run(f"DROP TABLE IF EXISTS {TOTALS}")
    run(f"CREATE TEMPORARY TABLE {TOTALS} (account_id INTEGER PRIMARY KEY, total INTEGER NOT NULL)")
    run(
        f"""INSERT INTO {TOTALS} (account_id, total) SELECT r.account_id, r.points FROM ({rows}) r WHERE true
        ON CONFLICT (account_id) DO UPDATE SET total = total + excluded.total""",
        params,
    )
    yield TOTALS
    run(f"DROP TABLE {TOTALS}")


def lots_sql(accounts: str) -> str:
    """FIFO: each earning (a lot, an entry with an expiry date) of the accounts `accounts` (an SQL
    condition on the alias `e`), with what is left of it: points are consumed (by redemptions,
    expiries, negative corrections and adjustments; a refund gives back) earliest expiry first, so
    a lot's remainder is its running total minus what was consumed, within 0 … its points.
    Columns account_id, entry_id, expires_on, points, remainder."""
    return f"""
    SELECT l.account_id, l.id AS entry_id, l.expires_on, l.points,
      {least("l.points", greatest("0", "l.through - COALESCE(u.used, 0)"))} AS remainder
    FROM (
      SELECT e.id, e.account_id, e.points, e.expires_on,
        SUM(e.points) OVER (PARTITION BY e.account_id ORDER BY e.expires_on, e.id
                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS through
      FROM {ENTRY} e WHERE e.expires_on IS NOT NULL AND {accounts}
    ) l
    LEFT JOIN (
      SELECT e.account_id, -SUM(e.points) AS used FROM {ENTRY} e
      WHERE e.expires_on IS NULL AND {accounts} GROUP BY e.account_id
    ) u ON u.account_id = l.account_id"""


def kinds_sql(kinds) -> str:
    """An IN list of entry kinds (constants of EntryKind, never user input)."""
    return ", ".join(f"'{EntryKind(kind).value}'" for kind in kinds)


def run(sql: str, params: dict | None = None) -> int:
    """Execute one statement; the number of rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def fetch(sql: str, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def day_param(day: datetime.date):
    return connection.ops.adapt_datefield_value(day)


def time_param(moment: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(moment)
