"""Care dates: the lunar festivals, lunar and solar birthdays (leap months, day 30, 29 February)
and the window of upcoming care dates across a year boundary. Expected dates checked against
lunar-python (Lunar.fromYmd(...).getSolar()); no database."""

import datetime

import pytest
from django.utils import translation

from visits.care_dates import (
    Birthday,
    Festival,
    LunarBirthday,
    festival_dates,
    lunar_birthday_in,
    solar_birthday_in,
    upcoming_care_dates,
)

D = datetime.date


def test_festival_dates_2025():
    assert festival_dates(2025) == {
        Festival.SPRING: D(2025, 1, 29),
        Festival.LANTERN: D(2025, 2, 12),
        Festival.DRAGON_BOAT: D(2025, 5, 31),
        Festival.MID_AUTUMN: D(2025, 10, 6),
        Festival.DOUBLE_NINTH: D(2025, 10, 29),
    }


def test_festival_dates_2026():
    dates = festival_dates(2026)
    assert dates[Festival.SPRING] == D(2026, 2, 17)
    assert dates[Festival.LANTERN] == D(2026, 3, 3)
    assert dates[Festival.DRAGON_BOAT] == D(2026, 6, 19)
    assert dates[Festival.MID_AUTUMN] == D(2026, 9, 25)
    assert dates[Festival.DOUBLE_NINTH] == D(2026, 10, 18)


def test_festival_dates_2024_leap_solar_year():
    assert festival_dates(2024) == {
        Festival.SPRING: D(2024, 2, 10),
        Festival.LANTERN: D(2024, 2, 24),
        Festival.DRAGON_BOAT: D(2024, 6, 10),
        Festival.MID_AUTUMN: D(2024, 9, 17),
        Festival.DOUBLE_NINTH: D(2024, 10, 11),
    }


def test_lunar_birthday_normal_case():
    assert lunar_birthday_in(2026, month=6, day=10) == D(2026, 7, 23)


def test_lunar_birthday_late_in_the_lunar_year_falls_in_the_next_solar_year():
    assert lunar_birthday_in(2025, month=12, day=20) == D(2026, 2, 7)


def test_lunar_leap_month_birthday_in_a_year_with_that_leap_month():
    # 2025 has a leap sixth month (闰六月).
    assert lunar_birthday_in(2025, month=6, day=10, leap_month=True) == D(2025, 8, 3)


def test_ordinary_month_birthday_stays_in_the_ordinary_month_of_a_leap_year():
    assert lunar_birthday_in(2025, month=6, day=10) == D(2025, 7, 4)


def test_lunar_leap_month_birthday_in_a_year_without_it_falls_in_the_ordinary_month():
    # 2026 has no leap month: 闰六月初十 is kept on 六月初十.
    assert lunar_birthday_in(2026, month=6, day=10, leap_month=True) == D(2026, 7, 23)
    # 2025's leap month is the sixth, not the second.
    assert lunar_birthday_in(2025, month=2, day=1, leap_month=True) == D(2025, 2, 28)


def test_lunar_day_30_in_a_month_of_29_days_falls_on_day_29():
    # The second month of 2025 has 29 days: 二月三十 is kept on 二月廿九, not 三月初一 (2025-03-29).
    assert lunar_birthday_in(2025, month=2, day=30) == D(2025, 3, 28)
    # The twelfth month of 2025 has 29 days: 除夕 2026-02-16, not 春节.
    assert lunar_birthday_in(2025, month=12, day=30) == D(2026, 2, 16)


def test_lunar_day_30_in_a_month_of_30_days_is_kept():
    assert lunar_birthday_in(2025, month=1, day=30) == D(2025, 2, 27)


def test_lunar_day_30_in_a_short_leap_month_falls_on_its_day_29():
    # 2023's leap second month has 29 days (its ordinary second month 30).
    assert lunar_birthday_in(2023, month=2, day=30, leap_month=True) == D(2023, 4, 19)


@pytest.mark.parametrize(("month", "day"), [(0, 1), (13, 1), (1, 0), (1, 31)])
def test_lunar_birthday_rejects_impossible_days(month, day):
    with pytest.raises(ValueError):
        lunar_birthday_in(2025, month=month, day=day)


def test_solar_birthday_normal_case():
    assert solar_birthday_in(2026, D(1980, 10, 6)) == D(2026, 10, 6)


def test_solar_birthday_29_february_is_28_february_in_a_common_year():
    assert solar_birthday_in(2025, D(2000, 2, 29)) == D(2025, 2, 28)


def test_solar_birthday_29_february_is_kept_in_a_leap_year():
    assert solar_birthday_in(2028, D(2000, 2, 29)) == D(2028, 2, 29)


def test_upcoming_care_dates_across_the_year_boundary():
    upcoming = upcoming_care_dates(
        today=D(2025, 12, 20),
        days_ahead=60,
        birthday=D(1975, 1, 5),
        lunar_birthday=LunarBirthday(month=12, day=20),
    )
    assert upcoming == [
        (D(2026, 1, 5), Birthday.SOLAR),
        (D(2026, 2, 7), Birthday.LUNAR),  # 腊月二十 of lunar year 2025
        (D(2026, 2, 17), Festival.SPRING),
    ]


def test_upcoming_lunar_birthday_of_the_previous_lunar_year_in_january():
    # 冬月三十 of lunar year 2025 falls on 2026-01-18: seen from January 2026 it is lunar year 2025's.
    upcoming = upcoming_care_dates(today=D(2026, 1, 10), days_ahead=10, birthday=None, lunar_birthday=(11, 30, False))
    assert upcoming == [(D(2026, 1, 18), Birthday.LUNAR)]


def test_upcoming_care_dates_bounds_are_inclusive():
    assert upcoming_care_dates(today=D(2025, 10, 6), days_ahead=0) == [(D(2025, 10, 6), Festival.MID_AUTUMN)]
    assert upcoming_care_dates(today=D(2025, 10, 5), days_ahead=1) == [(D(2025, 10, 6), Festival.MID_AUTUMN)]
    assert upcoming_care_dates(today=D(2025, 10, 7), days_ahead=21) == []


def test_upcoming_care_dates_sorted_with_several_a_year():
    upcoming = upcoming_care_dates(
        today=D(2025, 1, 1),
        days_ahead=364,
        birthday=D(1990, 10, 1),
        lunar_birthday=(6, 10, True),
    )
    assert upcoming == [
        (D(2025, 1, 29), Festival.SPRING),
        (D(2025, 2, 12), Festival.LANTERN),
        (D(2025, 5, 31), Festival.DRAGON_BOAT),
        (D(2025, 8, 3), Birthday.LUNAR),
        (D(2025, 10, 1), Birthday.SOLAR),
        (D(2025, 10, 6), Festival.MID_AUTUMN),
        (D(2025, 10, 29), Festival.DOUBLE_NINTH),
    ]


def test_upcoming_care_dates_rejects_a_negative_window():
    with pytest.raises(ValueError):
        upcoming_care_dates(today=D(2025, 1, 1), days_ahead=-1)


@pytest.mark.parametrize(
    ("kind", "chinese", "english"),
    [
        (Festival.SPRING, "春节", "Spring Festival"),
        (Festival.LANTERN, "元宵节", "Lantern Festival"),
        (Festival.DRAGON_BOAT, "端午节", "Dragon Boat Festival"),
        (Festival.MID_AUTUMN, "中秋节", "Mid-Autumn Festival"),
        (Festival.DOUBLE_NINTH, "重阳节", "Double Ninth Festival"),
        (Birthday.SOLAR, "生日", "Birthday"),
        (Birthday.LUNAR, "农历生日", "Lunar birthday"),
    ],
)
def test_care_date_labels_in_both_languages(kind, chinese, english):
    with translation.override("zh-hans"):
        assert str(kind.label) == chinese
    with translation.override("en"):
        assert str(kind.label) == english
