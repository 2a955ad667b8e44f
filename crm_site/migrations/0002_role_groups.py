"""Creates the four role groups with their permissions (the table is crm_site.roles)."""

from django.db import migrations

from crm_site.roles import sync_role_groups


def create_role_groups(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("crm_site", "0001_initial"),
        ("retailers", "0001_initial"),
        ("grading", "0001_initial"),
        ("complaints", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
