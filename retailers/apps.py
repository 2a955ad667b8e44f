from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetailersConfig(AppConfig):
    name = "retailers"
    verbose_name = _("Retailers")

    def ready(self) -> None:
        from retailers import signals  # noqa: F401  (records the change source on history rows)
