"""The analytics pages for every role that may open them and one that may not, the scope of each
role (a manager's dashboard never counts another area's shop), fixed query counts, the exports."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.services import analytics_refresh
from crm_site.models import ExportJob
from crm_site.roles import Role
from retailers.tests.factories import OrderFactory

PAGES = ("analytics:index", "analytics:churn", "analytics:brands", "analytics:measures")
TODAY = timezone.localdate()
LAST_MONTH = (TODAY.replace(day=1) - datetime.timedelta(days=1)).replace(day=10)


@pytest.fixture
def refreshed(prefecture):
    """Last month: shop a bought 1,000 yuan, shop b 2,000, shop c (another region) 4,000."""
    shops = prefecture["shops"]
    for key, amount in (("a", "1000"), ("b", "2000"), ("c", "4000")):
        OrderFactory(retailer=shops[key], ordered_on=LAST_MONTH, amount=Decimal(amount), cartons=4)
    analytics_refresh(full=True)
    return prefecture


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER])
def test_every_page_opens_for_the_analytics_roles(refreshed, client_for, name, role):
    response = client_for(refreshed["users"][role]).get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_a_complaint_clerk_may_not_open_them(refreshed, client_for, name):
    assert client_for(refreshed["users"][Role.COMPLAINT_CLERK]).get(reverse(name)).status_code == 403


@pytest.mark.parametrize(
    ("role", "amount", "shops"),
    [(Role.ADMIN, Decimal("7000"), 3), (Role.SUPERVISOR, Decimal("3000"), 2), (Role.SALES_MANAGER, Decimal("1000"), 1)],
)
def test_the_dashboard_counts_only_the_shops_of_the_users_scope(refreshed, client_for, role, amount, shops):
    response = client_for(refreshed["users"][role]).get(reverse("analytics:index"))
    figures = {figure.key: figure for figure in response.context["figures"]}
    assert figures["amount"].current == amount
    assert figures["active"].current == shops
    assert response.context["shops"] == shops


def test_an_other_areas_sales_never_reach_a_managers_pages(refreshed, client_for):
    client = client_for(refreshed["users"][Role.SALES_MANAGER])
    brands = client.get(reverse("analytics:brands")).context["tables"][0][1]
    assert sum(line["amount"] for line in brands) == 0  # no order lines for shop a
    measures = client.get(reverse("analytics:measures"))
    assert [shop.pk for _row, shop in measures.context["shops"]] == [refreshed["shops"]["a"].pk]


def test_a_bad_period_says_which_field_and_shows_the_default(refreshed, client_for):
    response = client_for(refreshed["users"][Role.ADMIN]).get(
        reverse("analytics:index"), {"kind": "range", "month": "2026-05", "until": "2026-02"}
    )
    assert response.status_code == 200
    assert "until" in response.context["form"].errors


def test_the_churn_settings_are_validated(refreshed, client_for):
    response = client_for(refreshed["users"][Role.SUPERVISOR]).get(reverse("analytics:churn"), {"drop": "500"})
    assert response.status_code == 200
    assert "drop" in response.context["form"].errors
    assert response.context["drop"] == 30  # the default stands for a refused value


@pytest.mark.parametrize(("name", "queries"), [
    ("analytics:index", 18), ("analytics:churn", 11), ("analytics:brands", 12), ("analytics:measures", 12),
])  # fmt: skip
def test_each_page_runs_a_fixed_number_of_queries(refreshed, client_for, django_assert_num_queries, name, queries):
    client = client_for(refreshed["users"][Role.SUPERVISOR])
    client.get(reverse(name))
    with django_assert_num_queries(queries):
        client.get(reverse(name))


@pytest.mark.parametrize("kind", ["analytics-dashboard", "analytics-churn", "analytics-brands", "analytics-measures"])
def test_every_table_exports_through_a_logged_job(refreshed, client_for, django_capture_on_commit_callbacks, kind):
    client = client_for(refreshed["users"][Role.SALES_MANAGER])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export-job-create"), {"kind": kind, "query": ""})
    assert response.status_code == 302
    job = ExportJob.objects.get(kind=kind)
    assert job.status == ExportJob.Status.SUCCEEDED, job.text


def test_the_home_page_shows_the_compact_dashboard_to_analytics_roles_only(refreshed, client_for):
    admin_lines = client_for(refreshed["users"][Role.ADMIN]).get(reverse("home")).context["lines"]
    assert any("7,000" in line for line in admin_lines)
    clerk_lines = client_for(refreshed["users"][Role.COMPLAINT_CLERK]).get(reverse("home")).context["lines"]
    assert not any("7,000" in line for line in clerk_lines)


def test_only_admins_refresh_on_demand(refreshed, client_for, django_capture_on_commit_callbacks):
    assert client_for(refreshed["users"][Role.SUPERVISOR]).post(reverse("analytics:refresh")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(refreshed["users"][Role.ADMIN]).post(reverse("analytics:refresh"))
    assert response.status_code == 302


def test_plan_a_visit_from_the_churn_list(refreshed, client_for):
    from visits.models import Visit

    shop, manager = refreshed["shops"]["a"], refreshed["users"][Role.SALES_MANAGER]
    shop.account_manager = manager
    shop.save()
    client = client_for(manager)
    response = client.post(reverse("analytics:churn-plan-visit", args=[shop.pk]), {"query": "drop=40"})
    assert response.status_code == 302 and response.url.endswith("?drop=40")
    visit = Visit.objects.get(retailer=shop)
    assert (visit.manager, visit.status) == (manager, "planned")
    other = refreshed["shops"]["c"]  # another region's shop: not found
    assert client.post(reverse("analytics:churn-plan-visit", args=[other.pk])).status_code == 404


def test_the_dashboard_shows_the_points_outstanding_of_the_users_shops_only(refreshed, client_for):
    from loyalty.models import PointsAccount

    for key, points in (("a", 120), ("b", 300), ("c", 5000)):
        PointsAccount.objects.create(retailer=refreshed["shops"][key], balance=points)
    expected = {Role.SALES_MANAGER: 120, Role.SUPERVISOR: 420, Role.ADMIN: 5420}
    for role, points in expected.items():
        response = client_for(refreshed["users"][role]).get(reverse("analytics:index"))
        assert response.context["service"]["points"] == points
        assert f"<strong>{points:,}</strong>" in response.content.decode()
