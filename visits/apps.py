from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        # The visit log's dossier tab and timeline events.
        from retailers.dossier import DossierTab, register_dossier_tab
        from retailers.timeline import register_timeline_source
        from visits.selectors import visit_timeline_events

        register_timeline_source(visit_timeline_events)
        register_dossier_tab(DossierTab("visits", _("Visits"), "visits:retailer-visits", "visits"))
