"""Working-time arithmetic for SLA clocks: China's public holidays and 调休 working weekends
(chinesecalendar), and the office hours below. All datetimes are aware, in Asia/Shanghai."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")
OPENS = datetime.time(8, 30)
CLOSES = datetime.time(17, 30)


def is_working_day(day: datetime.date) -> bool:
    """A working day in mainland China, 调休 Saturdays and Sundays included; outside the years the
    calendar package knows, Monday to Friday."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=TZ)


def add_working_time(start: datetime.datetime, duration: datetime.timedelta) -> datetime.datetime:
    """The moment `duration` of office time has passed after `start`."""
    moment = start.astimezone(TZ)
    remaining = duration
    while True:
        day = moment.date()
        if is_working_day(day) and moment < _at(day, CLOSES):
            moment = max(moment, _at(day, OPENS))
            left_today = _at(day, CLOSES) - moment
            if remaining <= left_today:
                return moment + remaining
            remaining -= left_today
        moment = _at(day + datetime.timedelta(days=1), OPENS)


def add_time(start: datetime.datetime, duration: datetime.timedelta, *, working_hours: bool) -> datetime.datetime:
    return add_working_time(start, duration) if working_hours else start + duration
