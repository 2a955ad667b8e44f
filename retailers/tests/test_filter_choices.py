"""The service-area and manager drop-downs of a province-sized scope list the chosen region's only."""

import pytest
from django.urls import reverse

from crm_site.roles import Role
from crm_site.tests.factories import UserFactory
from retailers import filters
from retailers.filters import order_filter_for, retailer_filter_for
from retailers.tests.factories import RegionFactory, RetailerFactory, ServiceAreaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def province(monkeypatch):
    """Two regions of two areas each, a manager per area; more areas than the narrowing limit."""
    monkeypatch.setattr(filters, "NARROW_CHOICES_ABOVE", 3)
    regions = [RegionFactory(), RegionFactory()]
    areas = [ServiceAreaFactory(region=region) for region in regions for _ in range(2)]
    managers = []
    for area in areas:
        manager = UserFactory(role=Role.SALES_MANAGER)
        area.managers.add(manager)
        managers.append(manager)
        RetailerFactory(service_area=area, account_manager=manager)
    return regions, areas, managers


def shown_values(filterset, name):
    return [value for value, _label in filterset.shown_choices()[name]]


def test_without_a_region_a_long_list_shows_a_prompt_only(province):
    admin = UserFactory(role=Role.ADMIN)
    listing = retailer_filter_for(user=admin, params={})
    assert shown_values(listing, "service_area") == [""]
    assert str(listing.shown_choices()["service_area"][0][1]) == str(filters._("— choose a region first —"))
    assert shown_values(listing, "account_manager") == [""]


def test_a_chosen_region_lists_its_areas_and_managers(province):
    regions, areas, managers = province
    listing = retailer_filter_for(user=UserFactory(role=Role.ADMIN), params={"region": str(regions[0].pk)})
    assert shown_values(listing, "service_area") == ["", areas[0].pk, areas[1].pk]
    assert set(shown_values(listing, "account_manager")) == {"", managers[0].pk, managers[1].pk}
    orders = order_filter_for(user=UserFactory(role=Role.ADMIN), params={"region": str(regions[1].pk)})
    assert shown_values(orders, "service_area") == ["", areas[2].pk, areas[3].pk]


def test_a_bookmarked_area_without_region_is_shown_and_still_filters(province):
    _regions, areas, _managers = province
    listing = retailer_filter_for(user=UserFactory(role=Role.ADMIN), params={"service_area": str(areas[3].pk)})
    assert shown_values(listing, "service_area") == ["", areas[3].pk]
    assert [shop.service_area_id for shop in listing.qs] == [areas[3].pk]


def test_a_short_list_is_shown_whole_and_a_damaged_region_is_ignored(province, monkeypatch):
    monkeypatch.setattr(filters, "NARROW_CHOICES_ABOVE", 60)
    _regions, areas, _managers = province
    listing = retailer_filter_for(user=UserFactory(role=Role.ADMIN), params={"region": "1'; --"})
    assert shown_values(listing, "service_area") == [""] + [area.pk for area in areas]


def test_an_htmx_filter_change_sends_the_narrowed_selects_out_of_band(client, province):
    regions, areas, _managers = province
    client.force_login(UserFactory(role=Role.ADMIN))
    url = reverse("retailers:retailer-list")
    response = client.get(url, {"region": regions[1].pk}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="id_service_area" class="form-select form-select-sm" hx-swap-oob="true"' in body
    assert f'value="{areas[2].pk}"' in body and f'value="{areas[0].pk}"' not in body
    full_page = client.get(url).content.decode()
    assert "hx-swap-oob" not in full_page
