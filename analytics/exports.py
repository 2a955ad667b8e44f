"""The forecast's and the risk list's Excel exports (background jobs of crm_site.exports, logged)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from analytics.forecast_selectors import (
    AREA_EXPORT_COLUMNS,
    SHOP_EXPORT_COLUMNS,
    forecast_area_export_rows,
    forecast_latest_run,
    forecast_shop_export_rows,
)
from analytics.forms import ForecastViewForm, RiskFilterForm
from analytics.risk_selectors import RISK_EXPORT_COLUMNS, risk_export_rows, risk_findings_for
from crm_site.excel import Column, Sheet


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
