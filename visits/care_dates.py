"""Care dates (关怀): the festivals the trade marks and the owner's birthdays, solar and lunar.

Pure functions, no database. The lunar calendar comes from lunar-python, not a hand-made table.

Rules chosen where a date does not exist every year:
- A lunar birthday in a leap month (闰月) falls, in a lunar year without that leap month, on the
  same day of the ordinary month of that number; an ordinary-month birthday is always kept in the
  ordinary month, even in a year that also has a leap month of that number.
- A lunar birthday on day 30 falls, in a year whose month has only 29 days, on day 29 (the last
  day of that month), never on the first day of the next month.
- A solar birthday on 29 February falls on 28 February in a common year (it stays in February).
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext_lazy as _
from lunar_python import Lunar, LunarMonth, LunarYear


class Festival(models.TextChoices):
    """The lunar festivals the trade marks with a care visit."""

    SPRING = "spring", _("Spring Festival")
    LANTERN = "lantern", _("Lantern Festival")
    DRAGON_BOAT = "dragon_boat", _("Dragon Boat Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")
    DOUBLE_NINTH = "double_ninth", _("Double Ninth Festival")


class Birthday(models.TextChoices):
    """The owner's birthday, by the solar or the lunar calendar."""

    SOLAR = "birthday", _("Birthday")
    LUNAR = "lunar_birthday", _("Lunar birthday")


class LunarBirthday(NamedTuple):
    """A birthday by the lunar calendar: lunar month 1–12, day 1–30, and whether the month is a leap one."""

    month: int
    day: int
    leap_month: bool = False


# (lunar month, lunar day) of each festival; every one falls in the solar year of its lunar year.
_FESTIVAL_LUNAR_DAYS: dict[Festival, tuple[int, int]] = {
    Festival.SPRING: (1, 1),
    Festival.LANTERN: (1, 15),
    Festival.DRAGON_BOAT: (5, 5),
    Festival.MID_AUTUMN: (8, 15),
    Festival.DOUBLE_NINTH: (9, 9),
}


def _lunar_to_solar(year: int, month: int, day: int) -> datetime.date:
    """The solar date of lunar year/month/day; a negative month is the leap month of that number."""
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


def festival_dates(year: int) -> dict[Festival, datetime.date]:
    """The solar date of each festival of the lunar year `year` (they all fall in solar year `year`)."""
    return {festival: _lunar_to_solar(year, month, day) for festival, (month, day) in _FESTIVAL_LUNAR_DAYS.items()}


def lunar_birthday_in(year: int, *, month: int, day: int, leap_month: bool = False) -> datetime.date:
    """The solar date of the lunar birthday month/day (leap month or not) in the lunar year `year`.

    A leap-month birthday in a year without that leap month falls in the ordinary month; day 30 in
    a month of 29 days that year falls on day 29 (see the module docstring).
    """
    if not 1 <= month <= 12 or not 1 <= day <= 30:
        raise ValueError(f"no lunar month {month} day {day}")
    lunar_month = -month if leap_month and LunarYear.fromYear(year).getLeapMonth() == month else month
    days_in_month = LunarMonth.fromYm(year, lunar_month).getDayCount()
    return _lunar_to_solar(year, lunar_month, min(day, days_in_month))


def solar_birthday_in(year: int, birthday: datetime.date) -> datetime.date:
    """The birthday `birthday` in the solar year `year`; 29 February is 28 February in a common year."""
    try:
        return birthday.replace(year=year)
    except ValueError:  # 29 February in a common year
        return datetime.date(year, 2, 28)


def upcoming_care_dates(
    *,
    today: datetime.date,
    days_ahead: int,
    birthday: datetime.date | None = None,
    lunar_birthday: LunarBirthday | tuple[int, int, bool] | None = None,
) -> list[tuple[datetime.date, Festival | Birthday]]:
    """The care dates from `today` to `today + days_ahead` inclusive, sorted by date.

    Festivals and solar birthdays of every solar year the window touches are tried. A lunar
    year runs from late January or February to the next one, so a lunar birthday in solar year Y
    may belong to lunar year Y - 1 (its months 11–12): lunar years from the window's first
    solar year minus one to its last are tried.
    """
    if days_ahead < 0:
        raise ValueError("days_ahead must not be negative")
    last = today + datetime.timedelta(days=days_ahead)
    years = range(today.year, last.year + 1)
    candidates: list[tuple[datetime.date, Festival | Birthday]] = [
        (date, festival) for year in years for festival, date in festival_dates(year).items()
    ]
    if birthday is not None:
        candidates += [(solar_birthday_in(year, birthday), Birthday.SOLAR) for year in years]
    if lunar_birthday is not None:
        month, day, leap_month = lunar_birthday
        candidates += [
            (lunar_birthday_in(year, month=month, day=day, leap_month=leap_month), Birthday.LUNAR)
            for year in range(today.year - 1, last.year + 1)
        ]
    return sorted((date, kind) for date, kind in candidates if today <= date <= last)
