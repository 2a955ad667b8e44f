"""The few SQL expressions that differ between SQLite (dates as ISO text) and PostgreSQL, in one
place, as ORM functions so that querysets of other apps' selectors can be grouped with them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import DateField, Func, IntegerField


class WeekStart(Func):
    """The Monday of a date's week (SQLite's date() is C code; Django's TruncWeek calls Python per row)."""

    output_field = DateField()
    # through timestamp, not PostgreSQL's default timestamptz (a time-zone conversion per row)
    template = "CAST(date_trunc('week', CAST(%(expressions)s AS timestamp)) AS date)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'weekday 0', '-6 days')")


class MonthStart(Func):
    """The first day of a date's month."""

    output_field = DateField()
    template = "CAST(date_trunc('month', CAST(%(expressions)s AS timestamp)) AS date)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'start of month')")


class MonthNumber(Func):
    """A date's month counted from year 0 (year × 12 + month − 1): an integer, for a grouping key
    packed into one integer (SQLite only, where dates are ISO text; see month_of_number_sql)."""

    output_field = IntegerField()
    template = (
        "(CAST(substr(%(expressions)s, 1, 4) AS integer) * 12 + CAST(substr(%(expressions)s, 6, 2) AS integer) - 1)"
    )


def month_of_number_sql(number: str) -> str:
    """The first day of the month that MonthNumber gave `number` (SQLite)."""
    return f"printf('%%04d-%%02d-01', ({number}) / 12, ({number}) %% 12 + 1)"


def groups_by_adding() -> bool:
    """Whether large groupings are better done by adding each row to its group's row (INSERT …
    ON CONFLICT DO UPDATE) than by GROUP BY. SQLite has no hash aggregate: its GROUP BY of millions
    of rows sorts them all (the full refresh spent 345 s of 532 sorting 53 million order lines
    into area × product × month at 300,000 shops), while adding row by row into a table keyed by
    one integer, or in the key's order from an index, costs a third to a tenth. PostgreSQL groups
    by hashing, in parallel, and pays a write per row for an upsert: it groups."""
    return connection.vendor == "sqlite"


def allow_large_groupings() -> None:
    """PostgreSQL: let this transaction's hash aggregates hold the shop weeks in memory (at the
    default work_mem of 4 MB, grouping 9 M orders into shop weeks spilled to disk in 64 partitions
    and took over 5 minutes at 300,000 shops)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '512MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")  # for the indexes a full refresh builds


@contextmanager
def ordered_groupings() -> Iterator[None]:
    """PostgreSQL, for the statements within: group rows in the order an index gives them (a
    sorted or incremental-sort GroupAggregate) rather than by hashing (the planner's choice when it
    underestimates the groups). SET LOCAL: should a statement fail, the rollback restores it.
    SQLite has no hash aggregate: nothing to change."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashagg = off")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashagg = on")


def months_between_sql(later: str, earlier: str) -> str:
    """Months from `earlier` to `later` (SQL expressions of dates), to the nearest whole month of
    30.4375 days (a year's twelfth)."""
    if connection.vendor == "postgresql":
        return f"CAST(ROUND((CAST({later} AS date) - {earlier}) / 30.4375) AS integer)"
    return f"CAST((julianday({later}) - julianday({earlier})) / 30.4375 + 0.5 AS integer)"


def sql_of(queryset) -> tuple[str, tuple]:
    """A queryset's SQL and parameters, to be used as a sub-select of a set-based statement."""
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)
