"""Re-sync the role groups: admins now hold django-axes' permissions (to unlock a locked-out user)."""

from django.db import migrations

from crm_site.roles import sync_role_groups


def resync(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("crm_site", "0010_notification_message"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(resync, migrations.RunPython.noop)]
