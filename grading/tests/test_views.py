import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from crm_site.models import ExportLog
from crm_site.roles import Role
from grading.models import GradingRun, RunStatus, TierOverride
from grading.services import grading_run_execute
from retailers.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
GRADING_ROLES = [Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER]


@pytest.fixture
def graded(prefecture):
    for i, shop in enumerate(prefecture["shops"].values()):
        OrderFactory(retailer=shop, ordered_on=datetime.date.today(), amount=Decimal(1000 * (i + 1)))
    run = GradingRun.objects.create(as_of=datetime.date.today())
    return grading_run_execute(run_id=run.pk)


@pytest.mark.parametrize("role", GRADING_ROLES)
def test_index_for_roles_with_grading(client_for, users, graded, role):
    response = client_for(users[role]).get(reverse("grading:index"))
    assert response.status_code == 200
    assert response.context["run"] == graded


def test_index_refused_to_clerk(client_for, users):
    assert client_for(users[Role.COMPLAINT_CLERK]).get(reverse("grading:index")).status_code == 403


def test_only_admin_starts_a_run_and_a_second_start_is_refused(client_for, users, django_capture_on_commit_callbacks):
    assert client_for(users[Role.SUPERVISOR]).post(reverse("grading:run-start")).status_code == 403
    client = client_for(users[Role.ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("grading:run-start"))
    assert GradingRun.objects.get().status == RunStatus.SUCCEEDED
    GradingRun.objects.create(status=RunStatus.RUNNING, as_of=datetime.date.today())
    response = client.post(reverse("grading:run-start"), follow=True)
    assert "已有分级任务正在进行" in response.content.decode()


@pytest.mark.parametrize(("role", "status"), [(Role.ADMIN, 200), (Role.SUPERVISOR, 403), (Role.SALES_MANAGER, 403)])
def test_policy_pages_are_for_admins(client_for, users, role, status):
    client = client_for(users[role])
    assert client.get(reverse("grading:policy")).status_code == status
    assert client.get(reverse("grading:service-policy")).status_code == status


def test_admin_edits_policy_and_bad_split_is_explained(client_for, users):
    client = client_for(users[Role.ADMIN])
    data = dict(client.get(reverse("grading:policy")).context["form"].initial)
    data.update({"key_percent": 80, "special_percent": 30})
    data = {key: value for key, value in data.items() if value is not None and key != "id"}
    response = client.post(reverse("grading:policy"), data)
    assert response.status_code == 200
    assert "不能超过100%" in response.content.decode()
    data.update({"key_percent": 20, "special_percent": 5})
    assert client.post(reverse("grading:policy"), data).status_code == 302


def test_admin_edits_service_policy(client_for, users):
    client = client_for(users[Role.ADMIN])
    formset = client.get(reverse("grading:service-policy")).context["formset"]
    data = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}
    for index, form in enumerate(formset):
        data[f"form-{index}-id"] = form.instance.pk
        for name in form.fields:
            if name != "id":
                data[f"form-{index}-{name}"] = form.initial[name]
    data["form-0-visit_interval_days"] = 5
    assert client.post(reverse("grading:service-policy"), data).status_code == 302
    assert formset.forms[0].instance.__class__.objects.get(pk=formset.forms[0].instance.pk).visit_interval_days == 5


@pytest.mark.parametrize("role", GRADING_ROLES)
def test_dossier_panel_explains_the_grade(client_for, prefecture, graded, role):
    shop = prefecture["shops"]["a"]
    response = client_for(prefecture["users"][role]).get(reverse("grading:retailer-panel", args=[shop.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="score-breakdown"' in content
    assert ("override-form" in content) == (role != Role.SALES_MANAGER)


def test_dossier_panel_of_another_managers_shop_is_404(client_for, prefecture, graded):
    shop = prefecture["shops"]["c"]
    response = client_for(prefecture["users"][Role.SALES_MANAGER]).get(
        reverse("grading:retailer-panel", args=[shop.pk])
    )
    assert response.status_code == 404


def test_supervisor_pins_and_revokes_a_tier(client_for, prefecture):
    shop = prefecture["shops"]["a"]
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    expires = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    client.post(
        reverse("grading:override-create", args=[shop.pk]), {"tier": "key", "reason": "重点扶持", "expires_on": expires}
    )
    override = TierOverride.objects.get()
    assert override.tier == "key" and override.created_by == prefecture["users"][Role.SUPERVISOR]
    client.post(reverse("grading:override-revoke", args=[override.pk]))
    override.refresh_from_db()
    assert override.revoked_at is not None


def test_manager_cannot_pin(client_for, prefecture):
    shop = prefecture["shops"]["a"]
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    response = client.post(
        reverse("grading:override-create", args=[shop.pk]), {"tier": "key", "reason": "x", "expires_on": "2099-01-01"}
    )
    assert response.status_code == 403
    assert not TierOverride.objects.exists()


def test_run_export_is_scoped_typed_and_logged(client_for, prefecture, graded):
    manager = prefecture["users"][Role.SALES_MANAGER]
    response = client_for(manager).get(reverse("grading:run-export", args=[graded.pk]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 2  # header + the manager's one shop
    assert sheet["A2"].value == prefecture["shops"]["a"].license_no
    assert ExportLog.objects.get().user == manager


def test_manager_sees_only_the_regions_of_own_areas(client_for, users, graded, prefecture):
    rows = client_for(users[Role.SALES_MANAGER]).get(reverse("grading:index")).context["region_rows"]
    assert [row["name"] for row in rows] == [prefecture["regions"][0].name]
