"""Seasonal campaigns: the target filter, one visit per target shop spread over the working days
of the range (set-based, never doubled), the role rules (supervisor: own regions; admin: any;
manager: none), and the pages (list, create with a preview count, detail with progress)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from crm_site.roles import Role
from grading.models import GradingRun, RetailerGrade
from retailers.models import BusinessType, MarketType, RetailerStatus, Tier
from retailers.tests.factories import RetailerFactory
from visits.models import Campaign, Visit, VisitKind, VisitStatus
from visits.selectors import campaign_targets
from visits.services import VisitError, campaign_create, campaign_plan

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
WEEK = {"name": "新品推广", "purpose": "new_product", "description": "",
        "starts_on": datetime.date(2026, 8, 28), "ends_on": datetime.date(2026, 9, 7)}  # fmt: skip
WORKING_DAYS = [datetime.date(2026, 9, d) for d in (1, 2, 3, 4, 7)]  # from today (Tuesday 1 September)


@pytest.fixture
def shops(prefecture, today):
    area_a, area_b, area_c = (prefecture["areas"][k] for k in "abc")
    manager, other = prefecture["users"][Role.SALES_MANAGER], prefecture["other_manager"]
    area_b.managers.add(manager)

    def shop(name, area, account_manager, **fields):
        fields.setdefault("license_expires_on", datetime.date(2028, 12, 31))
        fields.setdefault("business_type", BusinessType.CONVENIENCE)
        return RetailerFactory(name=name, service_area=area, account_manager=account_manager, **fields)

    made = {f"a{n}": shop(f"a{n}", area_a, manager, tier=Tier.KEY) for n in range(7)}
    made["b_grocery"] = shop("b_grocery", area_b, manager, tier=Tier.ORDINARY, business_type=BusinessType.GROCERY)
    made["b_rural"] = shop("b_rural", area_b, manager, tier=Tier.ORDINARY, market_type=MarketType.RURAL)
    made["c"] = shop("c", area_c, other, tier=Tier.KEY)
    made["closed"] = shop("closed", area_a, manager, status=RetailerStatus.CLOSED)
    made["expiring"] = shop("expiring", area_a, manager, license_expires_on=datetime.date(2026, 9, 2))
    return made


def names(retailers):
    return sorted(retailers.values_list("name", flat=True))


def test_the_target_filter(shops, users, today):
    admin, on = users[Role.ADMIN], datetime.date(2026, 9, 1)
    everyone = campaign_targets(target={}, user=admin, on=on)
    assert "closed" not in names(everyone) and "expiring" in names(everyone) and len(names(everyone)) == 11
    assert names(campaign_targets(target={"tiers": ["ordinary"]}, user=admin, on=on)) == ["b_grocery", "b_rural"]
    assert names(campaign_targets(target={"business_types": ["grocery"]}, user=admin, on=on)) == ["b_grocery"]
    assert names(campaign_targets(target={"market_types": ["rural"]}, user=admin, on=on)) == ["b_rural"]
    region_2 = shops["c"].service_area.region_id
    assert names(campaign_targets(target={"regions": [region_2]}, user=admin, on=on)) == ["c"]
    assert names(campaign_targets(target={"service_areas": [shops["b_rural"].service_area_id]}, user=admin, on=on)) == [
        "b_grocery", "b_rural"
    ]  # fmt: skip
    assert "expiring" not in names(campaign_targets(target={}, user=admin, on=datetime.date(2026, 9, 3)))


def test_the_level_filter_reads_the_latest_grading_run(shops, users, today):
    run = GradingRun.objects.create(as_of="2026-08-31", status="succeeded")
    for level, key in ((3, "a0"), (12, "a1"), (25, "c")):
        RetailerGrade.objects.create(
            run=run, retailer=shops[key], amount=0, cartons=0, order_count=0, high_end_share=0, low_tar_share=0,
            brand_variety=0, tenure_months=0, credit_points=0, compliance_count=0, normalised={}, score=0, rank=1,
            percentile=0, computed_tier="key", tier="key", level=level, stars=3,
        )  # fmt: skip
    target = {"level_min": 10, "level_max": 30}
    assert names(campaign_targets(target=target, user=users[Role.ADMIN], on=datetime.date(2026, 9, 1))) == ["a1", "c"]


def test_an_admin_campaign_plans_one_visit_per_shop_spread_over_working_days(shops, users, today):
    campaign = campaign_create(user=users[Role.ADMIN], data=WEEK, target={"tiers": ["key"]})
    visits = Visit.objects.filter(campaign=campaign)
    assert campaign.planned_count == 8 == visits.count()  # a0–a6 and c
    assert set(visits.values_list("kind", "status")) == {(VisitKind.SEASONAL, VisitStatus.PLANNED)}
    days = sorted(visits.filter(manager=users[Role.SALES_MANAGER]).values_list("planned_on", flat=True))
    # the manager's 7 shops over 5 working days (weekend 5–6 September out, nothing before today)
    assert days == sorted([*WORKING_DAYS, WORKING_DAYS[0], WORKING_DAYS[1]])
    assert visits.get(retailer=shops["c"]).manager == shops["c"].account_manager
    assert visits.get(retailer=shops["a0"]).purpose == "新品推广"


def test_a_shop_whose_licence_ends_before_its_day_is_left_out(shops, users, today):
    campaign = campaign_create(user=users[Role.ADMIN], data=WEEK, target={"tiers": ["ordinary", ""]})
    planned = Visit.objects.filter(campaign=campaign)
    # expiring (not graded) is the manager's third shop by id: its day (3 September) is after its licence
    assert shops["expiring"].pk not in set(planned.values_list("retailer", flat=True))
    assert planned.count() == 2


def test_planning_again_does_not_double_an_open_plan(shops, users, today):
    campaign = campaign_create(user=users[Role.ADMIN], data=WEEK, target={"tiers": ["key"]})
    retailers = campaign_targets(target=campaign.target, user=users[Role.ADMIN], on=datetime.date(2026, 9, 1))
    assert campaign_plan(campaign=campaign, retailers=retailers, user=users[Role.ADMIN]) == 0
    Visit.objects.filter(campaign=campaign, retailer=shops["a0"]).update(status=VisitStatus.CANCELLED)
    assert campaign_plan(campaign=campaign, retailers=retailers, user=users[Role.ADMIN]) == 1
    assert Visit.objects.filter(campaign=campaign, status=VisitStatus.PLANNED).count() == 8


def test_a_supervisor_targets_their_own_regions_only(shops, users, prefecture, today):
    supervisor = users[Role.SUPERVISOR]
    campaign = campaign_create(user=supervisor, data=WEEK, target={})
    assert campaign.target["regions"] == [prefecture["regions"][0].pk]
    assert "c" not in set(Visit.objects.filter(campaign=campaign).values_list("retailer__name", flat=True))
    assert campaign.planned_count == 9  # a0–a6, b_grocery, b_rural; expiring (10th: 7 September) is past its licence
    with pytest.raises(VisitError) as refused:
        campaign_create(user=supervisor, data=WEEK, target={"regions": [prefecture["regions"][1].pk]})
    assert "regions" in refused.value.error_dict


def test_a_manager_may_not_create_a_campaign(users, today):
    with pytest.raises(PermissionDenied):
        campaign_create(user=users[Role.SALES_MANAGER], data=WEEK, target={})
    assert not Campaign.objects.exists()


def test_a_campaign_over_already_or_without_a_working_day_is_refused(users, today):
    with pytest.raises(VisitError) as over:
        campaign_create(user=users[Role.ADMIN], data={**WEEK, "ends_on": datetime.date(2026, 8, 31)}, target={})
    assert "ends_on" in over.value.error_dict
    weekend = {**WEEK, "starts_on": datetime.date(2026, 9, 5), "ends_on": datetime.date(2026, 9, 6)}
    with pytest.raises(VisitError) as none:
        campaign_create(user=users[Role.ADMIN], data=weekend, target={})
    assert "ends_on" in none.value.error_dict and not Campaign.objects.exists()  # nothing half-written


def form_data(**extra):
    data = {"name": "中秋备货", "purpose": "festival", "starts_on": "2026-09-01", "ends_on": "2026-09-07"}
    return {**data, **extra}


def test_the_supervisor_previews_creates_and_follows_a_campaign(client_for, users, shops, today):
    client = client_for(users[Role.SUPERVISOR])
    assert client.get(reverse("visits:campaign-create")).status_code == 200
    preview = client.post(reverse("visits:campaign-create"), form_data(preview="1", tiers=["ordinary"]), **EN)
    assert preview.status_code == 200 and "The campaign targets 2 shops" in preview.content.decode()
    assert not Campaign.objects.exists()
    response = client.post(reverse("visits:campaign-create"), form_data(tiers=["ordinary"]))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == reverse("visits:campaign-detail", args=[campaign.pk])
    Visit.objects.filter(campaign=campaign, retailer=shops["b_rural"]).update(
        status=VisitStatus.DONE, visited_on=datetime.date(2026, 9, 1)
    )
    detail = client.get(response.url, **EN).content.decode()
    assert "中秋备货" in detail and "50.0%" in detail
    listing = client.get(reverse("visits:campaign-list"), **EN).content.decode()
    assert "中秋备货" in listing


def test_the_form_names_the_wrong_field(client_for, users, today):
    client = client_for(users[Role.SUPERVISOR])
    response = client.post(reverse("visits:campaign-create"), form_data(ends_on="2026-08-01"), **EN)
    assert response.status_code == 400 and "Ends on: the campaign ends before it starts." in response.content.decode()
    response = client.post(reverse("visits:campaign-create"), form_data(starts_on="soon"), **EN)
    assert "Starts on: enter a date such as 2026-09-01." in response.content.decode()
    assert not Campaign.objects.exists()


def test_other_regions_campaigns_are_hidden_and_managers_refused(client_for, users, prefecture, shops, today):
    campaign = campaign_create(user=users[Role.ADMIN], data=WEEK, target={"regions": [prefecture["regions"][1].pk]})
    supervisor = client_for(users[Role.SUPERVISOR])
    assert "新品推广" not in supervisor.get(reverse("visits:campaign-list")).content.decode()
    assert supervisor.get(reverse("visits:campaign-detail", args=[campaign.pk])).status_code == 404
    manager = client_for(users[Role.SALES_MANAGER])
    for url in (reverse("visits:campaign-list"), reverse("visits:campaign-create")):
        assert manager.get(url).status_code == 403
    admin = client_for(users[Role.ADMIN])
    assert admin.get(reverse("visits:campaign-detail", args=[campaign.pk])).status_code == 200


def test_the_pages_keep_a_fixed_number_of_queries(client_for, users, shops, today, django_assert_num_queries):
    client = client_for(users[Role.SUPERVISOR])
    campaign = campaign_create(user=users[Role.SUPERVISOR], data=WEEK, target={})
    client.get(reverse("visits:campaign-list"))
    with django_assert_num_queries(7):  # session, user, groups, permissions ×2, campaigns, notifications
        client.get(reverse("visits:campaign-list"))
    with django_assert_num_queries(8):  # … the campaign and its progress
        client.get(reverse("visits:campaign-detail", args=[campaign.pk]))
