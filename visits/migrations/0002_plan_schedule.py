"""The daily visit planning (beat), after the nightly grading run has settled the tiers."""

from django.db import migrations

from crm_site.schedules import daily_task


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0001_visit"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            daily_task("visits: plan routine visits", "visits.plan", hour=5, minute=0),
            migrations.RunPython.noop,
        )
    ]
