"""Allocation pages: who may open each, what each role sees, the explanation in both languages, exports."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from crm_site.models import ExportLog
from crm_site.roles import Role
from grading.models import Allocation, AllocationRuleSet, AllocationStatus
from grading.services import allocation_create, allocation_publish
from grading.tests.allocation_helpers import PERIOD, grade, rule_set, scarce_product
from retailers.tests.factories import RetailerFactory

pytestmark = pytest.mark.django_db
GRADING_ROLES = [Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER]


@pytest.fixture
def allocation(prefecture):
    shops = prefecture["shops"]
    grade({shops["a"]: 10, shops["b"]: 20, shops["c"]: 30})
    return allocation_create(
        product=scarce_product(code="6901000123"),
        period_kind="week",
        period_start=PERIOD,
        cartons=10,
        rule_set=rule_set(cap_per_shop=4),
    )


@pytest.fixture
def published(allocation, users):
    return allocation_publish(allocation=allocation, published_by=users[Role.ADMIN])


@pytest.mark.parametrize("role", GRADING_ROLES)
def test_list_for_grading_roles_and_drafts_only_for_those_who_make_them(client_for, users, allocation, role):
    response = client_for(users[role]).get(reverse("grading:allocation-list"))
    assert response.status_code == 200
    assert (allocation in response.context["allocations"]) == (role != Role.SALES_MANAGER)


def test_list_refused_to_the_clerk(client_for, users):
    assert client_for(users[Role.COMPLAINT_CLERK]).get(reverse("grading:allocation-list")).status_code == 403


def test_a_manager_sees_only_the_lines_of_their_shops(client_for, prefecture, published):
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    response = client.get(reverse("grading:allocation-detail", args=[published.pk]))
    assert response.status_code == 200
    assert [line.retailer for line, _steps in response.context["rows"]] == [prefecture["shops"]["a"]]
    assert response.context["totals"].allocated == 2  # their shop's cartons, not the company's
    assert not response.context["totals"].whole_company
    assert "update_form" not in response.context or response.context["update_form"] is None


def test_a_manager_does_not_open_a_draft(client_for, prefecture, allocation):
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    assert client.get(reverse("grading:allocation-detail", args=[allocation.pk])).status_code == 404


def test_supervisor_sees_the_lines_of_their_region(client_for, prefecture, allocation):
    client = client_for(prefecture["users"][Role.SUPERVISOR])
    response = client.get(reverse("grading:allocation-detail", args=[allocation.pk]))
    shops = {line.retailer.name for line, _steps in response.context["rows"]}
    assert shops == {"王记便利店", "李家超市"}
    assert response.context["update_form"] is not None and response.context["may_publish"]


def test_admin_page_shows_totals_chart_rules_and_explanation_in_chinese(client_for, users, allocation):
    response = client_for(users[Role.ADMIN]).get(reverse("grading:allocation-detail", args=[allocation.pk]))
    content = response.content.decode()
    assert response.context["chart"]["cartons"] == [2, 4, 4]  # 10, 20, 30 → 1.67, 3.33, 5 → cap 4: 2, 4, 4
    assert 'id="allocation-chart-data"' in content and "js/allocation_chart.js" in content
    steps = dict((line.retailer.name, steps) for line, steps in response.context["rows"])
    assert steps["张老烟酒店"][0] == "档位 30：配额表规定权重 30.00。"
    assert "分得量达到每户上限 4 条：按上限投放，超出部分分给其他客户。" in steps["张老烟酒店"]
    assert steps["王记便利店"][-2:] == ["无需取整：正好 2 条。", "投放：2 条。"]
    assert "{" not in " ".join(steps["王记便利店"])  # said in words, no raw dicts
    assert "按档位" in content and "各档权重" in content  # the rules used, by their labels


def test_the_explanation_in_english(client_for, users, allocation):
    client = client_for(users[Role.ADMIN])
    response = client.get(reverse("grading:allocation-detail", args=[allocation.pk]), HTTP_ACCEPT_LANGUAGE="en")
    steps = dict((line.retailer.name, steps) for line, steps in response.context["rows"])
    assert steps["张老烟酒店"][0] == "Level (档位) 30: the quota table gives a weight of 30.00."
    assert "the cap of 4 cartons" in " ".join(steps["张老烟酒店"])
    assert steps["王记便利店"][-1] == "Allocated: 2 cartons."


def test_search_filters_and_keyset_pages(client_for, users, allocation, prefecture):
    client = client_for(users[Role.ADMIN])
    url = reverse("grading:allocation-detail", args=[allocation.pk])
    response = client.get(url, {"q": "李家"})
    assert [line.retailer.name for line, _s in response.context["rows"]] == ["李家超市"]
    response = client.get(url, {"only": "capped"})  # 张老's 5 is held at 4; 李家's share reaches 4 exactly
    assert {line.retailer.name for line, _s in response.context["rows"]} == {"李家超市", "张老烟酒店"}
    response = client.get(url, {"q": "\x00", "only": "bogus", "after": "!!"})
    assert response.status_code == 200
    response = client.get(url, {"q": "李"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<html" not in response.content.decode()


def test_the_page_costs_a_fixed_number_of_queries(
    client_for, users, allocation, django_assert_max_num_queries, prefecture
):
    client = client_for(users[Role.ADMIN])
    url = reverse("grading:allocation-detail", args=[allocation.pk])
    from grading.services import allocation_compute

    allocation_compute(allocation=allocation)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    area = prefecture["areas"]["a"]
    for _ in range(30):
        RetailerFactory(service_area=area)
    allocation_compute(allocation=allocation)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_recompute_publish_and_correct_through_the_pages(client_for, users, allocation):
    client = client_for(users[Role.SUPERVISOR])
    url = reverse("grading:allocation-detail", args=[allocation.pk])
    response = client.post(
        reverse("grading:allocation-compute", args=[allocation.pk]), {"cartons": 12, "rule_set": allocation.rule_set_id}
    )
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.cartons == 12 and allocation.computed_count == 2
    response = client.get(url)
    assert response.context["changed_lines"]  # shops whose amount changed since the last draft
    assert client.post(reverse("grading:allocation-publish", args=[allocation.pk])).status_code == 302
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.PUBLISHED
    response = client.post(
        reverse("grading:allocation-correct", args=[allocation.pk]),
        {"cartons": 9, "rule_set": allocation.rule_set_id, "note": "到货减少"},
    )
    correction = Allocation.objects.get(version=2)
    assert response.url == reverse("grading:allocation-detail", args=[correction.pk])
    content = client.get(response.url).content.decode()
    assert "12 → 9" in content and "到货减少" in content


def test_a_manager_may_not_recompute_or_publish(client_for, users, allocation):
    client = client_for(users[Role.SALES_MANAGER])
    for name in ("allocation-compute", "allocation-publish", "allocation-correct", "allocation-uptake"):
        assert client.post(reverse(f"grading:{name}", args=[allocation.pk])).status_code == 403


def test_exports_for_the_ordering_platform_excel_and_csv(client_for, users, published):
    client = client_for(users[Role.ADMIN])
    response = client.get(reverse("grading:allocation-export", args=[published.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("许可证号", "卷烟编码", "周期", "数量（条）")
    assert sorted(row[3] for row in rows[1:]) == [2, 4, 4]
    assert {row[1] for row in rows[1:]} == {"6901000123"} and {row[2] for row in rows[1:]} == {"2026-W50"}
    response = client.get(reverse("grading:allocation-export-csv", args=[published.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    assert len(csv_rows) == 4 and csv_rows[1][1:3] == ["6901000123", "2026-W50"]
    assert set(ExportLog.objects.values_list("kind", flat=True)) == {"allocation", "allocation-csv"}


def test_a_managers_export_holds_their_shops_only(client_for, prefecture, published):
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    response = client.get(reverse("grading:allocation-export-csv", args=[published.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [prefecture["shops"]["a"].license_no]


@pytest.mark.parametrize("role", GRADING_ROLES)
def test_dossier_tab_explains_the_shops_allocations(client_for, prefecture, published, role):
    shop = prefecture["shops"]["a"]
    response = client_for(prefecture["users"][role]).get(reverse("grading:allocation-retailer-panel", args=[shop.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "allocation-explanation" in content and "2条" in content


def test_dossier_tab_of_another_managers_shop_is_404(client_for, prefecture, published):
    shop = prefecture["shops"]["c"]
    client = client_for(prefecture["users"][Role.SALES_MANAGER])
    assert client.get(reverse("grading:allocation-retailer-panel", args=[shop.pk])).status_code == 404


def test_the_dossier_lists_the_tab(client_for, prefecture, published):
    shop = prefecture["shops"]["a"]
    content = (
        client_for(prefecture["users"][Role.SUPERVISOR])
        .get(reverse("retailers:retailer-detail", args=[shop.pk]))
        .content.decode()
    )
    assert reverse("grading:allocation-retailer-panel", args=[shop.pk]) in content


def test_rule_editor_creates_and_edits_a_rule_set(client_for, users):
    client = client_for(users[Role.SUPERVISOR])
    data = {
        "name": "春节礼盒",
        "mode": "business_type",
        "quota_kind": "cartons",
        "quotas": "1-10: 0\n11-20: 1\n21-30：2",
        "use_priority_weight": "on",
        "history_source": "none",
        "history_weeks": 8,
        "history_floor": "0.5",
        "cap_per_shop": 3,
        "group_shares": "便利店: 40\nsupermarket: 60",
        "named_quantities": "",
        "require_active": "on",
        "require_valid_licence": "on",
        "excluded_finding_kinds": ["counterfeit"],
        "finding_months": 6,
    }
    response = client.post(reverse("grading:allocation-rules-create"), data)
    assert response.status_code == 302, response.context["form"].errors
    saved = AllocationRuleSet.objects.get(name="春节礼盒")
    assert saved.quotas["15"] == 1 and saved.quotas["30"] == 2 and saved.quotas["3"] == 0
    assert saved.group_shares == {"convenience": 40, "supermarket": 60}
    response = client.get(reverse("grading:allocation-rules-edit", args=[saved.pk]))
    assert "11-20: 1" in response.content.decode()
    bad = dict(data, quotas="one to five: 3", name="坏")
    response = client.post(reverse("grading:allocation-rules-create"), bad)
    assert response.status_code == 200 and response.context["form"].errors["quotas"]
    bad = dict(data, group_shares="火星: 3", name="坏2")
    assert client.post(reverse("grading:allocation-rules-create"), bad).context["form"].errors["group_shares"]
    assert client.get(reverse("grading:allocation-rules")).status_code == 200


def test_rule_editor_refused_to_managers(client_for, users):
    client = client_for(users[Role.SALES_MANAGER])
    assert client.get(reverse("grading:allocation-rules")).status_code == 403
    assert client.get(reverse("grading:allocation-rules-create")).status_code == 403


def test_create_page_computes_a_draft(client_for, users, prefecture):
    grade({prefecture["shops"]["a"]: 12})
    product = scarce_product()
    client = client_for(users[Role.SUPERVISOR])
    assert client.get(reverse("grading:allocation-create")).status_code == 200
    response = client.post(
        reverse("grading:allocation-create"),
        {
            "product": product.pk,
            "period_kind": "week",
            "period_start": "2026-12-09",
            "cartons": 5,
            "rule_set": AllocationRuleSet.objects.first().pk,
        },
    )
    allocation = Allocation.objects.get()
    assert response.url == reverse("grading:allocation-detail", args=[allocation.pk])
    assert allocation.allocated == 5 and allocation.created_by == users[Role.SUPERVISOR]
    again = client.post(
        reverse("grading:allocation-create"),
        {
            "product": product.pk,
            "period_kind": "week",
            "period_start": "2026-12-10",
            "cartons": 5,
            "rule_set": AllocationRuleSet.objects.first().pk,
        },
    )
    assert again.status_code == 200 and again.context["form"].non_field_errors()


def test_rule_editor_refuses_nul_and_bad_licence_numbers(client_for, users):
    client = client_for(users[Role.ADMIN])
    data = {
        "name": "选点",
        "mode": "named",
        "quota_kind": "cartons",
        "quotas": "1-30: 1",
        "history_source": "none",
        "history_weeks": 8,
        "history_floor": "0.5",
        "finding_months": 6,
        "named_quantities": "320102000001\x00: 3\n<script>: 2",
    }
    response = client.post(reverse("grading:allocation-rules-create"), data)
    assert response.status_code == 200 and response.context["form"].errors["named_quantities"]
    data["named_quantities"] = "320102000001: 3\n320102000002: 2"
    assert client.post(reverse("grading:allocation-rules-create"), data).status_code == 302
    assert AllocationRuleSet.objects.get(name="选点").named_quantities == {"320102000001": 3, "320102000002": 2}
