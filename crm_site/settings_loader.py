"""One place that maps DJANGO_ENV to a settings module (used by manage.py, wsgi and celery)."""

import os

SETTINGS_BY_ENV = {
    "local": "crm_site.settings.local",
    "test": "crm_site.settings.test",
    "production": "crm_site.settings.production",
}


def configure_settings_module() -> None:
    django_env = os.environ.get("DJANGO_ENV", "local")
    if django_env not in SETTINGS_BY_ENV:
        raise SystemExit(f"DJANGO_ENV must be one of {', '.join(SETTINGS_BY_ENV)}, not {django_env!r}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_BY_ENV[django_env])
