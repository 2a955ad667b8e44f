from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmSiteConfig(AppConfig):
    name = "crm_site"
    verbose_name = _("Users and roles")

    def ready(self) -> None:
        from crm_site import messages  # noqa: F401  (registers the export jobs' messages)
