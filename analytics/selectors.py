"""Analytics reads: every figure comes from analytics' own summary tables, scoped by the service
areas the user may see (retailers.selectors.service_areas_visible_to), or from the other apps'
selectors. Each function runs a fixed number of queries, whatever the number of shops."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.models import (
    AreaBrandMonth,
    AreaMonth,
    AreaPriceClassMonth,
    AreaTierStanding,
    RefreshState,
    ShopMonth,
    ShopStanding,
)
from analytics.periods import Period, change, default_period
from complaints.selectors import ticket_service_summary, tickets_visible_to
from crm_site.formatting import format_count, format_money, format_month, format_share
from crm_site.pagination import KeysetPage, keyset_paginate
from grading.models import Movement
from grading.selectors import latest_run, run_movers, run_scope
from loyalty.selectors import points_outstanding
from retailers.models import PriceClass, Tier
from retailers.selectors import retailers_visible_to, service_areas_visible_to
from visits.selectors import visit_kpi_scope, visit_kpis_from_rollup

TOP_BRANDS = 10
MOVERS = 5
CHART_MONTHS = 12


@dataclass(frozen=True)
class Scope:
    """The service areas whose figures a user reads: None for the whole company."""

    area_ids: tuple[int, ...] | None
    regions_by_area: dict[int, str]
    area_names: dict[int, str]

    def narrow(self, rows: QuerySet, field: str = "service_area_id") -> QuerySet:
        return rows if self.area_ids is None else rows.filter(**{f"{field}__in": self.area_ids})


def analytics_scope(user) -> Scope:
    """One query: the user's service areas and their regions (every area for the whole company)."""
    areas = list(service_areas_visible_to(user).values_list("pk", "name", "region__name"))
    whole = user.has_perm("retailers.view_all_retailers")
    return Scope(
        None if whole else tuple(pk for pk, _name, _region in areas),
        {pk: region for pk, _name, region in areas},
        {pk: name for pk, name, _region in areas},
    )


def refresh_state() -> RefreshState | None:
    return RefreshState.objects.order_by("pk").first()


@dataclass(frozen=True)
class Figure:
    """One tile: the period's value, the previous period's and the same period last year's."""

    key: str
    label: str
    current: Decimal | int | None
    previous: Decimal | int | None = None
    last_year: Decimal | int | None = None
    kind: str = "count"  # count | money

    @property
    def change_previous(self) -> Decimal | None:
        return change(self.current, self.previous)

    @property
    def change_last_year(self) -> Decimal | None:
        return change(self.current, self.last_year)


def _in(period: Period, field: str = "month") -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def sales_figures(*, scope: Scope, period: Period) -> list[Figure]:
    """Active shops, sales, cartons and orders in the period, the previous one and last year's:
    one aggregate query over the area months (and one over the shop months for a period of several
    months, where a shop that ordered in two of them counts once)."""
    periods = {"current": period, "previous": period.previous, "last_year": period.last_year}
    sums = {}
    for name, span in periods.items():
        for column in ("amount", "cartons", "orders", "active_shops"):
            sums[f"{column}_{name}"] = Sum(column, filter=_in(span))
    totals = scope.narrow(AreaMonth.objects.all()).aggregate(**sums)
    # one month: the areas' counts add up (a shop is in one area); more: shops counted once
    active = {name: totals[f"active_shops_{name}"] or 0 for name in periods}
    if period.months > 1:
        active = scope.narrow(ShopMonth.objects.all()).aggregate(
            **{name: Count("retailer_id", distinct=True, filter=_in(span)) for name, span in periods.items()}
        )

    def figure(key: str, label: str, kind: str = "count") -> Figure:
        return Figure(key, label, *(totals[f"{key}_{name}"] or 0 for name in periods), kind=kind)

    return [
        Figure("active", _("Shops that ordered"), active["current"], active["previous"], active["last_year"]),
        figure("amount", _("Sales (yuan)"), "money"),
        figure("cartons", _("Cartons")),
        figure("orders", _("Orders")),
    ]


def sales_by_month(*, scope: Scope, period: Period) -> list[dict]:
    """The 12 months up to the period's end (quiet months as zeros), with last year's beside them."""
    first = period.end - relativedelta(months=CHART_MONTHS)
    rows = (
        scope.narrow(AreaMonth.objects.filter(month__gte=first - relativedelta(months=12), month__lt=period.end))
        .values("month")
        .annotate(amount_sum=Sum("amount"), cartons_sum=Sum("cartons"))
        .order_by("month")
    )
    by_month = {row["month"]: row for row in rows}
    months = [first + relativedelta(months=offset) for offset in range(CHART_MONTHS)]
    return [
        {
            "month": month,
            "label": format_month(month),
            "amount": (by_month.get(month) or {}).get("amount_sum") or Decimal(0),
            "cartons": (by_month.get(month) or {}).get("cartons_sum") or 0,
            "amount_last_year": (by_month.get(month - relativedelta(months=12)) or {}).get("amount_sum") or Decimal(0),
        }
        for month in months
    ]


def sales_by_region(*, scope: Scope, period: Period) -> list[dict]:
    """The period's sales per region of the user's scope, largest first, with the change on the
    previous period (one query over the area months)."""
    rows = (
        scope.narrow(AreaMonth.objects.filter(_in(period) | _in(period.previous)))
        .values("service_area_id")
        .annotate(current=Sum("amount", filter=_in(period)), previous=Sum("amount", filter=_in(period.previous)))
        .order_by()
    )
    regions: dict[str, dict] = {}
    for row in rows:
        name = scope.regions_by_area.get(row["service_area_id"])
        if name is None:
            continue
        region = regions.setdefault(name, {"region": name, "amount": Decimal(0), "previous": Decimal(0)})
        region["amount"] += row["current"] or 0
        region["previous"] += row["previous"] or 0
    ranked = sorted(regions.values(), key=lambda region: (-region["amount"], region["region"]))
    for region in ranked:
        region["change"] = change(region["amount"], region["previous"])
    return ranked


def top_brands(*, scope: Scope, period: Period, limit: int = TOP_BRANDS) -> list[dict]:
    """The brands bought most in the period (amount), with their share of all brands (one query)."""
    rows = list(
        scope.narrow(AreaBrandMonth.objects.filter(_in(period)))
        .values("brand")
        .annotate(amount_sum=Sum("amount"), cartons_sum=Sum("cartons"))
        .order_by("-amount_sum", "brand")
    )
    total = sum((row["amount_sum"] or 0 for row in rows), Decimal(0))
    return [
        {
            "brand": row["brand"],
            "amount": row["amount_sum"],
            "cartons": row["cartons_sum"],
            "share": row["amount_sum"] / total if total else None,
        }
        for row in rows[:limit]
    ]


def tier_summary(*, user) -> dict | None:
    """The last grading run over the user's areas: shops per tier, moved up and down, and the
    largest movers each way; None before the first run."""
    run = latest_run()
    if run is None:
        return None
    figures = run_scope(user=user).figures(run)
    retailers = retailers_visible_to(user)
    return {
        "run": run,
        "figures": figures,
        "up": run_movers(run=run, retailers=retailers, movement=Movement.UP, limit=MOVERS),
        "down": run_movers(run=run, retailers=retailers, movement=Movement.DOWN, limit=MOVERS),
    }


def service_summary(*, user, scope: Scope, period: Period) -> dict:
    """Complaint deadlines met and tickets open, visits done of those planned, points outstanding
    (None where the area says nothing yet)."""
    last_day = period.end - datetime.timedelta(days=1)
    kpis = visit_kpis_from_rollup(scope=visit_kpi_scope(user), start=period.start, end=last_day)
    return {
        "tickets": ticket_service_summary(tickets=tickets_visible_to(user), start=period.start, end=period.end),
        "visits": kpis["total"],
        "points": points_outstanding(retailers=None if scope.area_ids is None else retailers_visible_to(user)),
    }


def dashboard(*, user, period: Period) -> dict:
    scope = analytics_scope(user)
    return {
        "scope": scope,
        "shops": retailers_visible_to(user).count(),
        "figures": sales_figures(scope=scope, period=period),
        "months": sales_by_month(scope=scope, period=period),
        "regions": sales_by_region(scope=scope, period=period),
        "brands": top_brands(scope=scope, period=period),
        "tiers": tier_summary(user=user),
        "service": service_summary(user=user, scope=scope, period=period),
        "refreshed": refresh_state(),
    }


def dashboard_chart_data(data: dict) -> dict:
    """What the page's script draws (json_script): labels and numbers, already in the reader's language."""
    return {
        "months": [row["label"] for row in data["months"]],
        "amounts": [float(row["amount"]) for row in data["months"]],
        "amounts_last_year": [float(row["amount_last_year"]) for row in data["months"]],
        "amount_label": _("Sales (yuan)"),
        "last_year_label": _("Same month last year"),
        "regions": [row["region"] for row in data["regions"]],
        "region_amounts": [float(row["amount"]) for row in data["regions"]],
    }


# ------------------------------------------------------------------------------ churn risk


def churn_candidates(*, scope: Scope, drop_percent: int, silent_weeks: int, as_of: datetime.date) -> QuerySet:
    """Shops that bought in the baseline weeks and whose last 8 weeks' weekly mean fell at least
    `drop_percent` % below the weekly mean of the 44 weeks before, or that ordered nothing in the
    `silent_weeks` complete weeks before `as_of`; to be ranked by the amount at risk."""
    from analytics.services import BASELINE_WEEKS, RECENT_WEEKS

    kept = (Decimal(100) - drop_percent) / 100 * RECENT_WEEKS / BASELINE_WEEKS
    silent_before = as_of - datetime.timedelta(weeks=silent_weeks)
    return scope.narrow(ShopStanding.objects.filter(baseline_amount__gt=0)).filter(
        Q(recent_amount__lte=F("baseline_amount") * kept) | Q(last_order_week__lt=silent_before)
    )


@dataclass(frozen=True)
class ChurnLine:
    standing: ShopStanding
    retailer: object  # retailers.Retailer, with its area and manager
    reasons: list[str]


def churn_reasons(standing: ShopStanding, *, drop_percent: int, silent_weeks: int, as_of: datetime.date) -> list[str]:
    """Why a shop is on the list, in words and numbers."""
    from analytics.services import BASELINE_WEEKS, RECENT_WEEKS

    reasons = []
    baseline = standing.baseline_amount / BASELINE_WEEKS
    recent = standing.recent_amount / RECENT_WEEKS
    if baseline and recent <= baseline * (Decimal(100) - drop_percent) / 100:
        reasons.append(
            _(
                "The last 8 weeks averaged %(recent)s yuan a week, %(drop)s below the %(baseline)s yuan a week "
                "of the 44 weeks before."
            )
            % {
                "recent": format_money(recent, 0),
                "baseline": format_money(baseline, 0),
                "drop": format_share(1 - recent / baseline),
            }
        )
    if standing.last_order_week and standing.last_order_week < as_of - datetime.timedelta(weeks=silent_weeks):
        weeks = (as_of - standing.last_order_week).days // 7
        reasons.append(
            ngettext(
                "No order for %(weeks)s week (the last in the week of %(day)s).",
                "No order for %(weeks)s weeks (the last in the week of %(day)s).",
                weeks,
            )
            % {"weeks": format_count(weeks), "day": date_format(standing.last_order_week, "SHORT_DATE_FORMAT")}
        )
    return reasons


def churn_page(
    *, user, scope: Scope, drop_percent: int, silent_weeks: int, cursor: str | None, size: int = 50
) -> tuple[KeysetPage, list[ChurnLine]]:
    """One keyset page of the churn list, largest amount at risk first: three queries, whatever
    the page (the page, a bounded count, the page's shops with their managers)."""
    state = refresh_state()
    as_of = state.as_of_week if state and state.as_of_week else timezone.localdate()
    candidates = churn_candidates(scope=scope, drop_percent=drop_percent, silent_weeks=silent_weeks, as_of=as_of)
    page = keyset_paginate(candidates, order_by="-amount_at_risk", cursor=cursor, size=size)
    shops = (
        retailers_visible_to(user)
        .select_related("service_area", "account_manager")
        .in_bulk([standing.retailer_id for standing in page.rows])
    )
    lines = [
        ChurnLine(
            standing,
            shops[standing.retailer_id],
            churn_reasons(standing, drop_percent=drop_percent, silent_weeks=silent_weeks, as_of=as_of),
        )
        for standing in page.rows
        if standing.retailer_id in shops
    ]
    return page, lines


# ------------------------------------------------------------------------------ brand preference


def preference(*, scope: Scope, period: Period, column: str, area_id: int | None = None) -> list[dict]:
    """Each brand's (or price class's) share of the sales of the user's areas (or of one of them)
    against its share of the company's, and the lift (the ratio; above 1: bought more here).
    Two queries over the area × brand (price class) × month tables."""
    model = AreaBrandMonth if column == "brand" else AreaPriceClassMonth
    rows = model.objects.filter(_in(period))
    company = dict(rows.values_list(column).annotate(amount_sum=Sum("amount")).order_by())
    mine = rows.filter(service_area_id=area_id) if area_id is not None else scope.narrow(rows)
    local = dict(mine.values_list(column).annotate(amount_sum=Sum("amount")).order_by())
    company_total = sum(company.values(), Decimal(0))
    local_total = sum(local.values(), Decimal(0))
    lines = []
    for key, company_amount in company.items():
        local_share = (local.get(key) or Decimal(0)) / local_total if local_total else None
        company_share = company_amount / company_total if company_total else None
        lines.append(
            {
                "key": key,
                "label": key if column == "brand" else PriceClass(key).label,
                "amount": local.get(key) or Decimal(0),
                "share": local_share,
                "company_share": company_share,
                "lift": local_share / company_share if local_share is not None and company_share else None,
            }
        )
    return sorted(lines, key=lambda line: (-(line["amount"]), str(line["label"])))


def preference_export_rows(*, scope: Scope, period: Period, column: str):
    """Every area of the scope × brand (price class): the page's figures for each area (two queries)."""
    model = AreaBrandMonth if column == "brand" else AreaPriceClassMonth
    rows = model.objects.filter(_in(period))
    company = dict(rows.values_list(column).annotate(amount_sum=Sum("amount")).order_by())
    company_total = sum(company.values(), Decimal(0))
    per_area = list(
        scope.narrow(rows).values_list("service_area_id", column).annotate(amount_sum=Sum("amount")).order_by()
    )
    area_totals: dict[int, Decimal] = {}
    for area_id, _key, amount in per_area:
        area_totals[area_id] = area_totals.get(area_id, Decimal(0)) + amount
    names = scope.area_names
    for area_id, key, amount in sorted(per_area, key=lambda row: (names.get(row[0], ""), -row[2])):
        share = amount / area_totals[area_id] if area_totals[area_id] else None
        company_share = company[key] / company_total if company_total else None
        label = key if column == "brand" else str(PriceClass(key).label)
        lift = share / company_share if share is not None and company_share else None
        yield (names.get(area_id, ""), label, amount, share, company_share, lift)


# ------------------------------------------------------------------------------ the four measures


def measure_rows(*, scope: Scope, filters: dict) -> QuerySet:
    """The shops' stored measures (ShopStanding), narrowed by the measure filters of the page."""
    rows = scope.narrow(ShopStanding.objects.all())
    if filters.get("tier"):
        rows = rows.filter(tier=filters["tier"])
    if filters.get("min_weeks") is not None:
        rows = rows.filter(weeks_ordered__gte=filters["min_weeks"])
    if filters.get("min_contribution") is not None:
        rows = rows.filter(contribution__gte=Decimal(filters["min_contribution"]) / 100)
    if filters.get("min_dependency") is not None:
        # full weeks ≥ share × weeks ordered (no division in SQL: shops that never ordered drop out)
        rows = rows.filter(
            weeks_ordered__gt=0, full_weeks__gte=F("weeks_ordered") * Decimal(filters["min_dependency"]) / 100
        )
    if filters.get("min_csat") is not None:
        rows = rows.filter(csat__gte=Decimal(filters["min_csat"]) / 100)
    return rows


def measure_sums(*, scope: Scope, filters: dict) -> list[dict]:
    """The shops' standings summed per service area and tier (one query): from the refresh's
    sums (AreaTierStanding) when no measure narrows the shops, else grouped from the standings
    that the filters keep."""
    narrowed = any(value is not None for name, value in filters.items() if name != "tier")
    if narrowed:
        rows = measure_rows(scope=scope, filters=filters).order_by().values("service_area_id", "tier")
        return [
            {"service_area_id": row["service_area_id"], "tier": row["tier"]}
            | {name: row[f"{name}_sum"] for name in AreaTierStanding.SUMS}
            for row in rows.annotate(**{f"{name}_sum": sum_ for name, sum_ in AreaTierStanding.SUMS.items()})
        ]
    sums = scope.narrow(AreaTierStanding.objects.all())
    if filters.get("tier"):
        sums = sums.filter(tier=filters["tier"])
    return list(sums.values("service_area_id", "tier", *AreaTierStanding.SUMS))


def _mean(total, count: int) -> Decimal | None:
    return Decimal(total) / count if count else None


def _measure_line(sums: dict, total: Decimal) -> dict:
    """One group's measures from its sums: means of loyalty, tenure and satisfaction over the
    shops that have them, dependency over all ordering weeks, share of `total` (contribution)."""
    from analytics.services import WINDOW_WEEKS

    weeks = _mean(sums["weeks_ordered"], sums["shops"])
    return {
        "shops": sums["shops"],
        "amount": sums["amount_52w"],
        "responses": sums["survey_responses"],
        "tenure": _mean(sums["tenure_months"], sums["tenure_shops"]),
        "csat": _mean(sums["csat"], sums["csat_shops"]),
        "nps": _mean(sums["nps"], sums["nps_shops"]),
        "visit_rating": _mean(sums["visit_rating"], sums["visit_rating_shops"]),
        "loyalty": weeks / WINDOW_WEEKS if weeks is not None else None,
        "contribution": sums["amount_52w"] / total if total else None,
        "dependency": Decimal(sums["full_weeks"]) / sums["weeks_ordered"] if sums["weeks_ordered"] else None,
    }


def _add_up(rows: list[dict], key: str) -> dict:
    groups: dict = {}
    for row in rows:
        group = groups.setdefault(row[key], dict.fromkeys(AreaTierStanding.SUMS, 0))
        for name in AreaTierStanding.SUMS:
            group[name] += row[name] or 0
    return groups


def measures_by_group(*, sums: list[dict], scope: Scope) -> dict:
    """The four measures per tier and per service area from the per-area-and-tier sums
    (measure_sums); contribution is each group's share of the amount of all the shops summed."""
    total = sum((Decimal(row["amount_52w"] or 0) for row in sums), Decimal(0))
    names = scope.area_names
    tiers = dict(Tier.choices)
    return {
        "tiers": [
            {**_measure_line(group, total), "label": tiers.get(tier, _("Not graded"))}
            for tier, group in sorted(_add_up(sums, "tier").items())
        ],
        "areas": sorted(
            (
                {**_measure_line(group, total), "label": names.get(area_id, "")}
                for area_id, group in _add_up(sums, "service_area_id").items()
            ),
            key=lambda row: str(row["label"]),
        ),
    }


def measures_page(*, user, rows: QuerySet, cursor: str | None, size: int = 50) -> tuple[KeysetPage, list]:
    """One keyset page of shops, largest 52-week amount first, with their dossier names (three queries)."""
    page = keyset_paginate(rows, order_by="-amount_52w", cursor=cursor, size=size)
    shops = retailers_visible_to(user).select_related("service_area").in_bulk([row.retailer_id for row in page.rows])
    return page, [(row, shops[row.retailer_id]) for row in page.rows if row.retailer_id in shops]


def analytics_home_line(user) -> str:
    """The home page's compact dashboard: last month's sales and shops that ordered, with the
    change on the month before, for users who may open analytics (two queries); else nothing."""
    from crm_site.navigation import may_open

    if not may_open(user, "analytics"):
        return ""
    period = default_period(timezone.localdate())
    active, amount, *_rest = sales_figures(scope=analytics_scope(user), period=period)
    return _(
        "%(month)s: sales %(amount)s yuan (%(amount_change)s on the month before), %(active)s shops ordered "
        "(%(active_change)s)."
    ) % {
        "month": period.label,
        "amount": format_money(amount.current, 0),
        "amount_change": format_change(amount.change_previous),
        "active": format_count(active.current),
        "active_change": format_change(active.change_previous),
    }


def format_change(value: Decimal | None) -> str:
    """A relative change with its sign: "+12.5%", "−3.0%", "—" without a base."""
    if value is None:
        return "—"
    return ("+" if value >= 0 else "−") + format_share(abs(value))
