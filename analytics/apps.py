from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        register_forecast_and_risk()


def register_forecast_and_risk() -> None:
    """The forecast's and the risk list's background Excel exports."""
    from analytics.exports import forecast_export_sheets, risk_export_sheets
    from crm_site.exports import register_export

    register_export("forecast", forecast_export_sheets, permission="analytics.view_forecast", label=_("Sales forecast"))
    register_export("risk", risk_export_sheets, permission="analytics.view_risk", label=_("Compliance risk list"))
