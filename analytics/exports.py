"""Every analytics table to Excel, through the background export machinery (crm_site.exports):
each builder reads the page's own query string, so a job exports what the user saw, in scope."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.forecast_selectors import (
    AREA_EXPORT_COLUMNS,
    SHOP_EXPORT_COLUMNS,
    forecast_area_export_rows,
    forecast_latest_run,
    forecast_shop_export_rows,
)
from analytics.forms import (
    BrandForm,
    ChurnSettingsForm,
    ForecastViewForm,
    MeasureFilterForm,
    PeriodForm,
    RiskFilterForm,
)
from analytics.risk_selectors import RISK_EXPORT_COLUMNS, risk_export_rows, risk_findings_for
from analytics.selectors import (
    analytics_scope,
    churn_candidates,
    churn_reasons,
    dashboard,
    measure_rows,
    preference_export_rows,
    refresh_state,
)
from crm_site.excel import Column, Sheet
from retailers.selectors import retailers_visible_to

PERMISSION = "analytics.export_analytics"
CHUNK = 2_000  # shops named at a time: memory stays bounded however long the list


def _query(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    query.update(params)
    return query


def dashboard_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    period = PeriodForm(_query(params) or None).period()
    data = dashboard(user=user, period=period)
    figures = Sheet(
        _("Figures"),
        [
            Column(_("Figure"), 22),
            Column(period.label, 16, "money"),
            Column(_("Previous period"), 16, "money"),
            Column(_("Change"), 10, "percent"),
            Column(_("Same period last year"), 16, "money"),
            Column(_("Change on last year"), 10, "percent"),
        ],
        [(f.label, f.current, f.previous, f.change_previous, f.last_year, f.change_last_year) for f in data["figures"]],
    )
    months = Sheet(
        _("Sales by month"),
        [Column(_("Month"), 12, "date"), Column(_("Sales (yuan)"), 16, "money"), Column(_("Cartons"), 12, "number")],
        [(row["month"], row["amount"], row["cartons"]) for row in data["months"]],
    )
    regions = Sheet(
        _("Sales by region"),
        [Column(_("Region"), 16), Column(_("Sales (yuan)"), 16, "money"), Column(_("Change"), 10, "percent")],
        [(row["region"], row["amount"], row["change"]) for row in data["regions"]],
    )
    brands = Sheet(
        _("Top brands"),
        [
            Column(_("Brand"), 16),
            Column(_("Sales (yuan)"), 16, "money"),
            Column(_("Cartons"), 12, "number"),
            Column(_("Share"), 10, "percent"),
        ],
        [(row["brand"], row["amount"], row["cartons"], row["share"]) for row in data["brands"]],
    )
    return "analytics-dashboard", [figures, months, regions, brands]


def _named(user, rows) -> Iterator[tuple]:
    """(row, shop) for the rows whose shop the user may see, naming CHUNK shops per query."""
    chunk: list = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from _with_shops(user, chunk)
            chunk = []
    yield from _with_shops(user, chunk)


def _with_shops(user, chunk: list) -> Iterator[tuple]:
    shops = (
        retailers_visible_to(user)
        .select_related("service_area", "account_manager")
        .in_bulk([row.retailer_id for row in chunk])
    )
    yield from ((row, shops[row.retailer_id]) for row in chunk if row.retailer_id in shops)


def churn_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    form = ChurnSettingsForm(_query(params) or None)
    drop, silent = form.settings()
    state = refresh_state()
    as_of = state.as_of_week if state and state.as_of_week else None
    if as_of is None:
        return "analytics-churn", []
    rows = churn_candidates(scope=analytics_scope(user), drop_percent=drop, silent_weeks=silent, as_of=as_of)
    rows = rows.order_by("-amount_at_risk", "-retailer_id")
    columns = [
        Column(_("licence number"), 16),
        Column(_("shop name"), 24),
        Column(_("service area"), 14),
        Column(_("tier"), 10),
        Column(_("account manager"), 12),
        Column(_("Amount at risk (yuan)"), 16, "money"),
        Column(_("amount, last 8 weeks"), 16, "money"),
        Column(_("amount, the 44 weeks before"), 16, "money"),
        Column(_("last week with an order"), 12, "date"),
        Column(_("Reason"), 60),
    ]
    lines = (
        (
            shop.license_no,
            shop.name,
            shop.service_area.name,
            shop.get_tier_display(),
            str(shop.account_manager or ""),
            row.amount_at_risk,
            row.recent_amount,
            row.baseline_amount,
            row.last_order_week,
            " ".join(churn_reasons(row, drop_percent=drop, silent_weeks=silent, as_of=as_of)),
        )
        for row, shop in _named(user, rows)
    )
    return "analytics-churn", [Sheet(_("Churn risk"), columns, lines)]


def brands_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    scope = analytics_scope(user)
    period = BrandForm(_query(params) or None, area_names=scope.area_names).period()
    sheets = []
    tables = (("brand", _("Brands"), _("Brand")), ("price_class", _("Price classes"), _("price class")))
    for column, title, header in tables:
        columns = [
            Column(_("service area"), 16),
            Column(header, 14),
            Column(_("Sales (yuan)"), 16, "money"),
            Column(_("Share in the area"), 12, "percent"),
            Column(_("Share in the company"), 12, "percent"),
            Column(_("Lift"), 10, "percent"),
        ]
        sheets.append(Sheet(title, columns, preference_export_rows(scope=scope, period=period, column=column)))
    return "analytics-brands", sheets


def measures_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    form = MeasureFilterForm(_query(params) or None)
    rows = measure_rows(scope=analytics_scope(user), filters=form.filters() if form.is_bound else {})
    rows = rows.order_by("-amount_52w", "-retailer_id")
    columns = [
        Column(_("licence number"), 16),
        Column(_("shop name"), 24),
        Column(_("service area"), 14),
        Column(_("tier"), 10),
        Column(_("CSAT"), 10, "percent"),
        Column(_("NPS"), 10, "number"),
        Column(_("mean follow-up rating"), 10, "number"),
        Column(_("weeks ordered of the last 52"), 10, "number"),
        Column(_("months as a partner"), 10, "number"),
        Column(_("amount, last 52 weeks"), 16, "money"),
        Column(_("share of the area's amount"), 12, "percent"),
        Column(_("Dependency"), 12, "percent"),
    ]
    lines = (
        (
            shop.license_no,
            shop.name,
            shop.service_area.name,
            shop.get_tier_display(),
            row.csat,
            row.nps,
            row.visit_rating,
            row.weeks_ordered,
            row.tenure_months,
            row.amount_52w,
            row.contribution,
            row.dependency,
        )
        for row, shop in _named(user, rows)
    )
    return "analytics-measures", [Sheet(_("The four measures"), columns, lines)]


EXPORTS = (
    ("analytics-dashboard", dashboard_export_sheets, gettext_lazy("Analytics dashboard")),
    ("analytics-churn", churn_export_sheets, gettext_lazy("Churn risk")),
    ("analytics-brands", brands_export_sheets, gettext_lazy("Brand preference")),
    ("analytics-measures", measures_export_sheets, gettext_lazy("The four measures")),
)


def _columns(spec) -> list[Column]:
    return [Column(header, width, kind) for header, width, kind in spec]


def forecast_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    """The areas' forecasts and the shops' (one area's, when the page showed one), in the user's scope."""
    run = forecast_latest_run()
    form = ForecastViewForm(params)
    area_id = form.cleaned_data["area"] if form.is_valid() else None
    if run is None:
        return "forecast", [Sheet(_("Service areas"), _columns(AREA_EXPORT_COLUMNS), [])]
    return "forecast", [
        Sheet(_("Service areas"), _columns(AREA_EXPORT_COLUMNS), forecast_area_export_rows(run=run, user=user)),
        Sheet(
            _("Shops"), _columns(SHOP_EXPORT_COLUMNS), forecast_shop_export_rows(run=run, user=user, area_id=area_id)
        ),
    ]


def risk_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    """The risk list as filtered on the page, in the user's scope."""
    form = RiskFilterForm(params)
    filters = form.cleaned_data if form.is_valid() else {}
    findings = risk_findings_for(user=user, rule=filters.get("rule", ""), reviewed=filters.get("reviewed", ""))
    return "compliance-risk", [Sheet(_("Compliance risk"), _columns(RISK_EXPORT_COLUMNS), risk_export_rows(findings))]
