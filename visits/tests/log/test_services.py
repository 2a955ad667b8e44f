"""The visit log's rules, on its services (no HTTP): check-in, logging a planned visit (it closes
and re-plans, stock checks, photo, follow-up visit and ticket, all or nothing), an unplanned
visit, a missed one, and who may do it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints.models import Channel, Ticket
from complaints.tests.files import jpeg_bytes, png_bytes
from crm_site.roles import Role
from retailers.tests.factories import ProductFactory
from visits.models import MissReason, Visit, VisitChannel, VisitKind, VisitStatus, VisitStockCheck
from visits.services import VisitError, visit_check_in, visit_log, visit_log_unplanned, visit_miss
from visits.tests.log.helpers import TODAY, plan

pytestmark = pytest.mark.django_db

LOG = {"channel": VisitChannel.ON_SITE, "purpose": "月度走访", "satisfaction": 4, "needs": "多给中华", "feedback": ""}


def photo(content=None, name="shelf.png"):
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_check_in_records_the_arrival_once(shop, manager, today):
    visit = plan(shop)
    first = visit_check_in(visit=visit, user=manager)
    assert first.checked_in_at == timezone.now()
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert visit_check_in(visit=visit, user=manager, at=later).checked_in_at == first.checked_in_at


def test_logging_a_routine_visit_closes_it_and_plans_the_next(shop, manager, today):
    visit = plan(shop)
    visit_check_in(visit=visit, user=manager, at=timezone.now() - datetime.timedelta(minutes=20))
    logged = visit_log(visit=visit, user=manager, data=LOG)
    assert (logged.status, logged.visited_on, logged.channel, logged.satisfaction) == (
        VisitStatus.DONE, TODAY, VisitChannel.ON_SITE, 4,
    )  # fmt: skip
    assert logged.checked_out_at == timezone.now()
    assert logged.checked_out_at - logged.checked_in_at == datetime.timedelta(minutes=20)
    following = Visit.objects.get(retailer=shop, status=VisitStatus.PLANNED)
    assert (following.kind, following.planned_on, following.manager) == (
        VisitKind.ROUTINE,
        datetime.date(2026, 9, 8),
        manager,
    )  # fmt: skip  (key tier: weekly)


def test_check_in_defaults_to_the_time_asked_or_now(shop, manager, today):
    visit = plan(shop)
    asked = timezone.now() - datetime.timedelta(hours=1)
    assert visit_log(visit=visit, user=manager, data={**LOG, "checked_in_at": asked}).checked_in_at == asked
    care = plan(shop, kind=VisitKind.CARE)
    assert visit_log(visit=care, user=manager, data=LOG).checked_in_at == timezone.now()


def test_a_check_in_after_the_check_out_is_refused(shop, manager, today):
    visit = plan(shop)
    with pytest.raises(VisitError) as refused:
        visit_log(
            visit=visit, user=manager, data={**LOG, "checked_in_at": timezone.now() + datetime.timedelta(hours=1)}
        )
    assert "checked_in_at" in refused.value.error_dict


def test_a_channel_is_needed(shop, manager, today):
    with pytest.raises(VisitError) as refused:
        visit_log(visit=plan(shop), user=manager, data={**LOG, "channel": ""})
    assert "channel" in refused.value.error_dict


def test_stock_checks_are_recorded(shop, manager, top_products):
    first, second = top_products
    visit = visit_log(
        visit=plan(shop),
        user=manager,
        data=LOG,
        stock_checks=[{"product": first, "in_stock": True, "cartons": 6}, {"product": second, "in_stock": False}],
    )
    rows = {(row.product_id, row.in_stock, row.cartons) for row in VisitStockCheck.objects.filter(visit=visit)}
    assert rows == {(first.pk, True, 6), (second.pk, False, None)}


def test_an_out_of_stock_product_with_cartons_is_refused(shop, manager, top_products):
    with pytest.raises(VisitError):
        visit_log(
            visit=plan(shop),
            user=manager,
            data=LOG,
            stock_checks=[{"product": top_products[0], "in_stock": False, "cartons": 3}],
        )


def test_a_photo_is_kept(shop, manager, today):
    visit = visit_log(visit=plan(shop), user=manager, data=LOG, photo=photo(jpeg_bytes(), "shop.jpg"))
    assert visit.photo.name.startswith("visits/2026/09/") and visit.photo.read() == jpeg_bytes()


@pytest.mark.parametrize(
    ("upload", "why"),
    [
        (photo(b"not a picture at all"), "content"),
        (photo(png_bytes(), "shelf.pdf"), "extension"),
        (photo(b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 1)), "size"),
    ],
)
def test_a_bad_photo_writes_nothing(shop, manager, top_products, tmp_path, upload, why):
    visit = plan(shop)
    with pytest.raises(VisitError) as refused:
        visit_log(
            visit=visit,
            user=manager,
            data=LOG,
            stock_checks=[{"product": top_products[0], "in_stock": True, "cartons": 2}],
            photo=upload,
            open_ticket={"category": "delivery", "description": "送货晚了"},
            next_visit_on=TODAY + datetime.timedelta(days=3),
        )
    assert "photo" in refused.value.error_dict, why
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED and visit.visited_on is None
    assert not VisitStockCheck.objects.exists() and not Ticket.objects.exists()
    assert Visit.objects.count() == 1
    assert not list(tmp_path.rglob("*.*"))


def test_a_follow_up_ticket_is_opened_and_linked(shop, manager, today):
    visit = visit_log(
        visit=plan(shop), user=manager, data=LOG, open_ticket={"category": "delivery", "description": "送货晚了两天"}
    )
    ticket = Ticket.objects.get()
    assert visit.ticket == ticket
    assert (ticket.retailer, ticket.channel, ticket.category, ticket.description, ticket.created_by) == (
        shop, Channel.MANAGER, "delivery", "送货晚了两天", manager,
    )  # fmt: skip


def test_a_refused_ticket_writes_nothing(shop, manager, today):
    manager.groups.clear()  # no complaints.add_ticket any more, but still the visit's manager
    manager.user_permissions.add(
        *__import__("django.contrib.auth.models", fromlist=["Permission"]).Permission.objects.filter(
            codename__in=["view_retailer"]
        )
    )
    manager = type(manager).objects.get(pk=manager.pk)
    visit = plan(shop)
    with pytest.raises(PermissionDenied):
        visit_log(visit=visit, user=manager, data=LOG, open_ticket={"category": "delivery", "description": "晚了"})
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED and not Ticket.objects.exists()
    assert Visit.objects.filter(status=VisitStatus.PLANNED).count() == 1


def test_an_invalid_ticket_names_the_ticket(shop, manager, today):
    with pytest.raises(VisitError) as refused:
        visit_log(visit=plan(shop), user=manager, data=LOG, open_ticket={"category": "nonsense", "description": "x"})
    assert "ticket" in refused.value.error_dict
    assert not Ticket.objects.exists()


def test_a_next_visit_date_plans_a_follow_up(shop, manager, today):
    care = plan(shop, kind=VisitKind.CARE, purpose="中秋")
    visit_log(visit=care, user=manager, data=LOG, next_visit_on=datetime.date(2026, 9, 10))
    follow_up = Visit.objects.get(kind=VisitKind.FOLLOW_UP)
    assert (follow_up.planned_on, follow_up.previous, follow_up.manager, follow_up.status, follow_up.created_by) == (
        datetime.date(2026, 9, 10), care, manager, VisitStatus.PLANNED, manager,
    )  # fmt: skip
    assert not Visit.objects.filter(kind=VisitKind.ROUTINE).exists()  # a care visit leaves the routine plans alone


def test_a_next_visit_in_the_past_writes_nothing(shop, manager, today):
    visit = plan(shop)
    with pytest.raises(VisitError) as refused:
        visit_log(visit=visit, user=manager, data=LOG, next_visit_on=TODAY - datetime.timedelta(days=1))
    assert "next_visit_on" in refused.value.error_dict
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED and Visit.objects.count() == 1


def test_only_a_planned_visit_is_logged(shop, manager, today):
    visit = visit_log(visit=plan(shop, kind=VisitKind.CARE), user=manager, data=LOG)
    with pytest.raises(VisitError):
        visit_log(visit=visit, user=manager, data=LOG)


def test_an_unplanned_routine_visit_replans_the_open_plan(shop, manager, today):
    open_plan = plan(shop, planned_on=datetime.date(2026, 9, 3))
    visit = visit_log_unplanned(retailer=shop, user=manager, kind=VisitKind.ROUTINE, data=LOG)
    assert (visit.unplanned, visit.status, visit.planned_on, visit.visited_on, visit.manager) == (
        True, VisitStatus.DONE, TODAY, TODAY, manager,
    )  # fmt: skip
    open_plan.refresh_from_db()
    assert (open_plan.status, open_plan.planned_on) == (VisitStatus.PLANNED, datetime.date(2026, 9, 8))
    assert Visit.objects.filter(status=VisitStatus.PLANNED).count() == 1


def test_an_unplanned_care_visit_leaves_the_routine_plan(shop, manager, today):
    open_plan = plan(shop, planned_on=datetime.date(2026, 9, 3))
    visit_log_unplanned(retailer=shop, user=manager, kind=VisitKind.CARE, data=LOG)
    open_plan.refresh_from_db()
    assert open_plan.planned_on == datetime.date(2026, 9, 3)


def test_an_unplanned_visit_needs_a_kind(shop, manager, today):
    with pytest.raises(VisitError):
        visit_log_unplanned(retailer=shop, user=manager, kind="picnic", data=LOG)


def test_a_missed_visit_needs_a_reason(shop, manager, today):
    visit = plan(shop)
    with pytest.raises(VisitError) as refused:
        visit_miss(visit=visit, user=manager, reason="", note="")
    assert "reason" in refused.value.error_dict
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_a_missed_routine_visit_with_a_new_date_is_replanned(shop, manager, today):
    visit = plan(shop)
    visit_miss(
        visit=visit,
        user=manager,
        reason=MissReason.SHOP_CLOSED,
        note="卷帘门关着",
        new_date=TODAY + datetime.timedelta(days=2),
    )
    visit.refresh_from_db()
    assert (visit.status, visit.miss_reason, visit.miss_note) == (
        VisitStatus.MISSED,
        MissReason.SHOP_CLOSED,
        "卷帘门关着",
    )
    new = Visit.objects.get(status=VisitStatus.PLANNED)
    assert (new.kind, new.planned_on, new.previous, new.interval_days) == (
        VisitKind.ROUTINE, datetime.date(2026, 9, 3), visit, 7,
    )  # fmt: skip


def test_a_missed_care_visit_keeps_its_kind_and_purpose(shop, manager, today):
    visit = plan(shop, kind=VisitKind.CARE, purpose="中秋")
    visit_miss(visit=visit, user=manager, reason=MissReason.OWNER_AWAY, new_date=TODAY + datetime.timedelta(days=1))
    new = Visit.objects.get(status=VisitStatus.PLANNED)
    assert (new.kind, new.purpose, new.previous) == (VisitKind.CARE, "中秋", visit)


def test_a_missed_visit_without_a_new_date_plans_nothing(shop, manager, today):
    visit_miss(visit=plan(shop), user=manager, reason=MissReason.WEATHER)
    assert not Visit.objects.filter(status=VisitStatus.PLANNED).exists()


def test_a_new_date_in_the_past_writes_nothing(shop, manager, today):
    visit = plan(shop)
    with pytest.raises(VisitError):
        visit_miss(visit=visit, user=manager, reason=MissReason.WEATHER, new_date=TODAY - datetime.timedelta(days=1))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_a_supervisor_of_the_region_and_an_admin_may_log_it(shop, users, today):
    visit_log(visit=plan(shop, kind=VisitKind.CARE), user=users[Role.SUPERVISOR], data=LOG)
    visit_miss(visit=plan(shop, kind=VisitKind.CARE), user=users[Role.ADMIN], reason=MissReason.OTHER)


def test_another_manager_may_not_log_or_move_it(shop, other_shop, prefecture, users, today):
    other_manager = prefecture["other_manager"]
    visit = plan(shop)
    for user in (other_manager, users[Role.COMPLAINT_CLERK]):
        with pytest.raises(PermissionDenied):
            visit_log(visit=visit, user=user, data=LOG)
        with pytest.raises(PermissionDenied):
            visit_miss(visit=visit, user=user, reason=MissReason.OTHER)
        with pytest.raises(PermissionDenied):
            visit_check_in(visit=visit, user=user)
    with pytest.raises(PermissionDenied):
        visit_log_unplanned(retailer=other_shop, user=users[Role.SALES_MANAGER], kind=VisitKind.ROUTINE, data=LOG)
    with pytest.raises(PermissionDenied):
        visit_log_unplanned(retailer=shop, user=users[Role.COMPLAINT_CLERK], kind=VisitKind.ROUTINE, data=LOG)


def test_a_manager_sharing_the_area_sees_but_may_not_log_anothers_visit(shop, prefecture, today):
    from crm_site.tests.factories import UserFactory

    colleague = UserFactory(username="colleague", role=Role.SALES_MANAGER)
    prefecture["areas"]["a"].managers.add(colleague)
    with pytest.raises(PermissionDenied):
        visit_log(visit=plan(shop), user=colleague, data=LOG)


def test_a_supervisor_of_another_region_may_not(shop, today):
    from crm_site.tests.factories import UserFactory

    stranger = UserFactory(username="stranger", role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        visit_log(visit=plan(shop), user=stranger, data=LOG)


def test_products_for_the_stock_check_are_the_shops_top_ones(shop, top_products):
    from retailers.selectors import retailer_top_products

    ProductFactory()  # never bought
    assert retailer_top_products(retailer=shop) == top_products
