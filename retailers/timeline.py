"""The dossier timeline: every app adds its events through a selector it registers here.

An app calls `register_timeline_source(func)` in its AppConfig.ready(); `func(retailer, limit)`
returns up to `limit` TimelineEvents, newest first, in a fixed number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

TimelineSource = Callable[..., list["TimelineEvent"]]
_sources: list[TimelineSource] = []


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime.datetime | datetime.date
    kind: str  # the app or area, e.g. "retailers", "complaints"; used for the icon and filter
    title: str
    detail: str = ""
    icon: str = "bi-dot"
    actor: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.at, datetime.datetime):  # a day (e.g. an inspection date) counts from its start
            day_start = datetime.datetime.combine(self.at, datetime.time.min)
            object.__setattr__(self, "at", timezone.make_aware(day_start))


def register_timeline_source(source: TimelineSource) -> TimelineSource:
    if source not in _sources:
        _sources.append(source)
    return source


def retailer_timeline(*, retailer, limit: int = 30) -> list[TimelineEvent]:
    events = [event for source in _sources for event in source(retailer, limit)]
    return sorted(events, key=lambda event: event.at, reverse=True)[:limit]
