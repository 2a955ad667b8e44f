"""Allocation services against the database: reading the shops, drafts, publish, corrections, uptake, roles."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm_site.roles import Role
from grading.models import Allocation, AllocationLine, AllocationStatus
from grading.services import (
    AllocationFrozen,
    allocation_compute,
    allocation_correct,
    allocation_create,
    allocation_publish,
    allocation_rule_set_save,
    allocation_update,
    allocation_uptake_refresh,
    period_bounds,
)
from grading.tests.allocation_helpers import PERIOD, grade, rule_set, scarce_product
from retailers.models import OrderLine
from retailers.tests.factories import ComplianceRecordFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(prefecture):
    shops = prefecture["shops"]
    grade({shops["a"]: 10, shops["b"]: 20, shops["c"]: 30})
    return shops


def lines_of(allocation) -> dict[str, int]:
    return dict(allocation.lines.values_list("retailer__name", "cartons"))


def test_period_bounds_week_and_month():
    assert period_bounds(kind="week", day=datetime.date(2026, 12, 10)) == (PERIOD, datetime.date(2026, 12, 13))
    assert period_bounds(kind="month", day=datetime.date(2026, 2, 10)) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
    )


def test_create_computes_a_draft_with_exact_total_and_explained_lines(graded, users):
    allocation = allocation_create(
        product=scarce_product(),
        period_kind="week",
        period_start=datetime.date(2026, 12, 9),
        cartons=10,
        rule_set=rule_set(),
        created_by=users[Role.SUPERVISOR],
    )
    assert allocation.status == AllocationStatus.DRAFT and allocation.period_start == PERIOD
    # weights 10, 20, 30 of 10 cartons: 1.67, 3.33, 5 → 2, 3, 5
    assert lines_of(allocation) == {"王记便利店": 2, "李家超市": 3, "张老烟酒店": 5}
    assert allocation.allocated == 10 and allocation.leftover == 0 and allocation.eligible_count == 3
    assert allocation.totals["level"]["30"] == {"shops": 1, "cartons": 5}
    line = allocation.lines.get(retailer=graded["a"])
    assert line.level == 10 and line.base_quota == 10 and abs(line.share - 1.666667) < 1e-6 and line.rounded_up


def test_only_a_scarce_product_and_one_allocation_per_product_and_period(graded, users):
    with pytest.raises(ValidationError):
        allocation_create(
            product=ProductFactory(), period_kind="week", period_start=PERIOD, cartons=5, rule_set=rule_set()
        )
    product, rules = scarce_product(), rule_set()
    allocation_create(product=product, period_kind="week", period_start=PERIOD, cartons=5, rule_set=rules)
    with pytest.raises(ValidationError):
        allocation_create(product=product, period_kind="week", period_start=PERIOD, cartons=5, rule_set=rules)


def test_excluded_shops_keep_the_rule_and_the_date(graded):
    graded["b"].license_expires_on = datetime.date(2026, 12, 10)
    graded["b"].save()
    ComplianceRecordFactory(retailer=graded["c"], kind="counterfeit", found_on=datetime.date(2026, 10, 1))
    rules = rule_set(excluded_finding_kinds=["counterfeit"], finding_months=6)
    allocation = allocation_create(
        product=scarce_product(), period_kind="week", period_start=PERIOD, cartons=4, rule_set=rules
    )
    b, c = allocation.lines.get(retailer=graded["b"]), allocation.lines.get(retailer=graded["c"])
    assert (b.exclusion, b.exclusion_on, b.cartons) == ("licence", datetime.date(2026, 12, 10), 0)
    assert (c.exclusion, c.exclusion_kind, c.exclusion_on) == ("compliance", "counterfeit", datetime.date(2026, 10, 1))
    assert lines_of(allocation)["王记便利店"] == 4
    assert allocation.totals["excluded"] == {"licence": 1, "compliance": 1}


def test_recompute_remembers_the_previous_draft(graded, users):
    allocation = allocation_create(
        product=scarce_product(), period_kind="week", period_start=PERIOD, cartons=10, rule_set=rule_set()
    )
    allocation = allocation_update(
        allocation=allocation, cartons=12, rule_set=allocation.rule_set, changed_by=users[Role.ADMIN]
    )
    assert allocation.computed_count == 2
    line = allocation.lines.get(retailer=graded["c"])
    assert (line.previous_cartons, line.cartons) == (5, 6)
    assert allocation.totals["changed"] == 2  # 2 → 2, 3 → 4, 5 → 6
    assert lines_of(allocation) == {"王记便利店": 2, "李家超市": 4, "张老烟酒店": 6}


def test_same_inputs_same_lines(graded):
    allocation = allocation_create(
        product=scarce_product(), period_kind="week", period_start=PERIOD, cartons=11, rule_set=rule_set()
    )
    first = list(allocation.lines.order_by("license_no").values_list("license_no", "cartons", "share", "rounded_up"))
    allocation_compute(allocation=allocation)
    second = list(allocation.lines.order_by("license_no").values_list("license_no", "cartons", "share", "rounded_up"))
    assert first == second


def test_publish_freezes_and_a_correction_is_a_new_version_saying_what_changed(graded, users):
    supervisor = users[Role.SUPERVISOR]
    allocation = allocation_create(
        product=scarce_product(),
        period_kind="week",
        period_start=PERIOD,
        cartons=10,
        rule_set=rule_set(),
        created_by=supervisor,
    )
    allocation_publish(allocation=allocation, published_by=supervisor)
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.PUBLISHED and allocation.published_by == supervisor
    frozen_lines = list(allocation.lines.values_list("retailer_id", "cartons"))
    for change in (
        lambda: allocation_compute(allocation=allocation),
        lambda: allocation_update(
            allocation=allocation, cartons=3, rule_set=allocation.rule_set, changed_by=supervisor
        ),
        lambda: allocation_publish(allocation=allocation, published_by=supervisor),
    ):
        with pytest.raises(AllocationFrozen):
            change()
    with pytest.raises(ValidationError):
        allocation_correct(allocation=allocation, created_by=supervisor, note="  ")
    correction = allocation_correct(allocation=allocation, created_by=supervisor, note="到货增加", cartons=16)
    assert (correction.version, correction.corrects, correction.status) == (2, allocation, AllocationStatus.DRAFT)
    assert [item["code"] for item in correction.changes] == [
        "grading.alloc.changed_cartons",
        "grading.alloc.changed_shops",
    ]
    with pytest.raises(ValidationError):  # one open correction at a time
        allocation_correct(allocation=allocation, created_by=supervisor, note="again")
    assert list(allocation.lines.values_list("retailer_id", "cartons")) == frozen_lines
    allocation_publish(allocation=correction, published_by=supervisor)
    allocation.refresh_from_db()
    assert allocation.status == AllocationStatus.SUPERSEDED
    assert Allocation.objects.filter(status=AllocationStatus.PUBLISHED).get() == correction
    assert correction.lines.get(retailer=graded["c"]).previous_cartons == 5


def test_roles_create_and_publish(graded, users):
    product, rules = scarce_product(), rule_set()
    for role in (Role.SALES_MANAGER, Role.COMPLAINT_CLERK):
        with pytest.raises(PermissionDenied):
            allocation_create(
                product=product,
                period_kind="week",
                period_start=PERIOD,
                cartons=5,
                rule_set=rules,
                created_by=users[role],
            )
    allocation = allocation_create(
        product=product,
        period_kind="week",
        period_start=PERIOD,
        cartons=5,
        rule_set=rules,
        created_by=users[Role.ADMIN],
    )
    with pytest.raises(PermissionDenied):
        allocation_publish(allocation=allocation, published_by=users[Role.SALES_MANAGER])
    with pytest.raises(PermissionDenied):
        allocation_rule_set_save(rule_set=rules, data={"cap_per_shop": 2}, saved_by=users[Role.SALES_MANAGER])
    allocation_rule_set_save(rule_set=rules, data={"cap_per_shop": 2}, saved_by=users[Role.SUPERVISOR])


def test_rule_set_validation(users):
    with pytest.raises(ValidationError):
        allocation_rule_set_save(rule_set=None, data={"name": "空", "quotas": {"1": 0}}, saved_by=users[Role.ADMIN])
    with pytest.raises(ValidationError):
        allocation_rule_set_save(rule_set=None, data={"name": "选点", "mode": "named"}, saved_by=users[Role.ADMIN])
    with pytest.raises(ValidationError):
        allocation_rule_set_save(
            rule_set=None, data={"name": "价位", "mode": "price_band", "quotas": {"1": 1}}, saved_by=users[Role.ADMIN]
        )


def test_price_band_rule_set_applies_only_to_its_band(graded):
    rules = rule_set(mode="price_band", price_classes=[1])
    with pytest.raises(ValidationError):
        allocation_create(
            product=scarce_product(price_class=2), period_kind="week", period_start=PERIOD, cartons=5, rule_set=rules
        )
    allocation = allocation_create(
        product=scarce_product(code="6901000009", price_class=1),
        period_kind="month",
        period_start=PERIOD,
        cartons=5,
        rule_set=rules,
    )
    assert allocation.allocated == 5 and allocation.period_start == datetime.date(2026, 12, 1)


def test_history_factor_reads_purchases_of_the_product(graded):
    product = scarce_product()
    order = OrderFactory(retailer=graded["a"], ordered_on=PERIOD - datetime.timedelta(days=3))
    OrderLine.objects.create(order=order, product=product, quantity=4, unit_price=100, amount=400)
    rules = rule_set(
        quotas={"10": 1, "20": 1, "30": 1}, history_source="purchases", history_weeks=4, history_floor="0.5"
    )
    allocation = allocation_create(product=product, period_kind="week", period_start=PERIOD, cartons=10, rule_set=rules)
    a = allocation.lines.get(retailer=graded["a"])
    assert (a.history_value, a.history_factor) == (4.0, 1.0)
    assert allocation.lines.get(retailer=graded["b"]).history_factor == 0.5
    # demands 1, 0.5, 0.5 of 10: 5, 2.5, 2.5 → the tie goes to the higher level (30)
    assert lines_of(allocation) == {"王记便利店": 5, "李家超市": 2, "张老烟酒店": 3}


def test_uptake_after_the_period_counts_what_was_ordered(graded, users):
    product = scarce_product()
    allocation = allocation_create(
        product=product, period_kind="week", period_start=PERIOD, cartons=10, rule_set=rule_set()
    )
    allocation_publish(allocation=allocation, published_by=users[Role.ADMIN])
    order = OrderFactory(retailer=graded["c"], ordered_on=PERIOD + datetime.timedelta(days=2))
    OrderLine.objects.create(order=order, product=product, quantity=3, unit_price=100, amount=300)
    late = OrderFactory(retailer=graded["c"], ordered_on=PERIOD + datetime.timedelta(days=9))
    OrderLine.objects.create(order=late, product=product, quantity=9, unit_price=100, amount=900)
    allocation = allocation_uptake_refresh(allocation=allocation)
    assert dict(allocation.lines.values_list("retailer__name", "ordered")) == {
        "王记便利店": 0,
        "李家超市": 0,
        "张老烟酒店": 3,
    }
    assert allocation.ordered == 3
    assert list(
        AllocationLine.objects.filter(allocation=allocation).values_list("cartons", flat=True).order_by("cartons")
    ) == [2, 3, 5]
    # The next allocation can use it: 3 of 5 ordered → factor 0.6 with a floor of 0.
    rules = rule_set(name="uptake", quotas={"10": 1, "20": 1, "30": 1}, history_source="uptake", history_floor="0")
    following = allocation_create(
        product=product,
        period_kind="week",
        period_start=PERIOD + datetime.timedelta(days=7),
        cartons=10,
        rule_set=rules,
    )
    assert following.lines.get(retailer=graded["c"]).history_factor == 0.6
    assert following.lines.get(retailer=graded["a"]).history_factor == 0.0


def test_allocate_command_prints_levels_and_total_and_dry_run_writes_nothing(graded):
    from io import StringIO

    from django.core.management import call_command

    scarce_product(code="6901000777")
    out = StringIO()
    call_command(
        "allocate", "--product", "6901000777", "--cartons", "10", "--period", "2026-W50", "--dry-run", stdout=out
    )
    text = out.getvalue()
    assert "Total: 10 of 10 cartons; left over 0" in text and "dry run" in text
    assert not Allocation.objects.exists()
    out = StringIO()
    call_command("allocate", "--product", "6901000777", "--cartons", "7", "--period", "2026-12-07", stdout=out)
    allocation = Allocation.objects.get()
    assert allocation.period_start == PERIOD and allocation.allocated == 7
    assert "Total: 7 of 7 cartons" in out.getvalue()


def test_allocate_command_refuses_bad_input(graded):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    scarce_product(code="6901000777")
    for args in (
        ["--product", "nope", "--cartons", "1"],
        ["--product", "6901000777", "--cartons", "-1"],
        ["--product", "6901000777", "--cartons", "1", "--period", "2026-W99"],
    ):
        with pytest.raises(CommandError):
            call_command("allocate", *args)


def test_a_correction_names_the_rules_that_changed_in_the_readers_language(graded, users):
    from django.utils import translation

    from crm_site.stored_messages import render

    supervisor = users[Role.SUPERVISOR]
    rules = rule_set()
    allocation = allocation_create(
        product=scarce_product(), period_kind="week", period_start=PERIOD, cartons=10, rule_set=rules
    )
    allocation = allocation_publish(allocation=allocation, published_by=supervisor)
    allocation_rule_set_save(rule_set=rules, data={"cap_per_shop": 3, "history_weeks": 6}, saved_by=supervisor)
    correction = allocation_correct(allocation=allocation, created_by=supervisor, note="加上限")
    said = correction.changes[0]
    with translation.override("en"):
        assert render(said) == "Rules changed: weeks of purchases considered, cap per shop (cartons)."
    with translation.override("zh-hans"):
        assert render(said) == "规则变更：统计购进周数、每户上限（条）。"
    # cap 3: 2, 3, 5 become 3, 3, 3 (one carton is left over)
    with translation.override("zh-hans"):
        assert render(correction.changes[1]) == "2 户的条数有变化：共增加 1 条、减少 2 条。"
    assert correction.leftover == 1
