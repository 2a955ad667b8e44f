import os
import socket

from celery import shared_task
from django.utils import timezone


@shared_task(name="crm_site.health_check")
def health_check() -> dict:
    """Answers from the worker: used by monitoring (and the test) to prove a worker is consuming."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "at": timezone.now().isoformat()}
