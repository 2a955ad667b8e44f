"""What the loyalty app pulls from the visit log: visits logged with the shop's feedback."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from visits.models import Visit, VisitStatus


@dataclass(frozen=True)
class VisitFeedback:
    """One logged visit at which the shop gave feedback, for the loyalty app's earn rule."""

    visit_id: int
    retailer_id: int
    visited_on: datetime.date


def visit_feedback_for_points(
    *, since_id: int = 0, limit: int = 1000, visited_since: datetime.date | None = None
) -> list[VisitFeedback]:
    """The done visits with feedback after visit id `since_id` (visited on or after `visited_since`,
    if given), by id, at most `limit` (one query). A visit is planned long before it is logged, so a
    puller asks again for the days since its last run; the puller's unique key makes that harmless."""
    visits = Visit.objects.filter(pk__gt=since_id, status=VisitStatus.DONE, visited_on__isnull=False).exclude(
        feedback=""
    )
    if visited_since is not None:
        visits = visits.filter(visited_on__gte=visited_since)
    rows = visits.order_by("pk").values_list("pk", "retailer_id", "visited_on")[:limit]
    return [VisitFeedback(*row) for row in rows]
