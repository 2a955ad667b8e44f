"""The manager's agenda (/visits/) and the route sheet: who sees whose agenda, the day in route
order with its distance, the week, overdue, care reminders, printing and exporting, query counts."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm_site.exports import export_job_run
from crm_site.models import ExportJob, ExportLog
from crm_site.roles import Role
from retailers.models import Tier
from retailers.tests.factories import RetailerFactory
from visits.models import CareReminder, VisitKind, VisitStatus
from visits.tests.log.helpers import TODAY, plan

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def located_shop(prefecture, manager, name, lat, lon="118.000000", area="a"):
    return RetailerFactory(
        service_area=prefecture["areas"][area], account_manager=manager, tier=Tier.KEY, name=name,
        latitude=None if lat is None else Decimal(lat), longitude=None if lat is None else Decimal(lon),
        license_expires_on=datetime.date(2028, 12, 31),
    )  # fmt: skip


@pytest.fixture
def day(prefecture, manager, today):
    """Today's visits of the manager: three placed shops given out of order, one without a location."""
    shops = [
        located_shop(prefecture, manager, "甲店", "32.000000"),
        located_shop(prefecture, manager, "乙店", "32.030000"),
        located_shop(prefecture, manager, "丙店", "32.010000"),
        located_shop(prefecture, manager, "无址店", None),
    ]
    return [plan(shop) for shop in shops]


def names_in_order(body: str, names: list[str]) -> bool:
    positions = [body.index(name) for name in names]
    return positions == sorted(positions)


def test_a_manager_sees_today_in_route_order_with_the_distance(client_for, manager, day, today):
    response = client_for(manager).get(reverse("visits:index"), **EN)
    assert response.status_code == 200
    body = response.content.decode()
    route = body[body.index('id="route"') :]
    assert names_in_order(route, ["甲店", "丙店", "乙店", "无址店"])
    assert "4 shops, 3.3 km in all." in body  # 1.1 + 2.2
    assert "+1.1 km" in body and "+2.2 km" in body
    assert "1 shop has no location yet: it comes last and is not in the distance." in body


def test_the_agenda_in_chinese(client_for, manager, day, today):
    body = client_for(manager).get(reverse("visits:index"), **ZH).content.decode()
    assert "今日" in body and "公里" in body and "逾期" in body


def test_the_week_overdue_and_done_today(client_for, prefecture, manager, shop, today):
    plan(shop, kind=VisitKind.CARE, planned_on=TODAY + datetime.timedelta(days=3), purpose="中秋")  # Friday
    plan(shop, kind=VisitKind.SEASONAL, planned_on=TODAY + datetime.timedelta(days=7))  # next week: not shown
    late = located_shop(prefecture, manager, "迟到店", "32.1")
    plan(late, planned_on=TODAY - datetime.timedelta(days=4))
    plan(late, kind=VisitKind.CARE, planned_on=TODAY - datetime.timedelta(days=9), status=VisitStatus.MISSED,
         miss_reason="weather")  # fmt: skip
    done = located_shop(prefecture, manager, "已访店", "32.2")
    plan(done, kind=VisitKind.CARE, status=VisitStatus.DONE, visited_on=TODAY, channel="phone")
    response = client_for(manager).get(reverse("visits:index"), **EN)
    body = response.content.decode()
    week = body[body.index('id="agenda-week"') :]
    overdue = body[body.index('id="agenda-overdue"') : body.index('id="agenda-week"')]
    route = body[body.index('id="route"') : body.index('id="agenda-overdue"')]
    assert "09-04" in week and "2026-09-06" in week and "09-08" not in week
    assert "迟到店" in overdue and "2026-08-28" in overdue and "2026-08-23" not in overdue  # missed is not overdue
    assert "已访店" in route and "Done" in route


def test_a_manager_sees_only_their_own_agenda(client_for, prefecture, manager, shop, other_shop, today):
    plan(other_shop)
    client = client_for(manager)
    body = client.get(reverse("visits:index"), **EN).content.decode()
    assert other_shop.name not in body and 'name="manager"' not in body
    # ?manager= is not theirs to choose: ignored, their own agenda
    other = prefecture["other_manager"]
    body = client.get(reverse("visits:index"), {"manager": other.pk}, **EN).content.decode()
    assert other_shop.name not in body


def test_a_supervisor_picks_a_manager_of_their_region_only(client_for, prefecture, users, manager, day, other_shop):
    plan(other_shop)
    client = client_for(users[Role.SUPERVISOR])
    page = client.get(reverse("visits:index"), {"manager": manager.pk}, **EN)
    assert page.status_code == 200
    body = page.content.decode()
    assert "甲店" in body and 'name="manager"' in body
    assert f'<option value="{prefecture["other_manager"].pk}"' not in body
    refused = client.get(reverse("visits:index"), {"manager": prefecture["other_manager"].pk}, **EN)
    assert refused.status_code == 400 and other_shop.name not in refused.content.decode()
    assert "Sales manager: choose one of the managers of your regions." in refused.content.decode()


def test_an_admin_picks_any_manager(client_for, prefecture, users, other_shop, today):
    plan(other_shop)
    response = client_for(users[Role.ADMIN]).get(reverse("visits:index"), {"manager": prefecture["other_manager"].pk})
    assert response.status_code == 200 and other_shop.name in response.content.decode()


@pytest.mark.parametrize("role", [Role.COMPLAINT_CLERK])
def test_roles_without_the_visits_area_are_refused(client_for, users, role):
    assert client_for(users[role]).get(reverse("visits:index")).status_code == 403
    assert client_for(users[role]).get(reverse("visits:route-sheet")).status_code == 403


def test_the_agenda_keeps_a_fixed_number_of_queries(
    client_for, prefecture, manager, shop, day, today, django_assert_num_queries
):
    client = client_for(manager)
    url = reverse("visits:index")
    client.get(url)  # warm the session and permission caches
    # session, user, groups, permissions ×2; route, week, overdue + count, reminders; notifications
    with django_assert_num_queries(11):
        client.get(url)
    for n in range(6):
        more = located_shop(prefecture, manager, f"加店{n}", f"32.{n}")
        plan(more, kind=VisitKind.CARE, planned_on=TODAY + datetime.timedelta(days=n % 3))
        plan(more, planned_on=TODAY - datetime.timedelta(days=n + 1))
        CareReminder.objects.create(retailer=more, occasion="birthday", occurs_on=TODAY, remind_from=TODAY)
    with django_assert_num_queries(11):
        response = client.get(url)
    assert "加店5" in response.content.decode()


def test_the_supervisors_agenda_keeps_a_fixed_number_of_queries(
    client_for, users, manager, day, today, django_assert_num_queries
):
    client = client_for(users[Role.SUPERVISOR])
    url = reverse("visits:index") + f"?manager={manager.pk}"
    client.get(url)
    # as the manager's, plus the chosen manager and the choice list (each with its areas)
    with django_assert_num_queries(15):
        client.get(url)


def test_the_route_sheet_prints_any_day(client_for, manager, day, today):
    client = client_for(manager)
    body = client.get(reverse("visits:route-sheet"), **EN).content.decode()
    assert 'id="print-route"' in body and "visit_agenda.js" in body and "4 shops, 3.3 km in all." in body
    body = client.get(reverse("visits:route-sheet"), {"day": "2026-09-02"}, **EN).content.decode()
    assert "No visit planned for this day." in body
    refused = client.get(reverse("visits:route-sheet"), {"day": "tomorrow"}, **EN)
    assert refused.status_code == 400 and "Date: enter a date such as 2026-09-01." in refused.content.decode()


def test_the_route_sheet_exports_in_the_background_and_is_logged(client_for, manager, day, today, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(manager)
    body = client.get(reverse("visits:index"), **EN).content.decode()
    assert 'value="visit-route"' in body
    response = client.post(reverse("export-job-create"), {"kind": "visit-route", "query": "day=2026-09-01"})
    assert response.status_code == 302
    job = export_job_run(job_id=ExportJob.objects.get(kind="visit-route").pk)
    assert job.status == ExportJob.Status.SUCCEEDED and job.row_count == 4
    sheet = load_workbook(job.file.open("rb")).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in rows] == ["甲店", "丙店", "乙店", "无址店"]
    assert rows[1][8] == "1.1" and rows[0][8] is None
    assert ExportLog.objects.get(kind="visit-route").row_count == 4


def test_a_route_export_of_another_regions_manager_fails_without_data(
    users, prefecture, other_shop, settings, tmp_path
):
    from crm_site.exports import export_job_start

    settings.MEDIA_ROOT = tmp_path
    plan(other_shop)
    job = export_job_start(
        user=users[Role.SUPERVISOR], kind="visit-route", params={"manager": str(prefecture["other_manager"].pk)}
    )
    job = export_job_run(job_id=job.pk)
    assert job.status == ExportJob.Status.FAILED and not job.file
    assert not ExportLog.objects.filter(kind="visit-route").exists()
