"""A default allocation rule set, the daily beat entry that reads the uptake (by 档位, a weight per level) and the role groups re-synced:
supervisors create and publish allocations and edit rule sets, managers read their shops' lines."""

from django.db import migrations

from crm_site.roles import sync_role_groups
from crm_site.schedules import daily_task

# 档位 1–5 get nothing; from 6 up the weight rises with the level.
DEFAULT_QUOTAS = {str(level): (0 if level <= 5 else level - 5) for level in range(1, 31)}


def create_defaults(apps, schema_editor):
    AllocationRuleSet = apps.get_model("grading", "AllocationRuleSet")
    AllocationRuleSet.objects.get_or_create(
        name="按档位（默认）",
        defaults={
            "mode": "level",
            "quota_kind": "weight",
            "quotas": DEFAULT_QUOTAS,
            "use_priority_weight": True,
            "cap_per_shop": 5,
            "excluded_finding_kinds": ["counterfeit", "cross_territory", "unlicensed_sale"],
            "finding_months": 6,
        },
    )
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0007_allocation"),
        ("crm_site", "0011_roles_for_axes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_defaults, migrations.RunPython.noop),
        migrations.RunPython(
            daily_task("grading: allocation uptake", "grading.allocation_uptake", hour=4, minute=20),
            migrations.RunPython.noop,
        ),
    ]
