"""The navbar's Data menu: Excel imports for admins, My exports for everyone who may export."""

import pytest
from django.urls import reverse

from crm_site.navigation import data_links_for
from crm_site.roles import Role

DATA_LINKS = {
    Role.ADMIN: ["imports", "exports"],
    Role.SUPERVISOR: ["exports"],
    Role.SALES_MANAGER: ["exports"],  # their route sheets (visits), their shops' analytics tables and forecast
    Role.COMPLAINT_CLERK: [],
}


@pytest.mark.parametrize("role", list(Role))
def test_data_menu_links_per_role(users, role):
    assert [link.key for link in data_links_for(users[role])] == DATA_LINKS[role]


@pytest.mark.parametrize("role", list(Role))
def test_navbar_shows_the_data_menu_to_those_who_may_use_it(client_for, users, role):
    content = client_for(users[role]).get(reverse("home")).content.decode()
    assert ('data-area="data"' in content) == bool(DATA_LINKS[role])
    assert (f'href="{reverse("retailers:import-list")}"' in content) == ("imports" in DATA_LINKS[role])
    assert (f'href="{reverse("export-jobs")}"' in content) == ("exports" in DATA_LINKS[role])


def test_the_open_page_is_marked_in_the_data_menu(client_for, users):
    content = client_for(users[Role.ADMIN]).get(reverse("retailers:import-list")).content.decode()
    assert 'class="dropdown-item active" href="/retailers/imports/"' in content
    assert 'class="nav-link dropdown-toggle active"' in content
