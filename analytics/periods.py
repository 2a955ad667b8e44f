"""The period an analytics page looks at (whole months), and the two it is compared with."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _

from crm_site.formatting import format_month


@dataclass(frozen=True)
class Period:
    """The months [start, end): start and end are first days of months."""

    start: datetime.date
    end: datetime.date

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    def shifted(self, months: int) -> Period:
        return Period(self.start + relativedelta(months=months), self.end + relativedelta(months=months))

    @property
    def previous(self) -> Period:
        """The period of the same length just before."""
        return self.shifted(-self.months)

    @property
    def last_year(self) -> Period:
        return self.shifted(-12)

    @property
    def label(self) -> str:
        last = self.end - relativedelta(months=1)
        if self.months == 1:
            return format_month(self.start)
        return _("%(first)s to %(last)s") % {"first": format_month(self.start), "last": format_month(last)}

    def contains(self, month: datetime.date) -> bool:
        return self.start <= month < self.end


def month_period(day: datetime.date) -> Period:
    start = day.replace(day=1)
    return Period(start, start + relativedelta(months=1))


def quarter_period(day: datetime.date) -> Period:
    start = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return Period(start, start + relativedelta(months=3))


def year_period(day: datetime.date) -> Period:
    return Period(datetime.date(day.year, 1, 1), datetime.date(day.year + 1, 1, 1))


def default_period(today: datetime.date) -> Period:
    """The last complete month: a month under way would read as a fall against the one before."""
    return month_period(today.replace(day=1) - relativedelta(months=1))


def change(current, base) -> Decimal | None:
    """The relative change from `base` to `current` (0.25 for a quarter more); None without a base."""
    if not base:
        return None
    return (Decimal(current or 0) - Decimal(base)) / Decimal(base)
