"""Beat entries that data migrations create: a task run once a day at a set time, Beijing time.

Migrations call this (through the historical models they are given), so it must keep working for
every migration that ever used it: add parameters with defaults, never change what it creates.
"""

from __future__ import annotations

from collections.abc import Callable


def daily_task(name: str, task: str, *, hour: int, minute: int) -> Callable:
    """A RunPython function that creates the periodic task `name` running `task` daily at
    hour:minute (Asia/Shanghai), once: running it again changes nothing."""

    def create(apps, schema_editor) -> None:
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        schedule, _created = CrontabSchedule.objects.get_or_create(
            minute=str(minute),
            hour=str(hour),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": schedule})

    return create
