"""The care policy's starting values: festivals a week or two ahead, birthdays three days ahead."""

from django.db import migrations

DAYS_AHEAD = {
    "spring": 14,
    "lantern": 5,
    "dragon_boat": 7,
    "mid_autumn": 10,
    "double_ninth": 5,
    "birthday": 3,
    "lunar_birthday": 3,
}


def create_defaults(apps, schema_editor):
    CarePolicy = apps.get_model("visits", "CarePolicy")
    for occasion, days in DAYS_AHEAD.items():
        CarePolicy.objects.get_or_create(occasion=occasion, defaults={"days_ahead": days})


class Migration(migrations.Migration):
    dependencies = [("visits", "0003_visit_log_campaigns_care")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
