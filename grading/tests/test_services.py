import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_celery_beat.models import PeriodicTask

from crm_site.roles import Role
from grading.models import GradingRun, RetailerGrade, RunStatus, ServicePolicy
from grading.selectors import grade_explanation, service_policy_for
from grading.services import (
    GradingRunAlreadyActive,
    grading_policy_get,
    grading_policy_update,
    grading_run_execute,
    grading_run_start,
    tier_override_create,
    tier_override_revoke,
)
from retailers.models import Retailer
from retailers.tests.factories import ComplianceRecordFactory, OrderFactory, RetailerFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 24)


@pytest.fixture
def twenty_shops(prefecture):
    """20 active shops in area A with amounts 1000..20000 over the last months."""
    shops = []
    for i in range(20):
        shop = RetailerFactory(
            service_area=prefecture["areas"]["a"],
            license_no=f"330100{i:06d}",
            partner_since=datetime.date(2020, 1, 1),
        )
        OrderFactory(
            retailer=shop, ordered_on=TODAY - datetime.timedelta(days=30), amount=Decimal(1000 * (i + 1)), cartons=i + 1
        )
        shops.append(shop)
    return shops


def run_now(user=None) -> GradingRun:
    run = grading_run_start(started_by=user, as_of=TODAY)  # eager Celery in tests runs it on commit
    run.refresh_from_db()
    if run.status == RunStatus.PENDING:
        run = grading_run_execute(run_id=run.pk)
    return run


def test_run_grades_every_eligible_shop_and_applies_tiers(prefecture, twenty_shops, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = grading_run_start(started_by=prefecture["users"][Role.ADMIN], as_of=TODAY)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.graded_count == 23  # 20 + the three shops of the fixture
    assert run.tier_counts == {"key": 6, "ordinary": 16, "special": 1}
    biggest = Retailer.objects.get(pk=twenty_shops[-1].pk)
    assert (biggest.tier, biggest.stars) == ("key", 5)
    assert run.policy_snapshot["key_percent"] == 25
    assert run.within_tolerance
    assert RetailerGrade.objects.filter(run=run).count() == 23


def test_ineligible_shops_are_not_graded_and_lose_their_tier(prefecture, twenty_shops):
    Retailer.objects.filter(pk=twenty_shops[0].pk).update(status="closed", tier="ordinary", stars=2)
    Retailer.objects.filter(pk=twenty_shops[1].pk).update(license_expires_on=TODAY - datetime.timedelta(days=1))
    run = run_now()
    assert run.graded_count == 21
    closed = Retailer.objects.get(pk=twenty_shops[0].pk)
    assert (closed.tier, closed.stars) == ("", 0)


def test_second_run_marks_movers_and_changes_only_what_moved(prefecture, twenty_shops):
    run_now()
    OrderFactory(retailer=twenty_shops[0], ordered_on=TODAY - datetime.timedelta(days=3), amount=Decimal(10**6))
    second = run_now()
    grade = RetailerGrade.objects.get(run=second, retailer=twenty_shops[0])
    assert (grade.previous_tier, grade.tier, grade.movement) == ("ordinary", "key", 1)
    assert second.moved_up >= 1 and second.moved_down >= 1


def test_a_run_in_progress_is_not_started_twice(prefecture):
    GradingRun.objects.create(status=RunStatus.RUNNING, as_of=TODAY)
    with pytest.raises(GradingRunAlreadyActive):
        grading_run_start(as_of=TODAY)


def test_executing_the_same_run_twice_does_nothing_the_second_time(prefecture, twenty_shops):
    run = GradingRun.objects.create(as_of=TODAY)
    grading_run_execute(run_id=run.pk)
    grading_run_execute(run_id=run.pk)
    assert RetailerGrade.objects.filter(run=run).count() == 23


def test_a_failed_run_leaves_the_previous_tiers_in_force(prefecture, twenty_shops):
    run_now()
    before = dict(Retailer.objects.values_list("pk", "tier"))
    with mock.patch("grading.services._apply_to_retailers", side_effect=RuntimeError("disk full")):
        failed = run_now()
    assert failed.status == RunStatus.FAILED
    assert "disk full" in failed.message
    assert not RetailerGrade.objects.filter(run=failed).exists()
    assert dict(Retailer.objects.values_list("pk", "tier")) == before


def test_override_is_respected_and_reported(prefecture, twenty_shops):
    supervisor = prefecture["users"][Role.SUPERVISOR]
    tier_override_create(
        retailer=twenty_shops[0],
        tier="key",
        reason="新开业重点扶持",
        expires_on=TODAY + datetime.timedelta(days=90),
        created_by=supervisor,
    )
    run = run_now()
    shop = Retailer.objects.get(pk=twenty_shops[0].pk)
    assert shop.tier == "key"
    assert run.override_count == 1
    assert run.tier_counts["key"] == 6


def test_overrides_beyond_tolerance_are_flagged(prefecture, twenty_shops):
    supervisor = prefecture["users"][Role.SUPERVISOR]
    for shop in twenty_shops[:6]:
        tier_override_create(
            retailer=shop,
            tier="special",
            reason="整改期",
            expires_on=TODAY + datetime.timedelta(days=30),
            created_by=supervisor,
        )
    run = run_now()
    assert not run.within_tolerance
    assert "特殊客户 6 / 1" in run.message


def test_override_rules(prefecture, twenty_shops):
    manager, supervisor = prefecture["users"][Role.SALES_MANAGER], prefecture["users"][Role.SUPERVISOR]
    with pytest.raises(PermissionDenied):
        tier_override_create(
            retailer=twenty_shops[0],
            tier="key",
            reason="x",
            expires_on=TODAY + datetime.timedelta(days=9),
            created_by=manager,
        )
    with pytest.raises(ValidationError):
        tier_override_create(
            retailer=twenty_shops[0],
            tier="key",
            reason="x",
            expires_on=datetime.date(2000, 1, 1),
            created_by=supervisor,
        )
    first = tier_override_create(
        retailer=twenty_shops[0], tier="key", reason="a", expires_on=datetime.date(2099, 1, 1), created_by=supervisor
    )
    second = tier_override_create(
        retailer=twenty_shops[0],
        tier="special",
        reason="b",
        expires_on=datetime.date(2099, 1, 1),
        created_by=supervisor,
    )
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    tier_override_revoke(override=second, revoked_by=supervisor)
    assert second.revoked_at is not None


def test_region_scope_gives_each_region_its_key_accounts(prefecture, twenty_shops):
    admin = prefecture["users"][Role.ADMIN]
    grading_policy_update(data={"scope": "region"}, changed_by=admin)
    run = run_now()
    region_2 = str(prefecture["regions"][1].pk)
    assert run.region_counts[region_2] == {"ordinary": 1}  # one shop: round(25% of 1) = 0 key accounts
    assert sum(run.region_counts[str(prefecture["regions"][0].pk)].values()) == 22


def test_compliance_findings_lower_a_shops_score(prefecture, twenty_shops):
    run = run_now()
    before = RetailerGrade.objects.get(run=run, retailer=twenty_shops[10]).score
    ComplianceRecordFactory(retailer=twenty_shops[10], found_on=TODAY - datetime.timedelta(days=5))
    after = RetailerGrade.objects.get(run=run_now(), retailer=twenty_shops[10]).score
    assert after < before


def test_explanation_contributions_sum_to_the_score(prefecture, twenty_shops):
    run = run_now()
    grade = RetailerGrade.objects.get(run=run, retailer=twenty_shops[7])
    lines = grade_explanation(grade, run.policy_snapshot)
    assert sum(line.contribution for line in lines) == pytest.approx(grade.score, abs=0.01)
    assert len(lines) == 9


def test_policy_update_validates_and_moves_the_schedule(prefecture):
    admin = prefecture["users"][Role.ADMIN]
    grading_policy_update(data={"nightly_hour": 4, "nightly_minute": 15}, changed_by=admin)
    task = PeriodicTask.objects.get(task="grading.run_nightly")
    assert (task.crontab.hour, task.crontab.minute) == ("4", "15")
    with pytest.raises(ValidationError):
        grading_policy_update(data={"key_percent": 90, "special_percent": 20}, changed_by=admin)
    with pytest.raises(PermissionDenied):
        grading_policy_update(data={"levels": 15}, changed_by=prefecture["users"][Role.SUPERVISOR])
    assert grading_policy_get().key_percent == 25


def test_service_policy_is_data_with_an_ordinary_fallback(db):
    assert service_policy_for("key").visit_interval_days == 7
    assert service_policy_for("").tier == "ordinary"
    assert ServicePolicy.objects.count() == 3


def test_run_grading_command_grades_once(prefecture, twenty_shops, capsys):
    from django.core.management import call_command

    call_command("run_grading", "--if-never-run")
    assert GradingRun.objects.get().status == RunStatus.SUCCEEDED
    assert "Graded 23 shops" in capsys.readouterr().out
    call_command("run_grading", "--if-never-run")
    assert GradingRun.objects.count() == 1
    assert "already" in capsys.readouterr().out


def test_a_broker_failure_fails_the_run_instead_of_blocking_the_next_one(
    prefecture, django_capture_on_commit_callbacks
):
    broker_down = mock.patch("grading.tasks.grading_run_task.delay", side_effect=ConnectionError("broker down"))
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        run = grading_run_start(as_of=TODAY)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "broker down" in run.message
    assert grading_run_start(as_of=TODAY, queue=False).status == RunStatus.PENDING


def test_a_tiny_scope_is_not_flagged_for_its_rounding(prefecture):
    run = run_now()  # three shops: 1 key (round 0.75), 0 special
    assert run.within_tolerance
    assert "比例符合目标" in run.message
