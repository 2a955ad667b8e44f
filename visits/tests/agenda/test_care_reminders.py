"""Care reminders (关怀提醒): made N days ahead from the care policy for birthdays (solar and lunar,
leap month and day 30 included) and the lunar festivals, once per shop, occasion and date; planned
into a care visit or dismissed in one click."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from crm_site.roles import Role
from retailers.models import RetailerStatus, Tier
from retailers.tests.factories import RetailerFactory
from visits.models import CarePolicy, CareReminder, CareReminderStatus, Visit, VisitKind
from visits.services import care_reminders_create, care_visit_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def card_shop(prefecture):
    def make(**fields):
        fields.setdefault("license_expires_on", datetime.date(2030, 12, 31))
        return RetailerFactory(service_area=prefecture["areas"]["a"],
                               account_manager=prefecture["users"][Role.SALES_MANAGER], **fields)  # fmt: skip

    return make


def reminders(**filters):
    return sorted(CareReminder.objects.filter(**filters).values_list("retailer__name", "occasion", "occurs_on",
                                                                     "remind_from"))  # fmt: skip


def test_the_policy_defaults_are_there():
    assert CarePolicy.objects.get(occasion="mid_autumn").days_ahead == 10
    assert CarePolicy.objects.get(occasion="birthday").days_ahead == 3


def test_mid_autumn_2025_is_reminded_to_every_servable_shop_ten_days_ahead(card_shop, prefecture):
    card_shop(name="甲")
    card_shop(name="乙", tier=Tier.KEY)
    card_shop(name="歇业", status=RetailerStatus.CLOSED)
    card_shop(name="过期", license_expires_on=datetime.date(2025, 10, 1))
    RetailerFactory(name="无经理", service_area=prefecture["areas"]["b"], account_manager=None)
    assert care_reminders_create(today=datetime.date(2025, 9, 25))["mid_autumn"] == 0  # 11 days ahead: not yet
    created = care_reminders_create(today=datetime.date(2025, 9, 26))
    assert created["mid_autumn"] == 2
    day, since = datetime.date(2025, 10, 6), datetime.date(2025, 9, 26)
    assert reminders(occasion="mid_autumn") == [("乙", "mid_autumn", day, since), ("甲", "mid_autumn", day, since)]


def test_spring_festival_2026_and_a_policy_for_key_shops_only(card_shop):
    card_shop(name="重点", tier=Tier.KEY)
    card_shop(name="普通", tier=Tier.ORDINARY)
    CarePolicy.objects.filter(occasion="spring").update(tiers=[Tier.KEY])
    care_reminders_create(today=datetime.date(2026, 2, 3))  # 14 days ahead of 17 February
    assert reminders(occasion="spring") == [("重点", "spring", datetime.date(2026, 2, 17), datetime.date(2026, 2, 3))]


def test_a_disabled_policy_reminds_nothing(card_shop):
    card_shop(name="甲")
    CarePolicy.objects.filter(occasion="mid_autumn").update(enabled=False)
    assert "mid_autumn" not in care_reminders_create(today=datetime.date(2025, 10, 1))
    assert not CareReminder.objects.exists()


def test_solar_birthdays_and_29_february_in_a_common_year(card_shop):
    card_shop(name="三月", birthday=datetime.date(1970, 3, 2))
    card_shop(name="闰日", birthday=datetime.date(1972, 2, 29))
    card_shop(name="太远", birthday=datetime.date(1980, 3, 5))
    care_reminders_create(today=datetime.date(2027, 2, 27))  # birthdays 3 days ahead: to 2 March
    assert reminders(occasion="birthday") == [
        ("三月", "birthday", datetime.date(2027, 3, 2), datetime.date(2027, 2, 27)),
        ("闰日", "birthday", datetime.date(2027, 2, 28), datetime.date(2027, 2, 25)),
    ]


def test_lunar_birthdays_a_leap_month_and_a_missing_day_30(card_shop):
    # 2025 has a leap sixth month (闰六月, 25 July – 22 August 2025); in 2026 there is none.
    card_shop(name="闰六月初三", lunar_birthday_month=6, lunar_birthday_day=3, lunar_birthday_leap=True)
    card_shop(name="六月初三", lunar_birthday_month=6, lunar_birthday_day=3)
    care_reminders_create(today=datetime.date(2025, 7, 24))
    assert reminders(occasion="lunar_birthday") == [
        ("闰六月初三", "lunar_birthday", datetime.date(2025, 7, 27), datetime.date(2025, 7, 24)),
    ]
    care_reminders_create(today=datetime.date(2025, 6, 25))
    assert ("六月初三", "lunar_birthday", datetime.date(2025, 6, 27), datetime.date(2025, 6, 24)) in reminders()
    # In 2026 (no leap sixth month) the leap-month birthday falls on the ordinary 六月初三, 16 July 2026.
    care_reminders_create(today=datetime.date(2026, 7, 14))
    assert {row[0] for row in reminders(occurs_on=datetime.date(2026, 7, 16))} == {"闰六月初三", "六月初三"}


def test_a_lunar_birthday_on_day_30_of_a_short_month_falls_on_day_29(card_shop):
    # The twelfth month of lunar 2025 has 29 days: 腊月廿九 is 16 February 2026 (the eve of 春节).
    card_shop(name="腊月三十", lunar_birthday_month=12, lunar_birthday_day=30)
    care_reminders_create(today=datetime.date(2026, 2, 13))
    assert reminders(occasion="lunar_birthday") == [
        ("腊月三十", "lunar_birthday", datetime.date(2026, 2, 16), datetime.date(2026, 2, 13)),
    ]


def test_running_twice_or_after_a_dismissal_adds_nothing(card_shop):
    card_shop(name="甲", birthday=datetime.date(1970, 10, 8))
    first = care_reminders_create(today=datetime.date(2025, 10, 5))
    assert first["mid_autumn"] == 1 and first["birthday"] == 1
    CareReminder.objects.filter(occasion="birthday").update(status=CareReminderStatus.DISMISSED)
    again = care_reminders_create(today=datetime.date(2025, 10, 6))
    assert sum(again.values()) == 0 and CareReminder.objects.count() == 2
    assert CareReminder.objects.get(occasion="birthday").status == CareReminderStatus.DISMISSED


def test_the_command_calls_the_same_service(card_shop, capsys):
    card_shop(name="甲")
    call_command("remind_care", "--today", "2025-09-30")
    assert "Care reminders created: 1." in capsys.readouterr().out
    assert CareReminder.objects.get().occasion == "mid_autumn"


def test_the_care_visit_is_planned_on_the_last_working_day_before_the_occasion():
    # 中秋 2025 (6 October) falls in the National Day holiday (1–8 October): the last working day
    # before it, from 26 September, is 30 September; on the day itself, that day.
    assert care_visit_day(occurs_on=datetime.date(2025, 10, 6), today=datetime.date(2025, 9, 26)) == datetime.date(
        2025, 9, 30
    )
    assert care_visit_day(occurs_on=datetime.date(2025, 10, 6), today=datetime.date(2025, 10, 3)) == datetime.date(
        2025, 10, 3
    )


@pytest.fixture
def reminder(card_shop):
    shop = card_shop(name="寿星店", birthday=datetime.date(1970, 9, 3))
    with time_machine.travel(datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC), tick=False):
        care_reminders_create(today=datetime.date(2026, 9, 1))
        yield CareReminder.objects.get(retailer=shop, occasion="birthday")


def test_the_agenda_and_the_dossier_show_a_reminder_and_one_click_plans_a_care_visit(client_for, users, reminder):
    client = client_for(users[Role.SALES_MANAGER])
    agenda = client.get(reverse("visits:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "寿星店" in agenda and f'id="plan-reminder-{reminder.pk}"' in agenda
    tab = client.get(reverse("visits:retailer-visits", args=[reminder.retailer_id]), HTTP_ACCEPT_LANGUAGE="en")
    assert reverse("visits:reminder-plan", args=[reminder.pk]) in tab.content.decode()
    response = client.post(reverse("visits:reminder-plan", args=[reminder.pk]), {"next": "/visits/"})
    assert response.status_code == 302 and response.url == "/visits/"
    reminder.refresh_from_db()
    visit = Visit.objects.get(kind=VisitKind.CARE)
    assert reminder.status == CareReminderStatus.PLANNED and reminder.visit == visit
    assert (visit.planned_on, visit.manager, visit.created_by) == (
        datetime.date(2026, 9, 3), users[Role.SALES_MANAGER], users[Role.SALES_MANAGER]
    )  # fmt: skip
    again = client.post(reverse("visits:reminder-plan", args=[reminder.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This reminder is already “Visit planned”." in again.content.decode()
    assert Visit.objects.filter(kind=VisitKind.CARE).count() == 1


def test_a_reminder_is_dismissed_and_leaves_the_agenda(client_for, users, reminder):
    client = client_for(users[Role.SALES_MANAGER])
    response = client.post(reverse("visits:reminder-dismiss", args=[reminder.pk]), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == reverse("visits:index")  # not off-site
    reminder.refresh_from_db()
    assert reminder.status == CareReminderStatus.DISMISSED
    assert "寿星店" not in client.get(reverse("visits:index")).content.decode()


def test_another_regions_reminder_is_a_404_and_a_clerk_is_refused(client_for, users, prefecture, reminder):
    other = client_for(prefecture["other_manager"])
    assert other.post(reverse("visits:reminder-plan", args=[reminder.pk])).status_code == 404
    assert other.post(reverse("visits:reminder-dismiss", args=[reminder.pk])).status_code == 404
    clerk = client_for(users[Role.COMPLAINT_CLERK])
    assert clerk.post(reverse("visits:reminder-plan", args=[reminder.pk])).status_code == 403
    reminder.refresh_from_db()
    assert reminder.status == CareReminderStatus.OPEN


def test_a_supervisor_of_the_region_plans_it_for_the_shops_manager(client_for, users, reminder):
    client_for(users[Role.SUPERVISOR]).post(reverse("visits:reminder-plan", args=[reminder.pk]))
    assert Visit.objects.get(kind=VisitKind.CARE).manager == users[Role.SALES_MANAGER]


def test_the_agenda_folds_a_festival_into_one_group_and_lists_birthdays(client_for, users, card_shop, reminder):
    for name in ("一店", "二店", "三店"):
        shop = card_shop(name=name)
        CareReminder.objects.create(
            retailer=shop,
            occasion="mid_autumn",
            occurs_on=datetime.date(2026, 9, 25),
            remind_from=datetime.date(2026, 9, 1),
        )
    body = (
        client_for(users[Role.SALES_MANAGER]).get(reverse("visits:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    birthdays = body[body.index('id="reminders-birthdays"') : body.index("reminders-festival")]
    assert "寿星店" in birthdays and "一店" not in birthdays
    assert "Mid-Autumn Festival · 2026-09-25 · 3 shops" in body


def test_one_click_plans_a_care_visit_for_every_shop_of_a_festival(client_for, users, card_shop, prefecture, reminder):
    shops = [card_shop(name=name) for name in ("一店", "二店")]
    other = RetailerFactory(
        name="他区店", service_area=prefecture["areas"]["c"], account_manager=prefecture["other_manager"],
        license_expires_on=datetime.date(2030, 12, 31),
    )  # fmt: skip
    for shop in [*shops, other]:
        CareReminder.objects.create(
            retailer=shop,
            occasion="mid_autumn",
            occurs_on=datetime.date(2026, 9, 25),
            remind_from=datetime.date(2026, 9, 1),
        )
    client = client_for(users[Role.SALES_MANAGER])
    assert 'id="plan-all-mid_autumn"' in client.get(reverse("visits:index")).content.decode()
    data = {"occasion": "mid_autumn", "occurs_on": "2026-09-25", "next": "/visits/"}
    response = client.post(reverse("visits:reminders-plan-all"), data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Care visits planned: 2." in response.content.decode()
    planned = CareReminder.objects.filter(occasion="mid_autumn", status=CareReminderStatus.PLANNED)
    assert {r.retailer.name for r in planned} == {"一店", "二店"}
    day = care_visit_day(occurs_on=datetime.date(2026, 9, 25), today=datetime.date(2026, 9, 1))
    assert [(r.visit and r.visit.retailer_id, r.visit and r.visit.planned_on) for r in planned] == [
        (r.retailer_id, day) for r in planned
    ]
    assert CareReminder.objects.get(retailer=other).status == CareReminderStatus.OPEN  # another manager's
    assert client.post(reverse("visits:reminders-plan-all"), data).status_code == 302
    assert Visit.objects.filter(kind=VisitKind.CARE).count() == 2  # a second click plans nothing more


def test_planning_all_with_a_damaged_request_plans_nothing(client_for, users, reminder):
    client = client_for(users[Role.SALES_MANAGER])
    response = client.post(reverse("visits:reminders-plan-all"), {"occasion": "x", "occurs_on": "soon"}, follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert "Nothing was planned" in response.content.decode() and not Visit.objects.exists()
