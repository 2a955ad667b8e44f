from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo prefecture (`manage.py seed_demo`): it builds every app's demo data, so it sits
    above all of them and nothing imports it."""

    name = "demo"
    verbose_name = _("Demo data")
