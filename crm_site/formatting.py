"""How a number, a share or a length of time reads on a page, the same in Chinese and English.

Counts and money carry thousands separators (the format modules in crm_site/formats set them
for both languages), shares read as percentages and durations in days, hours and minutes:
never a raw float, a Python timedelta or "0:00:17.337745". Templates use the filters of the
same names in crm_tags; Python code that builds a sentence (a message, a chart label) calls
these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import date_format, get_format, number_format
from django.utils.translation import gettext, pgettext

Number = int | float | Decimal


def _rounded(value: Number, decimals: int) -> Decimal:
    """Half up, as people and Excel round (number_format alone would cut 12345.6 to 12345)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_count(value: Number | None) -> str:
    """1234567 -> "1,234,567"; None -> "—"."""
    if value is None or value == "":
        return "—"
    if type(value) is int and get_format("NUMBER_GROUPING") == 3:
        # The common case, without number_format's machinery (a table of a few hundred lines
        # formats thousands of counts): Python's own grouping by threes, with the language's separator.
        return f"{value:,}".replace(",", get_format("THOUSAND_SEPARATOR"))
    return number_format(_rounded(value, 0), 0, use_l10n=True, force_grouping=True)


def format_money(value: Number | None, decimals: int = 2) -> str:
    """Yuan with thousands separators: 12345.6 -> "12,345.60"."""
    if value is None or value == "":
        return "—"
    return number_format(_rounded(value, decimals), decimals, use_l10n=True, force_grouping=True)


def format_share(value: Number | None, decimals: int = 1) -> str:
    """A share between 0 and 1 as a percentage: 0.1234 -> "12.3%"; None -> "—"."""
    if value is None or value == "":
        return "—"
    return (
        number_format(_rounded(Decimal(str(value)) * 100, decimals), decimals, use_l10n=True, force_grouping=True) + "%"
    )


def format_month(value: date) -> str:
    """A month (its first day) as charts and reports label it: "2026年3月" / "2026-03"."""
    return date_format(value, pgettext("a month on a chart, as a date format", "Y-m"))


def format_list(items: Iterable[object]) -> str:
    """Items one after the other as the language writes a list: "甲、乙" / "A, B"."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def format_duration(value: timedelta | Number | None) -> str:
    """A length of time (a timedelta, or seconds) in the two largest units that matter:
    "3天4小时", "2小时15分", "30分钟", "17秒" in Chinese; "3 d 4 h", "2 h 15 min", "17 s" in English."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    sign = "-" if seconds < 0 else ""
    seconds = round(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = (
        (days, gettext("%(n)s d")),
        (hours, gettext("%(n)s h")),
        (minutes, gettext("%(n)s min")),
        (secs, gettext("%(n)s s")),
    )
    first = next((index for index, (amount, _unit) in enumerate(units) if amount), len(units) - 1)
    parts = [unit % {"n": format_count(amount)} for amount, unit in units[first : first + 2] if amount]
    if not parts:
        return units[-1][1] % {"n": 0}
    if len(parts) == 1:
        if units[first][0] == minutes and first == 2:  # "30分" alone reads as points in Chinese: "30分钟"
            return sign + pgettext("minutes alone, not after hours", "%(n)s min") % {"n": format_count(minutes)}
        return sign + parts[0]
    return sign + pgettext("a duration in two units", "%(larger)s %(smaller)s") % {
        "larger": parts[0],
        "smaller": parts[1],
    }
