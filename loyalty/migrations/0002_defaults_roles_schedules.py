"""The points policy's one row, the role groups re-synced (managers file redemptions, supervisors
approve them and adjust points) and the nightly beat entries: earn, expire (with the warnings), reconcile."""

from django.db import migrations

from crm_site.roles import sync_role_groups
from crm_site.schedules import daily_task


def create_defaults(apps, schema_editor):
    apps.get_model("loyalty", "PointsPolicy").objects.get_or_create(pk=1)
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0001_initial"),
        ("crm_site", "0011_roles_for_axes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunPython(daily_task("points: earn", "loyalty.earn", hour=2, minute=30), migrations.RunPython.noop),
        migrations.RunPython(
            daily_task("points: expire and warn", "loyalty.expire", hour=0, minute=20), migrations.RunPython.noop
        ),
        migrations.RunPython(
            daily_task("points: reconcile", "loyalty.reconcile", hour=5, minute=10), migrations.RunPython.noop
        ),
    ]
