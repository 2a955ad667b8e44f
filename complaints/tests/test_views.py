import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.models import Status, Ticket
from complaints.services import ticket_create, ticket_move
from complaints.tests.factories import ticket_data
from complaints.tests.files import png_bytes
from crm_site.roles import Role

pytestmark = pytest.mark.django_db
ALL_ROLES = list(Role)


@pytest.fixture
def tickets(prefecture):
    clerk = prefecture["users"][Role.COMPLAINT_CLERK]
    return {
        key: ticket_create(retailer=shop, data=ticket_data(description=f"{shop.name}的投诉"), created_by=clerk)
        for key, shop in prefecture["shops"].items()
    }


def numbers(response) -> set[str]:
    return {ticket.number for ticket in response.context["page"].rows}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.SALES_MANAGER, {"a"}),
        (Role.SUPERVISOR, {"a", "b"}),
        (Role.COMPLAINT_CLERK, {"a", "b", "c"}),
        (Role.ADMIN, {"a", "b", "c"}),
    ],
)
def test_queue_shows_each_role_the_tickets_of_its_shops(client_for, users, tickets, role, expected):
    response = client_for(users[role]).get(reverse("complaints:index"))
    assert response.status_code == 200
    assert numbers(response) == {tickets[key].number for key in expected}


def test_user_without_role_is_refused(client_for, prefecture):
    from crm_site.tests.factories import UserFactory

    assert client_for(UserFactory()).get(reverse("complaints:index")).status_code == 403


def test_queue_tabs_and_counts(client_for, users, tickets):
    client = client_for(users[Role.COMPLAINT_CLERK])
    response = client.get(reverse("complaints:index"), {"queue": "mine"})
    assert response.context["counts"]["mine"] == 3
    assert response.context["counts"]["unassigned"] == 0
    assert numbers(client.get(reverse("complaints:index"), {"queue": "closed"})) == set()


def test_queue_filters(client_for, users, tickets, prefecture):
    client = client_for(users[Role.ADMIN])
    region_2 = prefecture["regions"][1]
    assert numbers(client.get(reverse("complaints:index"), {"region": region_2.pk})) == {tickets["c"].number}
    assert numbers(client.get(reverse("complaints:index"), {"category": "price"})) == set()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_ticket_page_for_every_role_in_scope(client_for, users, tickets, role):
    response = client_for(users[role]).get(reverse("complaints:ticket-detail", args=[tickets["a"].pk]))
    assert response.status_code == 200
    assert ("move-form" in response.content.decode()) == (role != Role.SALES_MANAGER)


def test_ticket_of_another_managers_shop_is_404(client_for, users, tickets):
    response = client_for(users[Role.SALES_MANAGER]).get(reverse("complaints:ticket-detail", args=[tickets["c"].pk]))
    assert response.status_code == 404


def test_create_with_lookup_then_move_through_the_page(client_for, users, prefecture):
    client = client_for(users[Role.COMPLAINT_CLERK])
    lookup = client.get(reverse("complaints:retailer-lookup"), {"q": "wjbld"}).content.decode()
    assert "王记便利店" in lookup
    shop = prefecture["shops"]["a"]
    response = client.post(
        reverse("complaints:ticket-create"),
        {
            "retailer": shop.pk,
            "channel": "hotline",
            "category": "delivery",
            "priority": "high",
            "description": "没送到",
        },
    )
    ticket = Ticket.objects.get()
    assert response.url == reverse("complaints:ticket-detail", args=[ticket.pk])
    client.post(reverse("complaints:ticket-move", args=[ticket.pk, "acknowledge"]))
    response = client.post(reverse("complaints:ticket-move", args=[ticket.pk, "verify"]), {}, follow=True)
    assert "本环节需要填写：调查核实情况" in response.content.decode()
    client.post(reverse("complaints:ticket-move", args=[ticket.pk, "verify"]), {"findings": "属实"})
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVING


def test_skipping_a_step_by_url_is_refused_with_a_message(client_for, users, tickets):
    client = client_for(users[Role.COMPLAINT_CLERK])
    response = client.post(
        reverse("complaints:ticket-move", args=[tickets["a"].pk, "reply"]), {"reply": "x"}, follow=True
    )
    assert "不能" in response.content.decode()
    tickets["a"].refresh_from_db()
    assert tickets["a"].status == Status.RECEIVED


def test_manager_cannot_move_but_can_add_a_note(client_for, users, tickets):
    client = client_for(users[Role.SALES_MANAGER])
    assert client.post(reverse("complaints:ticket-move", args=[tickets["a"].pk, "acknowledge"])).status_code == 403
    client.post(reverse("complaints:ticket-note", args=[tickets["a"].pk]), {"text": "店主又来电催促"})
    assert tickets["a"].events.filter(kind="note").count() == 1


def test_manager_cannot_log_a_ticket_for_another_managers_shop(client_for, users, prefecture):
    client = client_for(users[Role.SALES_MANAGER])
    response = client.post(
        reverse("complaints:ticket-create"),
        {
            "retailer": prefecture["shops"]["c"].pk,
            "channel": "manager",
            "category": "price",
            "priority": "normal",
            "description": "x",
        },
    )
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_attachments_are_checked(client_for, users, tickets, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(users[Role.COMPLAINT_CLERK])
    url = reverse("complaints:ticket-attach", args=[tickets["a"].pk])
    response = client.post(
        url, {"file": SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")}, follow=True
    )
    assert tickets["a"].attachments.count() == 1
    assert [str(message) for message in response.context["messages"]] == ["已添加附件“photo.png”。"]
    response = client.post(
        url, {"file": SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")}, follow=True
    )
    assert tickets["a"].attachments.count() == 1
    assert "jpg" in response.content.decode() or "文件扩展" in response.content.decode()
    big = SimpleUploadedFile("big.pdf", b"0" * (5 * 1024 * 1024 + 1), content_type="application/pdf")
    client.post(url, {"file": big})
    assert tickets["a"].attachments.count() == 1


def test_dossier_tab_lists_the_shops_tickets(client_for, users, tickets, prefecture):
    response = client_for(users[Role.SALES_MANAGER]).get(
        reverse("complaints:retailer-tickets", args=[prefecture["shops"]["a"].pk])
    )
    assert tickets["a"].number in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.SUPERVISOR, 200), (Role.COMPLAINT_CLERK, 200), (Role.SALES_MANAGER, 403)],
)
def test_report_by_role(client_for, users, tickets, role, status):
    assert client_for(users[role]).get(reverse("complaints:report")).status_code == status


def test_report_counts_and_in_time_share(client_for, users, tickets):
    clerk = users[Role.COMPLAINT_CLERK]
    ticket = tickets["a"]
    for move, data in [
        ("acknowledge", {}),
        ("verify", {"findings": "x"}),
        ("resolve", {"resolution": "x"}),
        ("reply", {"reply": "x"}),
        ("follow_up", {"satisfaction": 4, "satisfaction_comment": "好"}),
    ]:
        ticket = ticket_move(ticket=ticket, move=move, user=clerk, data=data)
    report = client_for(users[Role.ADMIN]).get(reverse("complaints:report")).context["report"]
    assert report["by_category"][0]["total"] == 3
    assert report["satisfaction"]["mean"] == 4
    assert {row["total"] for row in report["in_time"]} == {1}
    export = client_for(users[Role.ADMIN]).get(reverse("complaints:report-export"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert sheet.cell(row=2, column=1).value == "配送"


def test_queue_export_is_scoped(client_for, users, tickets):
    response = client_for(users[Role.SALES_MANAGER]).get(reverse("complaints:ticket-export"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [tickets["a"].number]


def test_report_export_has_the_three_tables(client_for, users, tickets):
    response = client_for(users[Role.SUPERVISOR]).get(reverse("complaints:report-export"))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["按类别和月份统计", "各环节按时办结率", "汇总"]


def test_ticket_can_only_be_assigned_to_someone_who_sees_the_shop(client_for, users, tickets, prefecture):
    from crm_site.tests.factories import UserFactory

    region_2_supervisor = UserFactory(username="sup2", role=Role.SUPERVISOR)
    prefecture["regions"][1].supervisors.add(region_2_supervisor)
    client = client_for(users[Role.COMPLAINT_CLERK])
    page = client.get(reverse("complaints:ticket-detail", args=[tickets["a"].pk]))
    offered = {user.username for user in page.context["owners"]}
    assert "supervisor" in offered and "sup2" not in offered
    response = client.post(
        reverse("complaints:ticket-assign", args=[tickets["a"].pk]), {"owner": region_2_supervisor.pk}
    )
    assert response.status_code == 404
    client.post(reverse("complaints:ticket-assign", args=[tickets["a"].pk]), {"owner": "abc"})
    tickets["a"].refresh_from_db()
    assert tickets["a"].owner == users[Role.COMPLAINT_CLERK]


def test_no_attachment_on_a_rejected_ticket(client_for, users, tickets, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clerk = users[Role.COMPLAINT_CLERK]
    ticket_move(ticket=tickets["a"], move="reject", user=clerk, data={"reason": "非有效投诉"})
    response = client_for(clerk).post(
        reverse("complaints:ticket-attach", args=[tickets["a"].pk]),
        {"file": SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")},
    )
    assert response.status_code == 302
    assert tickets["a"].attachments.count() == 0


def test_bad_retailer_parameter_on_the_create_page_is_ignored(client_for, users):
    assert (
        client_for(users[Role.COMPLAINT_CLERK])
        .get(reverse("complaints:ticket-create"), {"retailer": "abc"})
        .status_code
        == 200
    )


def test_attachments_download_only_for_users_who_see_the_ticket(client_for, users, tickets, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clerk = users[Role.COMPLAINT_CLERK]
    client_for(clerk).post(
        reverse("complaints:ticket-attach", args=[tickets["c"].pk]),
        {"file": SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")},
    )
    attachment = tickets["c"].attachments.get()
    url = reverse("complaints:attachment-download", args=[attachment.pk])
    assert b"".join(client_for(clerk).get(url).streaming_content) == png_bytes()
    assert client_for(users[Role.SALES_MANAGER]).get(url).status_code == 404


def test_the_queue_export_link_carries_the_filters_on_screen(client_for, users, tickets):
    page = client_for(users[Role.ADMIN]).get(reverse("complaints:index"), {"q": "王记"}).content.decode()
    assert f'href="{reverse("complaints:ticket-export")}?q=' in page
    assert "??" not in page


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "{d.year}年{d.month}月"), ("en", "{d:%Y-%m}")])
def test_report_and_its_export_label_all_twelve_months_like_the_dossier_chart(
    client_for, users, tickets, language, label
):
    from dateutil.relativedelta import relativedelta
    from django.utils import timezone

    client = client_for(users[Role.ADMIN])
    client.cookies["django_language"] = language
    months = [timezone.localdate().replace(day=1) - relativedelta(months=n) for n in range(11, -1, -1)]
    labels = [label.format(d=month) for month in months]
    page = client.get(reverse("complaints:report")).content.decode()
    header = page.split('id="by-category"')[1].split("</thead>")[0]
    assert all(f">{text}</th>" in header for text in labels), header
    export = client.get(reverse("complaints:report-export"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert [cell.value for cell in sheet[1]][1:-1] == labels
    assert [cell.value for cell in sheet[2]][1:] == [0] * 11 + [3, 3]


def test_queue_names_a_bad_filter_value_and_applies_the_others(client_for, users, tickets, prefecture):
    from crm_site.testing import ignored_filter_warnings_on

    client = client_for(users[Role.ADMIN])
    client.cookies["django_language"] = "en"
    response = client.get(reverse("complaints:index"), {"category": "nope", "region": prefecture["regions"][1].pk})
    assert response.status_code == 200
    assert numbers(response) == {tickets["c"].number}
    assert ignored_filter_warnings_on(response) == [
        "Category: “nope” is not one of the choices; this filter was ignored."
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", ["平均办结用时：", "回访满意度：", "回访次数：", "不满意回访占比："]),
        ("en", ["Mean time from received to closed: ", "Follow-ups: ", "Unsatisfied follow-ups: "]),
    ],
)
def test_report_and_ticket_labels_use_the_languages_punctuation(client_for, users, tickets, language, expected):
    client = client_for(users[Role.ADMIN])
    client.cookies["django_language"] = language
    page = client.get(reverse("complaints:report")).content.decode()
    figures = page.split('id="in-time"')[1].split("Every follow-up")[0].split("</table>")[1]
    assert all(label in figures for label in expected), figures
    ticket = client.get(reverse("complaints:ticket-detail", args=[tickets["a"].pk])).content.decode()
    shop = tickets["a"].retailer
    if language == "zh-hans":
        assert "(" not in figures and ": " not in figures
        assert "承办人：" in ticket and f"{shop.name}（{shop.license_no}）" in ticket
    else:
        assert f"{shop.name} ({shop.license_no})" in ticket
