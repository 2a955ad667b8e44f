"""Who reads phone numbers in full (crm_site.roles.may_see_full_phones): every role, for the shops
of its scope; a user whose group lacks the permission sees them masked in all four places where
phones appear: pages, the edit form, exports and the phone search."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from crm_site.roles import PHONE_PERMISSION, Role, may_see_full_phones
from retailers.models import Retailer

FULL, MASKED = "13912345678", "139****5678"
EDITORS = [Role.ADMIN, Role.SUPERVISOR]  # the roles that may change a shop's phone
EXPORTERS = [Role.ADMIN, Role.SUPERVISOR]


@pytest.fixture
def shop(prefecture):
    return prefecture["shops"]["a"]  # in the scope of every role's test user


@pytest.fixture
def supervisor_without_phones(users):
    """A supervisor whose group an admin stripped of the phone permission in the back office."""
    app_label, codename = PHONE_PERMISSION.split(".")
    Group.objects.get(name=Role.SUPERVISOR).permissions.remove(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    return users[Role.SUPERVISOR]


def _export_phones(client) -> list[str]:
    response = client.get(reverse("retailers:retailer-export"), {"q": "王记"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)]


def _found_by_phone(client) -> bool:
    return "王记便利店" in client.get(reverse("retailers:retailer-list"), {"q": "1391234"}).content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_full_phones(users, role):
    assert may_see_full_phones(users[role])


@pytest.mark.parametrize("role", list(Role))
def test_pages_show_full_phones_to_every_role(client_for, users, shop, role):
    client = client_for(users[role])
    for url in (reverse("retailers:retailer-list"), reverse("retailers:retailer-detail", args=[shop.pk])):
        content = client.get(url).content.decode()
        assert FULL in content and MASKED not in content, url


@pytest.mark.parametrize("role", EDITORS)
def test_edit_form_holds_the_full_phone_for_editors(client_for, users, shop, role):
    form = client_for(users[role]).get(reverse("retailers:retailer-update", args=[shop.pk])).context["form"]
    assert form["phone"].value() == FULL


@pytest.mark.parametrize("role", [Role.SALES_MANAGER, Role.COMPLAINT_CLERK])
def test_edit_form_of_other_roles_has_no_phone_field(client_for, users, shop, role):
    response = client_for(users[role]).get(reverse("retailers:retailer-update", args=[shop.pk]))
    assert response.status_code == 403 or "phone" not in response.context["form"].fields


@pytest.mark.parametrize("role", EXPORTERS)
def test_exports_hold_full_phones(client_for, users, role):
    assert _export_phones(client_for(users[role])) == [FULL]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_search_by_phone(client_for, users, role):
    assert _found_by_phone(client_for(users[role]))


def test_without_the_permission_pages_show_masked_phones(client_for, shop, supervisor_without_phones):
    client = client_for(supervisor_without_phones)
    for url in (reverse("retailers:retailer-list"), reverse("retailers:retailer-detail", args=[shop.pk])):
        content = client.get(url).content.decode()
        assert MASKED in content and FULL not in content, url


def test_without_the_permission_the_form_starts_empty_and_empty_keeps_the_phone(
    client_for, shop, supervisor_without_phones
):
    client = client_for(supervisor_without_phones)
    url = reverse("retailers:retailer-update", args=[shop.pk])
    response = client.get(url)
    assert response.context["form"]["phone"].value() == ""
    content = response.content.decode()
    assert FULL not in content and MASKED in content  # the help text names the masked number

    data = {name: value for name, value in response.context["form"].initial.items() if value is not None}
    data.update(
        {
            "service_area": shop.service_area_id,
            "account_manager": "",
            "license_expires_on": shop.license_expires_on.isoformat(),
            "name": "王记便利店（新）",
        }
    )
    assert client.post(url, data).status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.phone) == ("王记便利店（新）", FULL)

    client.post(url, {**data, "phone": "13800001111"})
    assert Retailer.objects.get(pk=shop.pk).phone == "13800001111"  # a new number may still be written


def test_without_the_permission_exports_mask_phones(client_for, supervisor_without_phones):
    assert _export_phones(client_for(supervisor_without_phones)) == [MASKED]


def test_without_the_permission_phone_search_finds_nothing(client_for, supervisor_without_phones):
    assert not _found_by_phone(client_for(supervisor_without_phones))
