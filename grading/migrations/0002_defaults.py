"""The default grading policy, service policy per tier and the nightly beat entry."""

from django.db import migrations

SERVICE_DEFAULTS = [
    # tier, visit days, ack minutes, resolution hours, scarce weight, points multiplier, survey days
    ("key", 7, 30, 24, "1.50", "1.50", 90),
    ("ordinary", 30, 60, 48, "1.00", "1.00", 180),
    ("special", 90, 120, 72, "0.50", "0.80", 365),
]


def create_defaults(apps, schema_editor):
    GradingPolicy = apps.get_model("grading", "GradingPolicy")
    ServicePolicy = apps.get_model("grading", "ServicePolicy")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")

    policy, _ = GradingPolicy.objects.get_or_create(pk=1)
    for tier, visit, ack, resolve, scarce, multiplier, survey in SERVICE_DEFAULTS:
        ServicePolicy.objects.get_or_create(
            tier=tier,
            defaults={
                "visit_interval_days": visit,
                "complaint_response_minutes": ack,
                "complaint_resolution_hours": resolve,
                "scarce_priority_weight": scarce,
                "points_multiplier": multiplier,
                "survey_interval_days": survey,
            },
        )
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=str(policy.nightly_minute), hour=str(policy.nightly_hour), day_of_week="*",
        day_of_month="*", month_of_year="*", timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name="grading: nightly tier recomputation", defaults={"task": "grading.run_nightly", "crontab": schedule}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
