"""Daily clean-up of old export files (beat)."""

from django.db import migrations

from crm_site.schedules import daily_task


class Migration(migrations.Migration):
    dependencies = [
        ("crm_site", "0004_export_job"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            daily_task("exports: delete files older than a week", "crm_site.clean_exports", hour=3, minute=15),
            migrations.RunPython.noop,
        )
    ]
