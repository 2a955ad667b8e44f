"""The visit log's pages, the dossier's visits tab and the KPI page: each allowed role, one refused,
another user's visit, the form's errors (naming the field, in both languages), query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from complaints.models import Ticket
from complaints.tests.files import png_bytes
from crm_site.roles import Role
from visits.models import CareReminder, MissReason, Visit, VisitKind, VisitStatus, VisitStockCheck
from visits.services import visit_kpis_refresh
from visits.tests.log.helpers import TODAY, plan

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def log_data(products=(), **extra):
    data = {"channel": "on_site", "purpose": "走访", "satisfaction": "5", "needs": "", "feedback": ""}
    for product in products:
        data[f"stock_{product.pk}"] = "in"
        data[f"cartons_{product.pk}"] = "4"
    data.update(extra)
    return data


def test_the_manager_opens_checks_in_and_logs_a_planned_visit(client_for, shop, manager, top_products, today):
    visit = plan(shop)
    client = client_for(manager)
    page = client.get(reverse("visits:visit-detail", args=[visit.pk]), **EN)
    assert page.status_code == 200 and "Check in" in page.content.decode()
    response = client.post(reverse("visits:visit-check-in", args=[visit.pk]))
    assert response.status_code == 302 and response.url == reverse("visits:visit-log", args=[visit.pk])
    form = client.get(reverse("visits:visit-log", args=[visit.pk]))
    assert form.status_code == 200
    body = form.content.decode()
    assert all(str(product) in body for product in top_products) and 'accept="image/*"' in body
    upload = SimpleUploadedFile("shelf.png", png_bytes(), content_type="image/png")
    response = client.post(
        reverse("visits:visit-log", args=[visit.pk]),
        log_data(top_products, photo=upload, open_ticket="on", ticket_category="delivery",
                 ticket_description="送货晚了", next_visit_on="2026-09-15"),
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE and visit.ticket == Ticket.objects.get()
    assert VisitStockCheck.objects.filter(visit=visit, in_stock=True, cartons=4).count() == 2
    assert Visit.objects.filter(kind=VisitKind.FOLLOW_UP, previous=visit, planned_on="2026-09-15").exists()
    assert Visit.objects.filter(kind=VisitKind.ROUTINE, status=VisitStatus.PLANNED).exists()
    detail = client.get(reverse("visits:visit-detail", args=[visit.pk])).content.decode()
    assert visit.ticket.number in detail and reverse("visits:visit-photo", args=[visit.pk]) in detail
    photo = client.get(reverse("visits:visit-photo", args=[visit.pk]))
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == png_bytes()
    assert photo["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("headers", "words"), [(ZH, ["渠道", "满意度"]), (EN, ["channel", "Complaint category"])])
def test_errors_name_the_field_in_both_languages(client_for, shop, manager, today, headers, words):
    visit = plan(shop)
    response = client_for(manager).post(
        reverse("visits:visit-log", args=[visit.pk]),
        {"open_ticket": "on", "satisfaction": "9"},
        **headers,
    )
    assert response.status_code == 400
    body = response.content.decode()
    for word in words:
        assert word in body
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_a_bad_photo_is_shown_on_its_field_and_nothing_is_saved(client_for, shop, manager, today):
    visit = plan(shop)
    upload = SimpleUploadedFile("shelf.png", b"plain text", content_type="image/png")
    response = client_for(manager).post(reverse("visits:visit-log", args=[visit.pk]), log_data(photo=upload), **EN)
    assert response.status_code == 400 and "is not a PNG picture" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_another_managers_visit_is_a_404(client_for, other_shop, manager, today):
    visit = plan(other_shop)
    client = client_for(manager)
    for name in ("visits:visit-detail", "visits:visit-log", "visits:visit-miss", "visits:visit-photo"):
        assert client.get(reverse(name, args=[visit.pk])).status_code == 404
    assert client.post(reverse("visits:visit-check-in", args=[visit.pk])).status_code == 404
    assert client.get(reverse("visits:visit-new") + f"?retailer={other_shop.pk}").status_code == 404


def test_a_supervisor_of_the_region_may_log_and_a_clerk_may_not(client_for, shop, users, today):
    visit = plan(shop)
    assert client_for(users[Role.SUPERVISOR]).get(reverse("visits:visit-log", args=[visit.pk])).status_code == 200
    assert client_for(users[Role.COMPLAINT_CLERK]).get(reverse("visits:visit-log", args=[visit.pk])).status_code == 403


def test_an_unplanned_visit_is_logged_from_the_dossier(client_for, shop, manager, today):
    client = client_for(manager)
    picker = client.get(reverse("visits:visit-new") + "?q=" + shop.name[:2])
    assert picker.status_code == 200 and shop.name in picker.content.decode()
    url = reverse("visits:visit-new") + f"?retailer={shop.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, log_data(kind="care"))
    visit = Visit.objects.get(unplanned=True)
    assert response.status_code == 302 and response.url == reverse("visits:visit-detail", args=[visit.pk])
    assert (visit.kind, visit.status, visit.manager) == (VisitKind.CARE, VisitStatus.DONE, manager)
    assert client.get(reverse("visits:visit-new") + "?retailer=abc").status_code == 404


def test_a_missed_visit_needs_a_reason_and_can_be_moved(client_for, shop, manager, today):
    visit = plan(shop)
    client = client_for(manager)
    url = reverse("visits:visit-miss", args=[visit.pk])
    refused = client.post(url, {"note": "x"}, **EN)
    assert refused.status_code == 400 and "Reason missed" in refused.content.decode()
    response = client.post(url, {"reason": MissReason.SHOP_CLOSED, "note": "关门", "new_date": "2026-09-03"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.MISSED
    assert Visit.objects.get(status=VisitStatus.PLANNED).planned_on == datetime.date(2026, 9, 3)
    assert client.get(url).status_code == 302  # no longer planned: back to its page


def test_the_dossier_tab_shows_plans_done_missed_and_reminders(
    client_for, shop, manager, today, django_assert_num_queries
):
    plan(shop, planned_on=datetime.date(2026, 9, 8))
    for n in range(3):
        plan(shop, kind=VisitKind.CARE, planned_on=TODAY - datetime.timedelta(days=n + 1), status=VisitStatus.DONE,
             visited_on=TODAY - datetime.timedelta(days=n + 1), satisfaction=4, channel="phone")  # fmt: skip
    plan(shop, kind=VisitKind.CARE, planned_on=datetime.date(2026, 8, 20), status=VisitStatus.MISSED,
         miss_reason=MissReason.WEATHER)  # fmt: skip
    CareReminder.objects.create(
        retailer=shop,
        occasion="mid_autumn",
        occurs_on=datetime.date(2026, 9, 25),
        remind_from=datetime.date(2026, 9, 15),
    )
    client = client_for(manager)
    url = reverse("visits:retailer-visits", args=[shop.pk])
    client.get(url)  # warm the session and permission caches
    with django_assert_num_queries(11):  # session, user, groups, permissions ×2, shop, 4 sections, notifications
        response = client.get(url, **EN)
    body = response.content.decode()
    for n in range(5):
        plan(shop, kind=VisitKind.SEASONAL, planned_on=TODAY + datetime.timedelta(days=n + 1))
    with django_assert_num_queries(11):  # the same whatever the history
        client.get(url, **EN)
    assert response.status_code == 200
    assert "2026-09-08" in body and "4/5" in body and "Weather or road conditions" in body and "Mid-Autumn" in body
    assert reverse("visits:visit-new") + f"?retailer={shop.pk}" in body


def test_the_dossier_tab_of_another_shop_is_a_404(client_for, other_shop, manager):
    assert client_for(manager).get(reverse("visits:retailer-visits", args=[other_shop.pk])).status_code == 404


def test_the_timeline_shows_visits(shop, manager, today):
    from retailers.timeline import retailer_timeline
    from visits.services import visit_log, visit_miss

    visit_log(visit=plan(shop, kind=VisitKind.CARE), user=manager, data={"channel": "wechat", "satisfaction": 3},
              open_ticket={"category": "delivery", "description": "送货晚了"})  # fmt: skip
    visit_miss(visit=plan(shop, kind=VisitKind.CARE), user=manager, reason=MissReason.OWNER_AWAY, note="去进货了")
    events = [event for event in retailer_timeline(retailer=shop) if event.kind == "visits"]
    titles = " | ".join(f"{event.title} {event.detail}" for event in events)
    assert len(events) == 3
    assert "3/5" in titles and "去进货了" in titles and Ticket.objects.get().number in titles


def test_the_kpi_page_per_role(
    client_for, shop, other_shop, manager, users, prefecture, today, django_assert_num_queries
):
    plan(shop, kind=VisitKind.CARE, planned_on=datetime.date(2026, 9, 1), status=VisitStatus.DONE,
         visited_on=datetime.date(2026, 9, 1), satisfaction=4)  # fmt: skip
    plan(other_shop, kind=VisitKind.CARE, planned_on=datetime.date(2026, 9, 2))
    visit_kpis_refresh()
    client = client_for(manager)
    url = reverse("visits:kpis")
    client.get(url)
    with django_assert_num_queries(7):  # session, user, groups, permissions ×2, the roll-up's sums, notifications
        response = client.get(url, **EN)
    body = response.content.decode()
    assert response.status_code == 200 and "100.0%" in body and str(prefecture["other_manager"]) not in body
    for n in range(5):
        plan(shop, kind=VisitKind.SEASONAL, planned_on=datetime.date(2026, 9, 10 + n))
    visit_kpis_refresh()
    with django_assert_num_queries(7):
        client.get(url, **EN)
    admin_page = client_for(users[Role.ADMIN]).get(url + "?period=this_month").content.decode()
    assert str(prefecture["other_manager"]) in admin_page and "14.3%" in admin_page  # 1 done of 7
    assert client_for(users[Role.COMPLAINT_CLERK]).get(url).status_code == 403
    region_2 = prefecture["regions"][1]
    narrowed = client_for(users[Role.ADMIN]).get(url, {"period": "this_month", "region": region_2.pk}, **EN)
    assert str(prefecture["other_manager"]) in narrowed.content.decode()
    assert str(manager) not in narrowed.content.decode().split('id="kpis-managers"')[1]
    supervisor_page = client_for(users[Role.SUPERVISOR]).get(url, {"region": region_2.pk}, **EN)
    assert supervisor_page.status_code == 400 and "Region" in supervisor_page.content.decode()  # not theirs
    bad = client_for(manager).get(url + "?start=2026-09-10&end=2026-09-01", **EN)
    assert bad.status_code == 400 and "To:" in bad.content.decode()


def test_the_kpi_export(client_for, shop, manager, today, tmp_path):
    plan(shop, kind=VisitKind.CARE, planned_on=datetime.date(2026, 9, 1), status=VisitStatus.DONE,
         visited_on=datetime.date(2026, 9, 1), satisfaction=4)  # fmt: skip
    visit_kpis_refresh()
    response = client_for(manager).get(reverse("visits:kpis-export") + "?period=this_month", **EN)
    assert response.status_code == 200
    path = tmp_path / "kpis.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    sheet = load_workbook(path)["By manager"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Sales manager", "Planned", "Done")
    assert rows[1][1:3] == (1, 1) and rows[-1][0] == "Total"


def test_kpi_presets(today):
    from visits.forms import KpiPeriodForm

    assert KpiPeriodForm.preset_range("this_month", TODAY) == (datetime.date(2026, 9, 1), datetime.date(2026, 9, 30))
    assert KpiPeriodForm.preset_range("last_month", TODAY) == (datetime.date(2026, 8, 1), datetime.date(2026, 8, 31))
    assert KpiPeriodForm.preset_range("this_quarter", TODAY) == (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    assert KpiPeriodForm.preset_range("last_quarter", TODAY) == (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))


def test_the_kpi_lines_render_every_cell_escaped_and_at_most_the_page_lines():
    from visits.selectors import KPI_COUNTS, _kpi_rates
    from visits.templatetags.visit_kpis import kpi_lines, kpi_total_line

    def line(label, **counts):
        return _kpi_rates({"label": label, **dict.fromkeys(KPI_COUNTS, 0), **counts})

    rows = [
        line("<b>王</b>", planned=1234, done=617, on_time=600, overdue=3, missed=2, miss_weather=2, logged=700,
             logged_unplanned=83, struck=350, rated=4, satisfaction_sum=15),
        line("", planned=0),
        line("丙"),
    ]  # fmt: skip
    with translation.override("en"):
        html = str(kpi_lines(rows, 2))
        total = str(kpi_total_line(rows[0]))
        weather, other = str(MissReason.WEATHER.label), str(MissReason.OTHER.label)
    first, second = html.split("</tr>")[:2]
    assert "&lt;b&gt;王&lt;/b&gt;" in first and "<b>" not in first
    cells = [cell.split(">", 1)[1] for cell in first.split("</td>")[:-1]]
    assert cells[1:10] == ["1,234", "617", "600", "3", "50.0%", "700", "83", "50.0%", "3.75"]
    assert f"{weather} 2</span>" in cells[10] and other not in cells[10]
    assert second.count("—") == 5  # no name, no completion, no strike rate, no satisfaction, no miss
    assert html.count("<tr>") == 2 and "丙" not in html  # two page lines of three
    assert total.startswith("<tr><td>Total</td>")
