"""Each run records what started it: the schedule, a user on the grading page, or the command."""

import pytest
from django.urls import reverse

from crm_site.roles import Role
from grading.models import GradingRun, RunTrigger
from grading.services import grading_run_start
from grading.tasks import grading_nightly_task

pytestmark = pytest.mark.django_db


def test_the_nightly_task_is_the_schedule_and_a_user_is_on_demand(users):
    grading_nightly_task()
    assert GradingRun.objects.get().trigger == RunTrigger.SCHEDULE
    GradingRun.objects.all().delete()
    run = grading_run_start(started_by=users[Role.ADMIN], queue=False)
    assert (run.trigger, run.started_by) == (RunTrigger.ON_DEMAND, users[Role.ADMIN])


def test_a_run_started_on_the_grading_page_is_on_demand(client_for, users):
    client_for(users[Role.ADMIN]).post(reverse("grading:run-start"))
    assert GradingRun.objects.get().trigger == RunTrigger.ON_DEMAND
