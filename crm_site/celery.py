"""The Celery app: reads CELERY_* settings and finds tasks.py in every installed app."""

from celery import Celery

from crm_site.settings_loader import configure_settings_module

configure_settings_module()

app = Celery("crm_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
