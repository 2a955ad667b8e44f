import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_celery_beat.models import PeriodicTask

from crm_site.roles import Role
from grading.models import GradingRun, Movement, RetailerGrade, RunStatus, ServicePolicy
from grading.selectors import grade_explanation, policy_settings, run_scope, service_policy_for
from grading.services import (
    STALE_RUN_AFTER,
    GradingRunAlreadyActive,
    grading_policy_get,
    grading_policy_update,
    grading_run_execute,
    grading_run_start,
    tier_override_create,
    tier_override_revoke,
    tier_overrides_expire,
)
from retailers.models import Retailer, Tier
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
    assert run.status == RunStatus.SUCCEEDED, run.note
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
    assert "disk full" in failed.note
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
    assert run.message == {
        "code": "grading.split_off",
        "params": {"key": 6, "key_target": 6, "special": 6, "special_target": 1},
    }
    with translation.override("zh-hans"):
        assert "6个特殊客户" in run.note
    with translation.override("en"):
        assert "6 special accounts against 1" in run.note


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
    area_c = run.area_counts[str(prefecture["areas"]["c"].pk)]
    assert (area_c["key"], area_c["ordinary"], area_c["special"]) == (0, 1, 0)  # round(25% of 1) = 0 key
    region_1_areas = [str(prefecture["areas"][name].pk) for name in "ab"]
    assert sum(run.area_counts[a][t] for a in region_1_areas for t in ("key", "ordinary", "special")) == 22


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
    out = capsys.readouterr().out
    assert "Graded 23 shops" in out
    assert str(Tier.KEY.label) in out and "{" not in out  # tier labels, not a raw dict of codes
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
    assert run.status == RunStatus.FAILED and "broker down" in run.note
    assert grading_run_start(as_of=TODAY, queue=False).status == RunStatus.PENDING


def test_a_tiny_scope_is_not_flagged_for_its_rounding(prefecture):
    run = run_now()  # three shops: 1 key (round 0.75), 0 special
    assert run.within_tolerance
    assert run.message["code"] == "grading.split_as_targeted"
    with translation.override("zh-hans"):
        assert "比例符合目标" in run.note
    with translation.override("en"):
        assert run.note == "Split as targeted."


def pin(shop, tier, *, by, days=30):
    return tier_override_create(
        retailer=shop,
        tier=tier,
        reason="扶持",
        expires_on=datetime.date.today() + datetime.timedelta(days=days),
        created_by=by,
    )


def test_an_override_is_the_shops_tier_at_once_and_revoking_it_restores_the_tier_by_score(prefecture, twenty_shops):
    run = run_now()
    shop = twenty_shops[0]  # the smallest buyer: not a key account by score
    computed = RetailerGrade.objects.get(run=run, retailer=shop).computed_tier
    assert computed != "key"
    override = pin(shop, "key", by=prefecture["users"][Role.SUPERVISOR])
    shop = Retailer.objects.get(pk=shop.pk)
    assert shop.tier == "key"
    assert service_policy_for(shop.tier) == ServicePolicy.objects.get(tier="key")
    assert Retailer.objects.filter(tier="key", pk=shop.pk).exists()
    tier_override_revoke(override=override, revoked_by=prefecture["users"][Role.SUPERVISOR])
    assert Retailer.objects.get(pk=shop.pk).tier == computed


def test_expired_overrides_end_and_their_shops_go_back_to_the_tier_by_score(prefecture, twenty_shops):
    run = run_now()
    shop = twenty_shops[0]
    computed = RetailerGrade.objects.get(run=run, retailer=shop).computed_tier
    override = pin(shop, "key", by=prefecture["users"][Role.SUPERVISOR], days=1)
    assert tier_overrides_expire(today=datetime.date.today() + datetime.timedelta(days=1)) == 0  # last day: live
    assert Retailer.objects.get(pk=shop.pk).tier == "key"
    assert tier_overrides_expire(today=datetime.date.today() + datetime.timedelta(days=2)) == 1
    override.refresh_from_db()
    assert override.revoked_at is not None
    assert Retailer.objects.get(pk=shop.pk).tier == computed
    assert tier_overrides_expire(today=datetime.date.today() + datetime.timedelta(days=2)) == 0  # safe twice
    assert PeriodicTask.objects.filter(task="grading.expire_overrides", enabled=True).exists()


def test_an_ungraded_shop_keeps_its_pinned_tier_through_a_run_and_loses_it_when_it_ends(prefecture, twenty_shops):
    closed = RetailerFactory(service_area=prefecture["areas"]["a"], status="closed")
    override = pin(closed, "special", by=prefecture["users"][Role.SUPERVISOR])
    run = run_now()
    assert not RetailerGrade.objects.filter(run=run, retailer=closed).exists()
    assert Retailer.objects.get(pk=closed.pk).tier == "special"
    tier_override_revoke(override=override, revoked_by=prefecture["users"][Role.SUPERVISOR])
    assert Retailer.objects.get(pk=closed.pk).tier == ""


def test_a_run_records_each_stage_as_it_goes(prefecture, twenty_shops):
    from grading import services

    seen = []
    real_grade_frame = services.grade_frame

    def spy(signals, policy):
        seen.append(GradingRun.objects.get(pk=run.pk).stage)
        return real_grade_frame(signals, policy)

    run = grading_run_start(as_of=TODAY, queue=False)
    assert run.stage_number == 0
    with mock.patch("grading.services.grade_frame", side_effect=spy):
        run = grading_run_execute(run_id=run.pk)
    assert seen == ["scoring"]
    assert (run.status, run.stage, run.stage_number) == (RunStatus.SUCCEEDED, "writing", 3)


def test_a_runs_note_is_said_in_the_readers_language_and_old_text_still_shows(prefecture, twenty_shops):
    with mock.patch("grading.services._apply_to_retailers", side_effect=RuntimeError("disk full")):
        failed = run_now()
    assert failed.message == {"code": "grading.failed", "params": {"error": "RuntimeError: disk full"}}
    with translation.override("en"):
        assert failed.note == "The run failed: RuntimeError: disk full"
    with translation.override("zh-hans"):
        assert failed.note.startswith("分级失败")
    old = GradingRun(as_of=TODAY, text="比例符合目标：5个重点客户")
    assert old.note == "比例符合目标：5个重点客户"


def test_the_policy_a_run_used_reads_as_labelled_settings(prefecture, twenty_shops):
    run = run_now()
    with translation.override("en"):
        settings = {
            label: value for section in policy_settings(run.policy_snapshot) for label, value in section.settings
        }
    assert settings["Weight: 12-month purchase amount"] == "40%"
    assert settings["Key accounts (%)"] == "25%"
    assert settings["Tolerance of the split (percentage points)"] == "2.0"
    assert settings["Ranking scope"] == "The whole company"
    assert settings["Months of orders considered"] == "12 months"
    assert settings["Grade only active shops"] == "Yes"
    assert settings["Nightly run at"] == "02:30"
    with translation.override("zh-hans"):
        sections = policy_settings(run.policy_snapshot)
    assert ("排名范围", "全市统一排名") in sections[1].settings
    assert policy_settings({}) == []


def test_a_runs_figures_are_those_of_the_users_scope(prefecture, twenty_shops):
    run = run_now()  # 20 + 1 shops in area A, one in B, one in C
    users = prefecture["users"]
    manager, supervisor, admin = (
        run_scope(user=users[role]) for role in (Role.SALES_MANAGER, Role.SUPERVISOR, Role.ADMIN)
    )
    assert manager.figures(run).graded == 21
    assert [region.name for region in manager.figures(run).regions] == ["玄武区"]
    assert supervisor.figures(run).graded == 22
    everything = admin.figures(run)
    assert everything.graded == run.graded_count == 23
    assert (everything.key, everything.ordinary, everything.special) == tuple(
        run.tier_counts[tier] for tier in ("key", "ordinary", "special")
    )
    assert sum(region.key + region.ordinary + region.special for region in everything.regions) == 23


def test_the_companys_split_figures_are_said_only_to_those_who_see_the_company(prefecture):
    run = GradingRun(
        as_of=TODAY,
        message={"code": "grading.split_off", "params": {"key": 9, "key_target": 6, "special": 1, "special_target": 1}},
    )
    users = prefecture["users"]
    with translation.override("en"):
        assert "9 key accounts against a target of 6" in run_scope(user=users[Role.ADMIN]).note(run)
        scoped = run_scope(user=users[Role.SUPERVISOR]).note(run)
    assert scoped == "Overrides push the company's split outside the tolerance."


def test_a_runs_note_keeps_its_words_in_the_sites_language_beside_the_code(prefecture, twenty_shops):
    with mock.patch("grading.services._apply_to_retailers", side_effect=RuntimeError("disk full")):
        failed = run_now()
    assert failed.text == "分级失败：RuntimeError: disk full"  # for the admin and e-mail


def test_a_run_stuck_for_hours_is_abandoned_with_a_note_in_the_readers_language(prefecture):
    stuck = grading_run_start(as_of=TODAY, queue=False)
    GradingRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - STALE_RUN_AFTER * 2)
    grading_run_start(as_of=TODAY, queue=False)
    stuck.refresh_from_db()
    hours = int(STALE_RUN_AFTER.total_seconds() // 3600)
    assert stuck.status == RunStatus.FAILED
    assert stuck.message == {"code": "grading.abandoned", "params": {"hours": hours}}
    assert stuck.text == f"已放弃：{hours}小时无进展。"
    with translation.override("en"):
        assert stuck.note == f"Abandoned: no progress for {hours} hours."


def test_movement_is_judged_against_the_shops_previous_grade_even_when_an_override_came_between(
    prefecture, twenty_shops
):
    first = run_now()
    shop = twenty_shops[0]
    assert RetailerGrade.objects.get(run=first, retailer=shop).tier == "ordinary"
    pin(shop, "key", by=prefecture["users"][Role.SUPERVISOR])  # the shop is a key account at once
    second = run_now()
    grade = RetailerGrade.objects.get(run=second, retailer=shop)
    assert (grade.previous_tier, grade.tier, grade.computed_tier, grade.overridden) == (
        "ordinary",
        "key",
        "ordinary",
        True,
    )
    assert grade.movement == Movement.UP  # as the history reads it: 普通客户 in the run before, 重点客户 now
    third = run_now()
    assert RetailerGrade.objects.get(run=third, retailer=shop).movement == Movement.SAME
