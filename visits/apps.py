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
        register_surveys()

        from crm_site.exports import register_export
        from visits.views.agenda import ROUTE_EXPORT_KIND, route_export_sheets

        register_export(
            ROUTE_EXPORT_KIND, route_export_sheets, permission="visits.export_visit_route", label=_("Route sheets")
        )


def register_surveys() -> None:
    """Surveys (issue 11): the dossier's surveys tab and the answers on its timeline."""
    from retailers.dossier import DossierTab, register_dossier_tab
    from retailers.timeline import register_timeline_source
    from visits.survey_selectors import survey_timeline_events

    register_timeline_source(survey_timeline_events)
    register_dossier_tab(DossierTab("surveys", _("Surveys"), "visits:retailer-surveys", "visits"))
