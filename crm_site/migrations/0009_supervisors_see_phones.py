"""Re-sync the role groups: supervisors now see full phone numbers, like the managers they lead
(crm_site.roles is the table)."""

from django.db import migrations

from crm_site.roles import sync_role_groups


def resync(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("crm_site", "0008_export_job_messages_as_codes"),
    ]

    operations = [migrations.RunPython(resync, migrations.RunPython.noop)]
