from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from analytics.exports import EXPORTS, PERMISSION
        from analytics.selectors import analytics_home_line
        from crm_site.exports import register_export
        from crm_site.home import register_home_line
        from retailers.signals import orders_imported

        orders_imported.connect(refresh_after_order_import, dispatch_uid="analytics_refresh_after_import")
        for kind, builder, label in EXPORTS:
            register_export(kind, builder, permission=PERMISSION, label=label)
        register_home_line(analytics_home_line)
        register_forecast_and_risk()


def refresh_after_order_import(sender, **kwargs) -> None:
    """An order import was committed: queue an incremental refresh (after the commit, if inside one)."""
    from django.db import transaction

    from analytics.tasks import analytics_refresh_task

    transaction.on_commit(analytics_refresh_task.delay)


def register_forecast_and_risk() -> None:
    """The forecast's and the risk list's background Excel exports."""
    from analytics.exports import forecast_export_sheets, risk_export_sheets
    from crm_site.exports import register_export

    register_export("forecast", forecast_export_sheets, permission="analytics.view_forecast", label=_("Sales forecast"))
    register_export("risk", risk_export_sheets, permission="analytics.view_risk", label=_("Compliance risk list"))
