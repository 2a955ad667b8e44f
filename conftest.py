"""Fixtures shared by every app's tests: one user per role, wired to a small prefecture."""

import pytest
from django.utils import translation

from crm_site.roles import Role
from crm_site.tests.factories import UserFactory
from retailers.tests.factories import RegionFactory, RetailerFactory, ServiceAreaFactory


@pytest.fixture(autouse=True)
def _site_language_after_each_test():
    """A request in English leaves English active in the thread (LocaleMiddleware does not undo
    it): every test starts in the site's language whatever the test before asked for."""
    yield
    translation.deactivate()


@pytest.fixture
def prefecture(db):
    """Two regions; region 1 has areas A and B, region 2 has area C; one shop in each area,
    and one user per role: the manager serves area A, the supervisor region 1."""
    region_1, region_2 = RegionFactory(name="玄武区"), RegionFactory(name="江宁区")
    area_a = ServiceAreaFactory(region=region_1, name="玄武一片")
    area_b = ServiceAreaFactory(region=region_1, name="玄武二片")
    area_c = ServiceAreaFactory(region=region_2, name="江宁一片")
    users = {role: UserFactory(username=role.value, role=role) for role in Role}
    other_manager = UserFactory(username="other_manager", role=Role.SALES_MANAGER)
    area_a.managers.add(users[Role.SALES_MANAGER])
    area_c.managers.add(other_manager)
    region_1.supervisors.add(users[Role.SUPERVISOR])
    shops = {
        "a": RetailerFactory(service_area=area_a, name="王记便利店", owner_name="王建国", phone="13912345678"),
        "b": RetailerFactory(service_area=area_b, name="李家超市", owner_name="李秀英"),
        "c": RetailerFactory(service_area=area_c, name="张老烟酒店", owner_name="张伟"),
    }
    return {
        "regions": (region_1, region_2),
        "areas": {"a": area_a, "b": area_b, "c": area_c},
        "users": users,
        "other_manager": other_manager,
        "shops": shops,
    }


@pytest.fixture
def users(prefecture):
    return prefecture["users"]


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def browser():
    from crm_site.testing import chromium_driver

    driver = chromium_driver()
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
