from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Points")

    def ready(self) -> None:
        from loyalty import messages  # noqa: F401  (registers the expiry warning)
        from loyalty.services import points_accounts_merge
        from loyalty.signals import connect_order_imports
        from retailers.dossier import DossierTab, register_dossier_tab
        from retailers.merge_steps import register_merge_step

        register_dossier_tab(DossierTab("points", _("Points"), "loyalty:retailer-points", "loyalty"))
        connect_order_imports()
        register_merge_step(points_accounts_merge)
