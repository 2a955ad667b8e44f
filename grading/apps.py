from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = _("Grading")

    def ready(self) -> None:
        from grading import messages  # noqa: F401  (registers the runs' notes)
        from grading.selectors import grading_timeline_events
        from retailers.dossier import DossierTab, register_dossier_tab
        from retailers.timeline import register_timeline_source

        register_timeline_source(grading_timeline_events)
        register_dossier_tab(DossierTab("grading", _("Tier and score"), "grading:retailer-panel", "grading"))
        register_dossier_tab(
            DossierTab("allocations", _("Scarce supply"), "grading:allocation-retailer-panel", "grading")
        )
