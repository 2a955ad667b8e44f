"""The forecast page and the risk list: each role allowed and one refused, scope, fixed query
counts, the export jobs, the review of a finding."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics.forecast_services import forecast_refresh
from analytics.models import RiskFinding, RiskRule
from analytics.risk_services import risk_refresh
from analytics.tests.test_forecast_services import TODAY, weekly_orders
from crm_site.models import ExportJob
from retailers.tests.factories import OrderFactory, RetailerFactory

FORECAST = reverse("analytics:forecast")
RISK = reverse("analytics:risk")


@pytest.fixture
def forecast(prefecture):
    for key, amount in (("a", 1000), ("b", 2000), ("c", 3000)):
        weekly_orders(prefecture["shops"][key], [Decimal(amount)] * 52)
    return forecast_refresh(today=TODAY)


def page(client, url, **query):
    """The page in English (the site's language is Chinese)."""
    return client.get(url, query, headers={"accept-language": "en"})


@pytest.mark.django_db
def test_a_manager_sees_only_their_areas_forecast(client_for, users, prefecture, forecast, django_assert_num_queries):
    client = client_for(users["sales_manager"])
    page(client, FORECAST)  # the session and permission caches
    with django_assert_num_queries(8):
        response = page(client, FORECAST)
    text = response.content.decode()
    assert response.status_code == 200
    assert "玄武一片" in text and "玄武二片" not in text and "江宁一片" not in text
    assert "Whole company" not in text
    assert response.context["totals"].next_4_weeks == 4000
    shop_c = prefecture["shops"]["c"]
    assert page(client, FORECAST, shop=shop_c.pk).status_code == 404
    assert page(client, FORECAST, area=prefecture["areas"]["c"].pk).status_code == 404


@pytest.mark.django_db
def test_a_supervisor_sees_their_region_and_an_admin_the_company(client_for, users, prefecture, forecast):
    response = page(client_for(users["supervisor"]), FORECAST)
    assert [row.service_area.name for row in response.context["areas"]] == ["玄武一片", "玄武二片"]
    assert response.context["totals"].next_4_weeks == 12000
    response = page(client_for(users["admin"]), FORECAST)
    assert "Whole company" in response.content.decode()
    assert response.context["company"].shop_count == 3
    # An admin reads the areas one region at a time (the first by name, or the one chosen).
    assert [row.service_area.name for row in response.context["areas"]] == ["江宁一片"]
    response = page(client_for(users["admin"]), FORECAST, region=prefecture["regions"][0].pk)
    assert [row.service_area.name for row in response.context["areas"]] == ["玄武一片", "玄武二片"]


@pytest.mark.django_db
def test_the_area_and_shop_views_keep_a_fixed_number_of_queries(
    client_for, users, prefecture, forecast, django_assert_num_queries
):
    client = client_for(users["supervisor"])
    page(client, FORECAST)
    with django_assert_num_queries(10):
        response = page(client, FORECAST, area=prefecture["areas"]["a"].pk)
    assert response.status_code == 200 and "王记便利店" in response.content.decode()
    with django_assert_num_queries(10):
        response = page(client, FORECAST, shop=prefecture["shops"]["a"].pk)
    assert response.status_code == 200
    assert response.context["chart"]["history"][:52] == [1000.0] * 52
    assert 'id="forecast-chart-data"' in response.content.decode()


@pytest.mark.django_db
def test_the_page_says_where_the_baseline_is_shown(client_for, users, prefecture):
    # Amounts that swing from week to week around a level the last weeks leave: the backtest
    # decides per shop; the page labels each line with the forecast it shows.
    weekly_orders(prefecture["shops"]["a"], [Decimal(100 if k % 2 else 1900) for k in range(52)])
    forecast_refresh(today=TODAY)
    text = page(client_for(users["admin"]), FORECAST).content.decode()
    assert "Baseline: the method does not beat it" in text or "Forecast method" in text
    assert "How the forecast is made and measured" in text


@pytest.mark.django_db
def test_the_page_without_a_forecast_and_with_bad_input(client_for, users):
    client = client_for(users["admin"])
    assert "No forecast has been computed yet" in page(client, FORECAST).content.decode()
    response = page(client, FORECAST, area="x")
    assert response.status_code == 400 and "Service area" in response.content.decode()


@pytest.mark.django_db
def test_a_complaint_clerk_may_not_open_the_forecast_nor_the_risk_list(client_for, users):
    client = client_for(users["complaint_clerk"])
    assert client.get(FORECAST).status_code == 403
    assert client.get(RISK).status_code == 403


@pytest.mark.django_db
def test_the_forecast_export_is_a_logged_background_job_of_the_users_scope(client_for, users, prefecture, forecast):
    from crm_site.exports import export_job_run
    from crm_site.models import ExportLog

    client = client_for(users["sales_manager"])
    response = client.post(reverse("export-job-create"), {"kind": "forecast", "query": ""})
    assert response.status_code == 302
    job = export_job_run(job_id=ExportJob.objects.get(kind="forecast").pk)
    assert job.status == "succeeded" and job.row_count == 2  # one area, one shop
    assert ExportLog.objects.filter(kind="forecast", user=users["sales_manager"]).exists()


@pytest.fixture
def findings(prefecture):
    """A closed shop in area A (region 1) and one in area C (region 2), each ordering."""
    for area in ("a", "c"):
        shop = RetailerFactory(status="closed", service_area=prefecture["areas"][area], name=f"关门店{area}")
        OrderFactory(retailer=shop, ordered_on=datetime.date(2026, 11, 16))
    risk_refresh(today=TODAY)
    return RiskFinding.objects.order_by("retailer__service_area__code")


@pytest.mark.django_db
def test_a_supervisor_reads_the_risk_list_of_their_region(client_for, users, findings, django_assert_num_queries):
    client = client_for(users["supervisor"])
    page(client, RISK)
    with django_assert_num_queries(8):
        response = page(client, RISK)
    text = response.content.decode()
    assert response.status_code == 200
    assert "关门店a" in text and "关门店c" not in text
    assert "by a shop recorded as closed" in text and ">unlicensed<" not in text  # words, not codes
    assert page(client, RISK, rule=RiskRule.SPIKE).context["page"].count == 0
    assert page(client, RISK, reviewed="yes").context["page"].count == 0


@pytest.mark.django_db
def test_an_admin_sees_every_finding_and_a_manager_none(client_for, users, findings):
    assert page(client_for(users["admin"]), RISK).context["page"].count == 2
    assert client_for(users["sales_manager"]).get(RISK).status_code == 403


@pytest.mark.django_db
def test_a_supervisor_marks_a_finding_reviewed(client_for, users, findings):
    client = client_for(users["supervisor"])
    mine, other = findings
    response = client.post(
        reverse("analytics:risk-review"), {"finding": mine.pk, "note": "已上门核实", "back": "reviewed=no"}
    )
    assert response.status_code == 302 and response.url == f"{RISK}?reviewed=no"
    mine.refresh_from_db()
    assert mine.reviewed_by == users["supervisor"] and mine.review_note == "已上门核实"
    assert client.post(reverse("analytics:risk-review"), {"finding": other.pk}).status_code == 404
    response = client.post(
        reverse("analytics:risk-review"), {"finding": "x"}, follow=True, headers={"accept-language": "en"}
    )
    assert "Finding" in response.content.decode()


@pytest.mark.django_db
def test_a_manager_may_not_review(client_for, users, findings):
    response = client_for(users["sales_manager"]).post(reverse("analytics:risk-review"), {"finding": findings[0].pk})
    assert response.status_code == 403
    assert not RiskFinding.objects.filter(reviewed_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_risk_export_is_a_logged_background_job(client_for, users, findings):
    from crm_site.exports import export_job_run

    client = client_for(users["supervisor"])
    client.post(reverse("export-job-create"), {"kind": "risk", "query": "reviewed=no"})
    job = export_job_run(job_id=ExportJob.objects.get(kind="risk").pk)
    assert job.status == "succeeded" and job.row_count == 1
