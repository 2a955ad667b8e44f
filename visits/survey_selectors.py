"""Survey reads (issue 11): results, a shop's invitations and answers, and what other apps pull.

Beside visits/selectors.py for the same reason visits/surveys.py is beside services.py (their size);
the two that other apps use are re-exported there."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from retailers.models import Retailer, ServiceArea, Tier
from retailers.selectors import retailers_visible_to, service_areas_visible_to
from retailers.timeline import TimelineEvent
from visits.models import (
    InvitationStatus,
    QuestionType,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
    SurveyResultCell,
)

FREE_TEXT_LIMIT = 50


def csat(*, ratings: int, satisfied: int) -> Decimal | None:
    """CSAT: the share (0–1) of ratings that are 4 or 5; None without any rating."""
    return Decimal(satisfied) / Decimal(ratings) if ratings else None


def nps(*, answers: int, promoters: int, detractors: int) -> Decimal | None:
    """NPS: the percentage of promoters (9–10) minus that of detractors (0–6), −100…100; None
    without any answer."""
    return (Decimal(promoters - detractors) * 100 / Decimal(answers)).quantize(Decimal("0.1")) if answers else None


def _scoped(queryset: QuerySet, user) -> QuerySet:
    """`queryset` (with a `retailer` field) limited to the shops the user may see; no sub-query
    for a user who sees every shop."""
    retailers = retailers_visible_to(user)
    if not retailers.query.where:
        return queryset
    return queryset.filter(retailer__in=retailers.values("pk"))


def _scoped_answers(answers: QuerySet[SurveyAnswer], user) -> QuerySet[SurveyAnswer]:
    retailers = retailers_visible_to(user)
    if not retailers.query.where:
        return answers
    return answers.filter(response__retailer__in=retailers.values("pk"))


def survey_invitations_visible_to(user) -> QuerySet[SurveyInvitation]:
    """The invitations of the shops a user may see (retailers_visible_to)."""
    return _scoped(SurveyInvitation.objects.all(), user)


def survey_responses_visible_to(user) -> QuerySet[SurveyResponse]:
    return _scoped(SurveyResponse.objects.all(), user)


@dataclass
class ResultRow:
    key: object
    label: str
    invited: int = 0  # messages that went out (sent, answered or expired after being sent)
    answered: int = 0
    ratings: int = 0
    satisfied: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def response_rate(self) -> Decimal | None:
        return Decimal(self.answered) / Decimal(self.invited) if self.invited else None

    @property
    def csat(self) -> Decimal | None:
        return csat(ratings=self.ratings, satisfied=self.satisfied)

    @property
    def nps(self) -> Decimal | None:
        return nps(answers=self.nps_answers, promoters=self.promoters, detractors=self.detractors)

    def add(self, other: ResultRow) -> None:
        for name in ("invited", "answered", "ratings", "satisfied", "nps_answers", "promoters", "detractors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


FIGURES = {
    "invited": Count("pk", filter=Q(sent_at__isnull=False) | Q(status=InvitationStatus.ANSWERED)),
    "answered": Count("pk", filter=Q(status=InvitationStatus.ANSWERED)),
    "ratings_n": Sum("ratings"),
    "satisfied": Sum("ratings_satisfied"),
    "nps_n": Sum("nps_answers"),
    "promoters_n": Sum("promoters"),
    "detractors_n": Sum("detractors"),
}


def _row(key, label, figures: dict) -> ResultRow:
    return ResultRow(
        key=key,
        label=label,
        invited=figures["invited"] or 0,
        answered=figures["answered"] or 0,
        ratings=figures["ratings_n"] or 0,
        satisfied=figures["satisfied"] or 0,
        nps_answers=figures["nps_n"] or 0,
        promoters=figures["promoters_n"] or 0,
        detractors=figures["detractors_n"] or 0,
    )


AREA_ROWS_AT_MOST = 60  # more areas than this (an admin's province): by region, areas of one region


@dataclass
class SurveyResults:
    start: datetime.date
    end: datetime.date  # inclusive
    total: ResultRow
    by_region: list[ResultRow]
    by_area: list[ResultRow]  # empty when there are more than AREA_ROWS_AT_MOST and no region is chosen
    areas_hidden: int
    by_tier: list[ResultRow]
    by_month: list[ResultRow]
    free_texts: list[SurveyAnswer]


def survey_results(
    *, user, start: datetime.date, end: datetime.date, region=None, all_areas: bool = False
) -> SurveyResults:
    """Response rate, CSAT and NPS of the invitations of the months of [start, end] in the areas
    the user may see (where the shop was when invited), per area, tier and month, and the latest
    free-text answers of the user's shops. Three queries whatever the number of shops: the stored
    result cells (month × area × tier, a few thousand rows at most) summed here into the three
    views, the areas' names, and the free texts."""
    cells = SurveyResultCell.objects.filter(month__gte=start.replace(day=1), month__lte=end)
    if retailers_visible_to(user).query.where:  # not every shop: the areas the user may see
        cells = cells.filter(service_area_id__in=service_areas_visible_to(user).values("pk"))
    if region is not None:
        cells = cells.filter(service_area_id__in=ServiceArea.objects.filter(region=region).values("pk"))
    cells = [
        {
            "service_area_id_at": cell.service_area_id, "tier_at": cell.tier, "invited_month": cell.month,
            "invited": cell.invited, "answered": cell.answered, "ratings_n": cell.ratings,
            "satisfied": cell.ratings_satisfied, "nps_n": cell.nps_answers, "promoters_n": cell.promoters,
            "detractors_n": cell.detractors,
        }
        for cell in cells
    ]  # fmt: skip
    by_area_map: dict[object, ResultRow] = {}
    by_tier_map: dict[str, ResultRow] = {}
    by_month_map: dict[datetime.date, ResultRow] = {}
    for cell in cells:
        row = _row(None, "", cell)
        for table, key in (
            (by_area_map, cell["service_area_id_at"]),
            (by_tier_map, cell["tier_at"]),
            (by_month_map, cell["invited_month"]),
        ):
            table.setdefault(key, ResultRow(key=key, label="")).add(row)
    areas = {
        pk: (name, region_id, region_name)
        for pk, name, region_id, region_name in ServiceArea.objects.filter(
            pk__in=[key for key in by_area_map if key]
        ).values_list("pk", "name", "region_id", "region__name")
    }
    by_region_map: dict[object, ResultRow] = {}
    for key, row in by_area_map.items():
        name, region_id, region_name = areas.get(key, ("—", None, "—"))
        row.label = name
        by_region_map.setdefault(region_id, ResultRow(key=region_id, label=region_name)).add(row)
    by_region = sorted(by_region_map.values(), key=lambda row: row.label)
    by_area = sorted(by_area_map.values(), key=lambda row: row.label)
    areas_hidden = 0
    if not all_areas and region is None and len(by_area) > AREA_ROWS_AT_MOST:
        areas_hidden, by_area = len(by_area), []
    tier_labels = {"": _("Not graded yet"), **dict(Tier.choices)}
    by_tier = []
    for tier in [*Tier.values, ""]:
        if tier in by_tier_map:
            by_tier_map[tier].label = str(tier_labels[tier])
            by_tier.append(by_tier_map[tier])
    by_month = [by_month_map[month] for month in sorted(by_month_map)]
    total = ResultRow(key=None, label=_("All"))
    for row in by_month:
        total.add(row)
    # Newest answers first, read backwards along the answers' primary key until 50 match (a join,
    # not an IN over the period's invitations, so its cost does not grow with the period).
    texts = SurveyAnswer.objects.filter(
        question__type=QuestionType.TEXT,
        response__invitation__invited_month__gte=start.replace(day=1),
        response__invitation__invited_month__lte=end,
    ).exclude(text="")
    free_texts = list(
        _scoped_answers(texts, user).select_related("response__retailer", "question").order_by("-id")[:FREE_TEXT_LIMIT]
    )
    return SurveyResults(
        start=start, end=end, total=total, by_region=by_region, by_area=by_area, areas_hidden=areas_hidden,
        by_tier=by_tier, by_month=by_month, free_texts=free_texts,
    )


def retailer_survey_invitations(*, retailer: Retailer, limit: int = 20) -> list[SurveyInvitation]:
    """A shop's latest invitations with their response and answers (three queries)."""
    invitations = list(
        SurveyInvitation.objects.filter(retailer=retailer)
        .select_related("questionnaire", "response__follow_up")
        .order_by("-invited_on", "-id")[:limit]
    )
    responses = [invitation.response for invitation in invitations if hasattr(invitation, "response")]
    answers: dict[int, list[SurveyAnswer]] = {}
    for answer in SurveyAnswer.objects.filter(response__in=responses).select_related("question"):
        answers.setdefault(answer.response_id, []).append(answer)
    for response in responses:
        response.answer_list = sorted(answers.get(response.pk, []), key=lambda answer: answer.question.position)
    return invitations


def answer_display(answer: SurveyAnswer) -> str:
    if answer.question.type == QuestionType.RATING:
        return f"{answer.score}/5"
    if answer.question.type == QuestionType.NPS:
        return f"{answer.score}/10"
    return answer.text


def survey_timeline_events(retailer: Retailer, limit: int) -> list[TimelineEvent]:
    """The shop's survey answers on its dossier timeline (two queries)."""
    responses = list(
        SurveyResponse.objects.filter(retailer=retailer)
        .select_related("questionnaire")
        .order_by("-answered_at", "-id")[:limit]
    )
    answers: dict[int, list[SurveyAnswer]] = {}
    for answer in SurveyAnswer.objects.filter(response__in=responses).select_related("question"):
        answers.setdefault(answer.response_id, []).append(answer)
    events = []
    for response in responses:
        scores = [
            answer_display(answer)
            for answer in sorted(answers.get(response.pk, []), key=lambda answer: answer.question.position)
            if answer.score is not None
        ]
        events.append(
            TimelineEvent(
                at=response.answered_at,
                kind="surveys",
                title=_("Survey answered: %(title)s") % {"title": response.questionnaire.title}
                + (" · " + _("low score") if response.low_score else ""),
                detail=" · ".join(scores)[:120],
                icon="bi-clipboard-check",
            )
        )
    return events


# --- for other apps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyAnswered:
    """One answered survey, for the loyalty app's earn rule."""

    response_id: int
    retailer_id: int
    answered_at: datetime.datetime
    kind: str  # SurveyKind value


def survey_answers_for_points(*, since_id: int = 0, limit: int = 1000) -> list[SurveyAnswered]:
    """The answered surveys after response id `since_id`, oldest first, at most `limit` (one
    query). A puller keeps the last response_id it earned for and asks again from there, so
    each answer earns once whatever the order of runs."""
    rows = (
        SurveyResponse.objects.filter(pk__gt=since_id)
        .order_by("pk")
        .values_list("pk", "retailer_id", "answered_at", "invitation__kind")[:limit]
    )
    return [SurveyAnswered(*row) for row in rows]


@dataclass(frozen=True)
class RetailerSatisfaction:
    responses: int
    csat: Decimal | None
    nps: Decimal | None


def survey_satisfaction_by_retailer(
    *, retailers: QuerySet[Retailer], since: datetime.date | None = None
) -> dict[int, RetailerSatisfaction]:
    """Each shop's answered surveys (invited on or after `since`, if given), CSAT and NPS, for the
    shops of `retailers` that answered any (one aggregate query)."""
    answered = SurveyInvitation.objects.filter(
        retailer__in=retailers.values("pk"), status=InvitationStatus.ANSWERED
    )
    if since is not None:
        answered = answered.filter(invited_on__gte=since)
    rows = answered.values("retailer_id").annotate(**FIGURES).order_by()
    return {
        row["retailer_id"]: RetailerSatisfaction(
            responses=row["answered"],
            csat=csat(ratings=row["ratings_n"] or 0, satisfied=row["satisfied"] or 0),
            nps=nps(answers=row["nps_n"] or 0, promoters=row["promoters_n"] or 0, detractors=row["detractors_n"] or 0),
        )
        for row in rows
    }
