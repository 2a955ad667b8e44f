from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from complaints.selectors import complaint_timeline_events
        from retailers.dossier import DossierTab, register_dossier_tab
        from retailers.timeline import register_timeline_source

        register_timeline_source(complaint_timeline_events)
        register_dossier_tab(DossierTab("complaints", _("Complaints"), "complaints:retailer-tickets", "complaints"))
