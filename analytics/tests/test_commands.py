"""The management commands and the beat tasks call the same services."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from analytics.models import ForecastRun, RiskFinding
from analytics.tasks import forecast_refresh_task, risk_refresh_task
from retailers.tests.factories import OrderFactory, RetailerFactory


@pytest.mark.django_db
def test_the_commands_and_tasks_refresh_the_forecast_and_the_risk_list(prefecture, capsys):
    today = datetime.date.today()
    last_monday = today - datetime.timedelta(days=today.weekday() + 7)
    for k in range(10):
        OrderFactory(retailer=prefecture["shops"]["a"], ordered_on=last_monday - datetime.timedelta(weeks=k))
    OrderFactory(retailer=RetailerFactory(status="closed"), ordered_on=last_monday, amount=Decimal(500))

    call_command("refresh_forecast")
    call_command("refresh_risk")
    output = capsys.readouterr().out
    assert "forecast of 2 shops" in output and "compliance risk: 1 new findings" in output
    assert forecast_refresh_task() == 2 and ForecastRun.objects.count() == 1
    assert risk_refresh_task() == 0 and RiskFinding.objects.count() == 1
