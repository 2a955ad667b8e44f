"""Re-sync the role groups: the import permission is new (crm_site.roles is the table)."""

from django.db import migrations

from crm_site.roles import sync_role_groups


def resync(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("crm_site", "0005_clean_exports_schedule"),
        ("retailers", "0003_import_job"),
    ]

    operations = [migrations.RunPython(resync, migrations.RunPython.noop)]
