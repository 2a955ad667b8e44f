from celery import shared_task

from complaints.services import tickets_check_deadlines


@shared_task(name="complaints.check_deadlines")
def check_deadlines_task() -> dict:
    """Beat entry (every 5 minutes): due-soon warnings and overdue escalations, once per step."""
    return tickets_check_deadlines()
