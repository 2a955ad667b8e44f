"""Visit reads that views and other apps need, scoped to what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from retailers.selectors import retailers_visible_to
from visits.models import Visit


def visits_visible_to(user) -> QuerySet[Visit]:
    """The visits of the shops a user may see (a manager: their areas' shops; a supervisor: their
    region's; admins: all)."""
    return Visit.objects.filter(retailer__in=retailers_visible_to(user).values("pk"))


# Surveys: the reads other apps pull (the rest are in visits/survey_selectors.py).
from visits.survey_selectors import (  # noqa: E402
    RetailerSatisfaction,
    SurveyAnswered,
    survey_answers_for_points,
    survey_satisfaction_by_retailer,
)

__all__ = [
    "RetailerSatisfaction",
    "SurveyAnswered",
    "survey_answers_for_points",
    "survey_satisfaction_by_retailer",
    "visits_visible_to",
]
