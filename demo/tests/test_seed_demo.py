import datetime
import io

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import translation

from crm_site.models import User
from crm_site.roles import Role
from demo.seed import DEMO_USERS, seed_demo
from grading.models import GradingRun, RunStatus, RunTrigger
from retailers.models import (
    ChangeSource,
    ComplianceRecord,
    HistoricalRetailer,
    Order,
    OrderLine,
    Retailer,
    ServiceArea,
)
from retailers.selectors import retailer_history
from retailers.services import retailer_update
from retailers.validators import validate_license_no, validate_phone

pytestmark = pytest.mark.django_db
UNTIL = datetime.date(2026, 11, 24)


def seed(**overrides):
    options = {"retailers": 80, "months": 3, "seed": 7, "until": UNTIL, "log": lambda message: None} | overrides
    return seed_demo(**options)


def fingerprint() -> tuple:
    return (
        tuple(Retailer.objects.order_by("license_no").values_list("license_no", "name", "phone")),
        tuple(Order.objects.order_by("order_no").values_list("order_no", "amount", "cartons")),
    )


def test_small_prefecture_is_complete_and_consistent():
    summary = seed()
    assert summary.retailers == Retailer.objects.count() == 80
    assert ServiceArea.objects.count() >= 4
    assert Order.objects.count() == summary.orders > 80
    assert not Order.objects.filter(ordered_on__gt=UNTIL).exists()
    # Order totals are the sums of their lines.
    mismatched = Order.objects.annotate(line_sum=Sum("lines__amount"), line_cartons=Sum("lines__quantity")).exclude(
        amount=F("line_sum"), cartons=F("line_cartons")
    )
    assert not mismatched.exists()
    assert HistoricalRetailer.objects.filter(history_type="+", change_source="demo").count() == 80
    assert ComplianceRecord.objects.exists() or summary.retailers < 50
    shop = Retailer.objects.exclude(last_order_on=None).first()
    assert shop.last_order_on == shop.orders.latest("ordered_on").ordered_on
    for retailer in Retailer.objects.all():
        validate_license_no(retailer.license_no)
        validate_phone(retailer.phone)
        assert retailer.name_initials and retailer.owner_pinyin


def test_same_seed_same_data_other_seed_other_data():
    seed()
    first = fingerprint()
    seed(reset=True)
    assert fingerprint() == first
    seed(reset=True, seed=8)
    assert fingerprint() != first


def test_second_run_changes_nothing():
    seed()
    before = fingerprint()
    assert seed().skipped
    assert fingerprint() == before


def test_purchases_are_skewed_so_a_25_70_5_split_means_something():
    seed(retailers=400, months=6)
    amounts = np.sort(
        np.array(Order.objects.values("retailer").annotate(s=Sum("amount")).values_list("s", flat=True), dtype=float)
    )[::-1]
    assert amounts[: len(amounts) // 4].sum() / amounts.sum() > 0.5


def test_line_weeks_limits_the_lines_not_the_totals():
    seed(line_weeks=2)
    with_lines = Order.objects.filter(lines__isnull=False).distinct()
    assert with_lines.exists()
    assert not with_lines.filter(ordered_on__lt=UNTIL - datetime.timedelta(weeks=3)).exists()
    assert not Order.objects.filter(amount=0).exists()
    assert OrderLine.objects.count() < Order.objects.aggregate(n=Sum("line_count"))["n"]


def test_command_creates_demo_users_who_can_log_in_and_keeps_their_passwords(capsys):
    call_command("seed_demo", retailers=30, months=1, until=UNTIL)
    output = capsys.readouterr().out
    for username, password, role, _name in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert user.groups.filter(name=role).exists()
        assert username in output
    manager = User.objects.get(username="manager")
    manager.set_password("changed-by-the-user")
    manager.save()
    call_command("seed_demo", retailers=30, months=1, until=UNTIL)
    manager.refresh_from_db()
    assert manager.check_password("changed-by-the-user")
    assert Retailer.objects.filter(account_manager=manager).exists()
    assert Group.objects.get(name=Role.SALES_MANAGER).user_set.count() > 1


def field_names(*fields: str) -> list[str]:
    return sorted(str(Retailer._meta.get_field(field).verbose_name) for field in fields)


def test_the_demo_history_is_true_a_managers_first_card_edit_changes_only_the_card():
    """The demo manager takes over the first area's shops with a history row of their own, so
    the first personal-card edit lists only the personal-card fields (not 客户经理)."""
    call_command("seed_demo", retailers=30, months=1, until=UNTIL, stdout=io.StringIO())
    manager = User.objects.get(username="manager")
    shop = Retailer.objects.filter(account_manager=manager).first()
    retailer_update(retailer=shop, data={"hobbies": "钓鱼、下象棋", "notes": "周三下午在店"}, changed_by=manager)
    latest, handover, created = retailer_history(retailer=shop)
    assert sorted(map(str, latest["changed_fields"])) == field_names("hobbies", "notes")
    assert latest["record"].change_source == ChangeSource.MANAGER
    assert sorted(map(str, handover["changed_fields"])) == field_names("account_manager")
    assert (handover["record"].change_source, created["record"].change_source) == (ChangeSource.DEMO,) * 2


def test_seeded_history_says_it_came_from_the_demo_seeder_and_a_second_run_adds_none():
    call_command("seed_demo", retailers=30, months=1, until=UNTIL, stdout=io.StringIO())
    rows = HistoricalRetailer.objects.count()
    assert rows > 30  # every shop's creation and the demo manager's takeover
    assert set(HistoricalRetailer.objects.values_list("change_source", flat=True)) == {ChangeSource.DEMO}
    with translation.override("zh-hans"):
        assert str(ChangeSource.DEMO.label) == "演示数据"
    call_command("seed_demo", retailers=30, months=1, until=UNTIL, stdout=io.StringIO())
    assert HistoricalRetailer.objects.count() == rows


def test_a_grading_run_from_make_run_is_recorded_as_the_command_not_the_schedule():
    call_command("seed_demo", retailers=30, months=1, until=UNTIL, stdout=io.StringIO())
    call_command("run_grading", "--if-never-run", stdout=io.StringIO())
    run = GradingRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED, run.note
    assert (run.trigger, run.started_by) == (RunTrigger.COMMAND, None)
    with translation.override("zh-hans"):
        assert run.get_trigger_display() == "命令行" != str(RunTrigger.SCHEDULE.label)


def test_the_demo_has_survey_invitations_and_answers_that_add_up():
    from visits.models import SurveyAnswer, SurveyInvitation, SurveyResponse
    from visits.survey_selectors import survey_results

    seed(retailers=200)
    answered = SurveyInvitation.objects.filter(status="answered")
    assert 50 <= SurveyInvitation.objects.count() <= 150
    assert answered.count() == SurveyResponse.objects.count() > 10
    assert SurveyAnswer.objects.filter(score__isnull=False).exists()
    assert SurveyAnswer.objects.exclude(text="").exists()
    # The stored scores are those of the answers: ratings of 4–5 per invitation.
    invitation = answered.select_related("response").first()
    assert (
        invitation.ratings_satisfied
        == SurveyAnswer.objects.filter(response=invitation.response, question__type="rating", score__gte=4).count()
    )
    admin = User.objects.create(username="results_admin", is_superuser=True)
    results = survey_results(user=admin, start=UNTIL - datetime.timedelta(days=200), end=UNTIL)
    assert results.total.invited == SurveyInvitation.objects.count()
    assert results.total.csat is not None and results.total.nps is not None
    until = datetime.datetime.combine(UNTIL, datetime.time(), tzinfo=datetime.UTC)
    stale = SurveyInvitation.objects.filter(expires_at__lt=until - datetime.timedelta(days=1), status="sent")
    assert not stale.exists()


def test_shops_lie_around_their_area_and_some_owners_keep_a_lunar_birthday():
    seed(retailers=400)
    located = Retailer.objects.exclude(latitude=None)
    assert 0.9 * 400 < located.count() < 400  # a few have no location: the agenda's route puts them last
    for area in ServiceArea.objects.all():
        points = [
            (float(lat), float(lon))
            for lat, lon in located.filter(service_area=area).values_list("latitude", "longitude")
        ]
        if len(points) < 2:
            continue
        lat0 = sum(lat for lat, _lon in points) / len(points)
        lon0 = sum(lon for _lat, lon in points) / len(points)
        assert max(abs(lat - lat0) + abs(lon - lon0) for lat, lon in points) < 0.15  # within ~15 km of its area
        assert 31 < lat0 < 33.2 and 117.6 < lon0 < 120  # around Nanjing
    lunar = Retailer.objects.exclude(lunar_birthday_month=None)
    assert 20 < lunar.count() < 110
    assert not lunar.filter(lunar_birthday_day=None).exists()
    assert not Retailer.objects.filter(lunar_birthday_month=None, lunar_birthday_leap=True).exists()


def test_a_small_demo_has_its_forecast_and_risk_list_and_a_reset_clears_them():
    from analytics.models import ForecastRun, RiskFinding, ShopForecast

    seed()
    run = ForecastRun.objects.get()
    assert run.as_of <= UNTIL and ShopForecast.objects.filter(run=run).count() == run.shop_count > 0
    findings = RiskFinding.objects.count()
    seed(reset=True)
    assert ForecastRun.objects.count() == 1 and RiskFinding.objects.count() == findings


def test_the_demo_has_earn_rules_rewards_and_balances_that_reconcile():
    from loyalty.models import EarnRule, EntryKind, PointsAccount, PointsEntry, Reward
    from loyalty.services import points_reconcile

    seed(retailers=202)
    assert EarnRule.objects.count() == 6 and Reward.objects.count() == 5
    assert PointsAccount.objects.count() == 202
    assert PointsAccount.objects.filter(balance__gt=0).count() > 150
    assert PointsEntry.objects.filter(kind=EntryKind.REFERRAL).count() == 2  # shops 101 and 202
    assert points_reconcile() == []
    seed(reset=True, retailers=202)  # the reset clears the ledger and its watermarks: the same again
    assert PointsEntry.objects.filter(kind=EntryKind.REFERRAL).count() == 2
    assert points_reconcile() == []
