"""The ledger's set-based SQL, shared by the services (writes) and the selectors (reads).

Everything here runs on SQLite and PostgreSQL; the few expressions the two say differently are
the functions at the top, and nowhere else."""

# The SQL here is built from table names and constants only; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime
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


def line_points_sql(scope: str) -> str:
    """One pass over the lines of the orders of `scope`: per order, the extra of its lines whose
    price class has its own purchase rate (the class rate minus the general one, per yuan) and the
    new-product bonus (per carton of a product ordered within N days of its launch), before the
    multiplier. Columns order_id, extra, bonus; nothing is read when no rule needs lines. `scope`
    is an SQL condition on the order alias written `{o}`."""
    general = f"rb.kind = '{RuleKind.PURCHASE}' AND rb.price_class IS NULL"
    launched = (
        f"rn.id IS NOT NULL AND p.launched_on IS NOT NULL AND lo.ordered_on >= p.launched_on "
        f"AND lo.ordered_on <= {plus_days('p.launched_on', 'rn.new_product_days')}"
    )
    return f"""
    SELECT l.order_id,
      SUM(CASE WHEN rc.id IS NOT NULL THEN l.amount * (rc.points - COALESCE(rb.points, 0)) ELSE 0 END) AS extra,
      SUM(CASE WHEN {launched} THEN l.quantity * rn.points ELSE 0 END) AS bonus
    FROM {LINE} l
    JOIN {ORDER} lo ON lo.id = l.order_id
    JOIN {PRODUCT} p ON p.id = l.product_id
    LEFT JOIN {RULE} rc ON rc.kind = '{RuleKind.PURCHASE}' AND rc.price_class = p.price_class
      AND {valid_on("rc", "lo.ordered_on")}
    LEFT JOIN {RULE} rb ON {general} AND {valid_on("rb", "lo.ordered_on")}
    LEFT JOIN {RULE} rn ON rn.kind = '{RuleKind.NEW_PRODUCT}' AND {valid_on("rn", "lo.ordered_on")}
    WHERE {scope.format(o="lo")} AND EXISTS (
      SELECT 1 FROM {RULE} rk WHERE rk.kind = '{RuleKind.NEW_PRODUCT}'
        OR (rk.kind = '{RuleKind.PURCHASE}' AND rk.price_class IS NOT NULL))
    GROUP BY l.order_id"""


def new_product_lines_sql(scope: str) -> str:
    """The new-product bonus alone, read from the lines of the products launched on or after
    %(launched_since)s (through their product index) rather than from every line of the orders:
    for a first run over a year of orders when no price class has its own rate, the few new
    products' lines instead of all of them. Same columns as line_points_sql."""
    return f"""
    SELECT l.order_id, 0 AS extra, SUM(l.quantity * rn.points) AS bonus
    FROM {RULE} rn CROSS JOIN {PRODUCT} p CROSS JOIN {LINE} l CROSS JOIN {ORDER} lo
    WHERE rn.kind = '{RuleKind.NEW_PRODUCT}' AND p.launched_on >= %(launched_since)s AND l.product_id = p.id
      AND lo.id = l.order_id AND {valid_on("rn", "lo.ordered_on")} AND lo.ordered_on >= p.launched_on
      AND lo.ordered_on <= {plus_days("p.launched_on", "rn.new_product_days")} AND {scope.format(o="lo")}
    GROUP BY l.order_id"""


def shops_sql(multipliers: dict[str, Decimal]) -> str:
    """Each shop's account and tier multiplier: columns retailer_id, account_id, multiplier."""
    return (
        f"SELECT a.retailer_id, a.id AS account_id, {multiplier_sql('s', multipliers)} AS multiplier "
        f"FROM {ACCOUNT} a JOIN {RETAILER} s ON s.id = a.retailer_id"
    )


def order_points_sql(scope: str, *, lines: str, shops: str) -> str:
    """What each order of `scope` earns under today's rules: columns order_id, account_id,
    ordered_on, amount, purchase, new_product. `lines` is the relation of line_points_sql for these
    orders and `shops` that of shops_sql (each a table, or its query in parentheses).

    Purchase: the amount at the general rate plus the lines' class extra; new product: the lines'
    bonus; both times the shop's tier multiplier. (At most one rule of a kind and class is valid
    on a day, so each join finds one rule or none.)"""
    return f"""
    SELECT o.id AS order_id, sh.account_id, o.ordered_on, o.amount,
      {whole_points("(o.amount * COALESCE(rb.points, 0) + COALESCE(lp.extra, 0)) * sh.multiplier")} AS purchase,
      {whole_points("COALESCE(lp.bonus, 0) * sh.multiplier")} AS new_product
    FROM {ORDER} o
    JOIN {shops} sh ON sh.retailer_id = o.retailer_id
    LEFT JOIN {RULE} rb ON rb.kind = '{RuleKind.PURCHASE}' AND rb.price_class IS NULL
      AND {valid_on("rb", "o.ordered_on")}
    LEFT JOIN {lines} lp ON lp.order_id = o.id
    WHERE {scope.format(o="o")}"""


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
