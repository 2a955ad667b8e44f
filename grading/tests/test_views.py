import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.models import ExportLog
from crm_site.roles import Role
from grading.models import GradingRun, RetailerGrade, RunStatus, TierOverride
from grading.services import (
    grading_run_execute,
    grading_run_start,
    tier_override_create,
    tier_override_revoke,
    tier_overrides_expire,
)
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
    rows = client_for(users[Role.SALES_MANAGER]).get(reverse("grading:index")).context["figures"].regions
    assert [row.name for row in rows] == [prefecture["regions"][0].name]


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_movers_show_tier_labels_on_both_sides(client_for, users, graded, prefecture):
    RetailerGrade.objects.filter(run=graded, retailer=prefecture["shops"]["a"]).update(
        previous_tier="ordinary", tier="key", movement=1
    )
    content = client_for(users[Role.ADMIN]).get(reverse("grading:index")).content.decode()
    assert "普通客户 → 重点客户" in content
    assert "ordinary →" not in content


def test_run_page_shows_the_policy_as_labelled_settings(client_for, users, graded):
    client = client_for(users[Role.ADMIN])
    content = client.get(reverse("grading:run-detail", args=[graded.pk])).content.decode()
    assert 'id="policy-used"' in content and "{&#x27;weight_amount" not in content and "weight_amount" not in content
    assert "全市统一排名" in content and "40%" in content
    content = english(client).get(reverse("grading:run-detail", args=[graded.pk])).content.decode()
    assert "The whole company" in content and "Split as targeted." in content


def test_a_runs_note_follows_the_language_of_the_page(client_for, users, graded):
    client = client_for(users[Role.ADMIN])
    assert "比例符合目标" in client.get(reverse("grading:index")).content.decode()
    content = english(client).get(reverse("grading:index")).content.decode()
    assert "Split as targeted." in content and "比例符合目标" not in content


@pytest.mark.parametrize(("role", "shops"), [(Role.SALES_MANAGER, 1), (Role.SUPERVISOR, 2), (Role.ADMIN, 3)])
def test_the_header_and_the_history_show_the_figures_of_the_users_scope(client_for, users, graded, role, shops):
    response = client_for(users[role]).get(reverse("grading:index"))
    figures = response.context["figures"]
    assert figures.graded == shops
    assert sum(row.key + row.ordinary + row.special for row in figures.regions) == shops
    content = response.content.decode()
    assert f'id="count-ordinary">{figures.ordinary}<' in content
    assert [item_figures.graded for _run, item_figures, _note in response.context["history"]] == [shops]


def test_the_grading_page_keeps_its_query_count_as_runs_pile_up(client_for, users, graded):
    client = client_for(users[Role.SUPERVISOR])
    client.get(reverse("grading:index"))
    with CaptureQueriesContext(connection) as one_run:
        client.get(reverse("grading:index"))
    for _ in range(4):
        grading_run_execute(run_id=GradingRun.objects.create(as_of=datetime.date.today()).pk)
    with CaptureQueriesContext(connection) as five_runs:
        client.get(reverse("grading:index"))
    assert len(five_runs) == len(one_run)


def test_the_run_history_sheet_shows_the_users_scope(client_for, users, graded):
    response = client_for(users[Role.SALES_MANAGER]).get(reverse("grading:export"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["分级户数"] == 1  # the manager's one shop, not the company's three


def test_a_run_started_on_the_page_shows_its_progress_then_its_result(client_for, users, prefecture):
    client = client_for(users[Role.ADMIN])
    run = grading_run_start(started_by=users[Role.ADMIN], queue=False)  # a worker has not taken it yet
    content = client.get(reverse("grading:index")).content.decode()
    poll = f'hx-get="{reverse("grading:index")}?watch={run.pk}" hx-trigger="every 2s"'
    assert poll in content and 'id="run-progress" data-status="pending"' in content
    GradingRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, stage="scoring")
    partial = client.get(reverse("grading:index"), {"watch": run.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and poll in partial
    assert "评分与排名" in partial and "run-stage-2" in partial
    GradingRun.objects.filter(pk=run.pk).update(status=RunStatus.PENDING)
    grading_run_execute(run_id=run.pk)
    partial = client.get(reverse("grading:index"), {"watch": run.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial  # finished: the polling stops
    assert 'id="run-result"' in partial and "alert-success" in partial and 'id="run-summary"' in partial
    assert '<tr data-status="succeeded">' in partial  # the run history below is current too


def test_a_failed_run_is_shown_clearly(client_for, users, prefecture):
    run = GradingRun.objects.create(
        as_of=datetime.date.today(),
        status=RunStatus.FAILED,
        message={"code": "grading.failed", "params": {"error": "boom"}},
    )
    content = client_for(users[Role.ADMIN]).get(reverse("grading:index"), {"watch": run.pk}).content.decode()
    assert "alert-danger" in content and "boom" in content and "hx-trigger" not in content
    content = client_for(users[Role.ADMIN]).get(reverse("grading:index")).content.decode()
    assert 'id="run-failure"' in content  # the newest run failed: said on the page without watching it


def test_a_pinned_tier_shows_at_once_in_the_header_the_panel_and_the_list_filter(client_for, prefecture, graded):
    shop = prefecture["shops"]["b"]
    assert shop.__class__.objects.get(pk=shop.pk).tier != "special"
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    expires = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    client.post(
        reverse("grading:override-create", args=[shop.pk]), {"tier": "special", "reason": "整改", "expires_on": expires}
    )
    header = client.get(reverse("retailers:retailer-detail", args=[shop.pk])).content.decode()
    assert '<span class="badge text-bg-primary">特殊客户</span>' in header
    panel = client.get(reverse("grading:retailer-panel", args=[shop.pk])).content.decode()
    assert '<span class="fs-5" id="current-tier">特殊客户</span>' in panel
    listed = client.get(reverse("retailers:retailer-list"), {"tier": "special"}).content.decode()
    assert shop.name in listed
    client.post(reverse("grading:override-revoke", args=[TierOverride.objects.get().pk]))
    assert shop.name not in client.get(reverse("retailers:retailer-list"), {"tier": "special"}).content.decode()


@pytest.mark.parametrize("watch", ["abc", "-1", "99999999999999999999999", "", "１２", "²"])
def test_a_typed_watch_parameter_never_breaks_the_page(client_for, users, graded, watch):
    response = client_for(users[Role.ADMIN]).get(reverse("grading:index"), {"watch": watch}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200


@pytest.mark.parametrize("role", GRADING_ROLES)
def test_run_page_for_roles_with_grading(client_for, users, graded, role):
    response = client_for(users[role]).get(reverse("grading:run-detail", args=[graded.pk]))
    assert response.status_code == 200 and 'id="policy-used"' in response.content.decode()


def test_run_page_refused_to_clerk(client_for, users, graded):
    response = client_for(users[Role.COMPLAINT_CLERK]).get(reverse("grading:run-detail", args=[graded.pk]))
    assert response.status_code == 403


def pinned_run(prefecture, graded):
    """Shop a, graded ordinary, pinned to key by the supervisor, then graded again."""
    shop = prefecture["shops"]["a"]
    assert RetailerGrade.objects.get(run=graded, retailer=shop).tier != "key"
    override = tier_override_create(
        retailer=shop,
        tier="key",
        reason="新店扶持",
        expires_on=datetime.date.today() + datetime.timedelta(days=30),
        created_by=prefecture["users"][Role.SUPERVISOR],
    )
    grading_run_execute(run_id=GradingRun.objects.create(as_of=datetime.date.today()).pk)
    return shop, override


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_grading_history_has_a_header_and_says_which_tier_came_from_an_override(
    client_for, prefecture, graded, language
):
    shop, _override = pinned_run(prefecture, graded)
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    client.cookies["django_language"] = language
    content = client.get(reverse("grading:retailer-panel", args=[shop.pk])).content.decode()
    history = content.split('id="grade-history"')[1].split("</table>")[0]
    words = {
        "zh-hans": ["批次", "日期", "客户类别", "档位", "星级", "得分", "变动", "人工指定", "按得分：普通客户", "升级"],
        "en": [
            "Run",
            "Date",
            "Tier",
            "Level",
            "Stars",
            "Score",
            "Movement",
            "Set by override",
            "By score: Ordinary",
            "Moved up",
        ],
    }[language]
    assert "<thead>" in history
    for word in words:
        assert word in history, word
    assert history.count('class="badge') == 1  # only the run after the override


def test_the_grading_panel_keeps_its_query_count_as_runs_and_overrides_pile_up(
    client_for, prefecture, graded, django_assert_num_queries
):
    shop = prefecture["shops"]["a"]
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    url = reverse("grading:retailer-panel", args=[shop.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    pinned_run(prefecture, graded)
    grading_run_execute(run_id=GradingRun.objects.create(as_of=datetime.date.today()).pk)
    with django_assert_num_queries(len(few)):
        client.get(url)


def test_overrides_are_on_the_dossier_timeline_with_who_why_and_until_when(client_for, prefecture, graded):
    shop, override = pinned_run(prefecture, graded)
    supervisor = prefecture["users"][Role.SUPERVISOR]
    tier_override_revoke(override=override, revoked_by=supervisor)
    tier_override_create(
        retailer=shop,
        tier="special",
        reason="试点",
        expires_on=datetime.date.today() + datetime.timedelta(days=1),
        created_by=supervisor,
    )
    TierOverride.objects.filter(tier="special").update(expires_on=datetime.date.today() - datetime.timedelta(days=1))
    tier_overrides_expire()  # the daily job, the day after its last day
    client = client_for(supervisor)
    url = reverse("retailers:retailer-detail", args=[shop.pk])
    timeline = client.get(url).content.decode().split('id="tab-timeline"')[1]
    until = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    assert f"人工指定档位：重点客户</strong>：至 {until} · 新店扶持" in timeline
    assert f"撤销人工指定：重点客户</strong>：至 {until} · 新店扶持" in timeline
    assert "人工指定到期：特殊客户" in timeline
    assert str(supervisor) in timeline
    english(client)
    timeline = client.get(url).content.decode().split('id="tab-timeline"')[1]
    assert f"Override revoked: Key account</strong>: until {until} · 新店扶持" in timeline
    assert "Override ran out: Special" in timeline


def test_the_dossier_keeps_its_query_count_as_overrides_pile_up(
    client_for, prefecture, graded, django_assert_num_queries
):
    shop = prefecture["shops"]["a"]
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    url = reverse("retailers:retailer-detail", args=[shop.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    pinned_run(prefecture, graded)
    with django_assert_num_queries(len(few)):
        client.get(url)


def test_labels_and_badges_are_sentence_case_in_english_and_stay_chinese(client_for, users, graded):
    client = client_for(users[Role.ADMIN])
    url = reverse("grading:run-detail", args=[graded.pk])
    content = client.get(url).content.decode()
    assert "比例在容差内" in content and "权重：订货量（条）" in content
    content = english(client).get(url).content.decode()
    assert "Split within tolerance" in content and "split within tolerance" not in content
    assert '<th class="fw-normal">Weight: cartons</th>' in content and "weight: cartons" not in content
