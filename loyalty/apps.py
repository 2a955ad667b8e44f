from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Points")

    def ready(self) -> None:
        from loyalty import messages  # noqa: F401  (registers the expiry warning)
        from loyalty.signals import connect_order_imports
        from retailers.dossier import DossierTab, register_dossier_tab

        register_dossier_tab(DossierTab("points", _("Points"), "loyalty:retailer-points", "loyalty"))
        connect_order_imports()
