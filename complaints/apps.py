from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        import django_filters

        import complaints.messages  # noqa: F401  (registers the stored messages' codes)
        from complaints.forms import retailers_with_open_tickets
        from complaints.selectors import complaint_timeline_events
        from retailers.dossier import DossierTab, register_dossier_tab
        from retailers.list_filters import RetailerListFilter, register_retailer_filter
        from retailers.timeline import register_timeline_source

        register_timeline_source(complaint_timeline_events)
        register_dossier_tab(DossierTab("complaints", _("Complaints"), "complaints:retailer-tickets", "complaints"))
        register_retailer_filter(
            RetailerListFilter(
                "has_open_complaints",
                django_filters.BooleanFilter(label=_("Has open complaints"), method=retailers_with_open_tickets),
                after="license_expired",
            )
        )
