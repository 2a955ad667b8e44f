import datetime

from complaints.business_hours import TZ, add_time, add_working_time, is_working_day


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def test_national_day_and_tiaoxiu_weekend():
    assert not is_working_day(datetime.date(2026, 10, 1))
    assert not is_working_day(datetime.date(2026, 9, 25))  # Mid-Autumn Festival, a Friday
    assert is_working_day(datetime.date(2026, 9, 20))  # a Sunday made a working day (调休)


def test_ticket_received_on_the_eve_of_national_day_is_due_after_the_holiday():
    due = add_working_time(at(2026, 9, 30, 17, 0), datetime.timedelta(hours=2))
    assert due == at(2026, 10, 8, 10, 0)  # 30 minutes on 30 September, 90 after the Golden Week


def test_ticket_received_on_a_tiaoxiu_sunday_is_handled_that_day():
    assert add_working_time(at(2026, 9, 20, 9, 0), datetime.timedelta(minutes=30)) == at(2026, 9, 20, 9, 30)


def test_before_opening_time_the_clock_starts_at_opening():
    assert add_working_time(at(2026, 11, 24, 6, 0), datetime.timedelta(minutes=30)) == at(2026, 11, 24, 9, 0)


def test_spanning_a_weekend():
    assert add_working_time(at(2026, 11, 27, 16, 30), datetime.timedelta(hours=3)) == at(2026, 11, 30, 10, 30)


def test_calendar_hours_ignore_the_calendar():
    start = at(2026, 9, 30, 17, 0)
    assert add_time(start, datetime.timedelta(hours=48), working_hours=False) == at(2026, 10, 2, 17, 0)
