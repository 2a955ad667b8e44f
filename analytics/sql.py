"""The few SQL expressions that differ between SQLite (dates as ISO text) and PostgreSQL, in one
place, as ORM functions so that querysets of other apps' selectors can be grouped with them."""

from __future__ import annotations

from django.db import connection
from django.db.models import DateField, Func


class WeekStart(Func):
    """The Monday of a date's week (SQLite's date() is C code; Django's TruncWeek calls Python per row)."""

    output_field = DateField()
    template = "CAST(date_trunc('week', %(expressions)s) AS date)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'weekday 0', '-6 days')")


class MonthStart(Func):
    """The first day of a date's month."""

    output_field = DateField()
    template = "CAST(date_trunc('month', %(expressions)s) AS date)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'start of month')")


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
