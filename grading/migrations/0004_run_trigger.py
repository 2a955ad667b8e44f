from django.db import migrations, models


def runs_started_by_a_user_were_on_demand(apps, schema_editor) -> None:
    apps.get_model("grading", "GradingRun").objects.filter(started_by__isnull=False).update(trigger="on_demand")


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0003_movers_partial_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="gradingrun",
            name="trigger",
            field=models.CharField(
                choices=[("schedule", "Schedule"), ("on_demand", "On demand"), ("command", "Command line")],
                default="schedule",
                max_length=10,
                verbose_name="started from",
            ),
        ),
        migrations.RunPython(runs_started_by_a_user_were_on_demand, migrations.RunPython.noop),
    ]
