from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RetailersConfig(AppConfig):
    name = "retailers"
    verbose_name = _("Retailers")

    def ready(self) -> None:
        from retailers import (
            messages,  # noqa: F401  (registers the import messages)
            signals,  # noqa: F401  (records the change source on history rows)
        )
        from retailers.selectors import retailer_timeline_events
        from retailers.timeline import register_timeline_source

        register_timeline_source(retailer_timeline_events)

        from crm_site.home import register_home_line
        from retailers.selectors import retailers_home_line

        register_home_line(retailers_home_line)

        from crm_site.exports import register_export
        from retailers.exports import order_export_sheets, retailer_export_sheets

        register_export(
            "retailers", retailer_export_sheets, permission="retailers.export_retailers", label=_("Retailers")
        )
        # Orders are retailer data: the same export permission.
        register_export(
            "orders",
            order_export_sheets,
            permission="retailers.export_retailers",
            label=pgettext_lazy("order list", "Orders"),
        )
