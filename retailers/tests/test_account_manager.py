"""A shop's account manager is a sales manager of its service area (crm_site roles: managers
see the shops of their areas, so a manager of another region would hold a shop nobody sees)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm_site.roles import Role
from retailers.forms import RetailerForm
from retailers.models import Retailer
from retailers.services import retailer_create, retailer_update
from retailers.tests.factories import RetailerFactory

pytestmark = pytest.mark.django_db


def test_service_refuses_a_manager_of_another_area_naming_the_field(prefecture):
    shop, outsider = prefecture["shops"]["a"], prefecture["other_manager"]
    with pytest.raises(ValidationError) as refused:
        retailer_update(
            retailer=shop, data={"account_manager": outsider}, changed_by=prefecture["users"][Role.SUPERVISOR]
        )
    [message] = refused.value.message_dict["account_manager"]
    assert message.startswith("客户经理") and str(outsider) in message and "玄武一片" in message
    assert Retailer.objects.get(pk=shop.pk).account_manager is None


def test_service_refuses_moving_a_shop_away_from_its_managers_area(prefecture):
    manager = prefecture["users"][Role.SALES_MANAGER]
    shop = RetailerFactory(service_area=prefecture["areas"]["a"], account_manager=manager)
    with pytest.raises(ValidationError, match="玄武二片"):
        retailer_update(
            retailer=shop, data={"service_area": prefecture["areas"]["b"]}, changed_by=prefecture["users"][Role.ADMIN]
        )


def test_service_accepts_a_manager_of_the_area_and_create_checks_too(prefecture):
    manager, admin = prefecture["users"][Role.SALES_MANAGER], prefecture["users"][Role.ADMIN]
    shop = retailer_update(retailer=prefecture["shops"]["a"], data={"account_manager": manager}, changed_by=admin)
    assert shop.account_manager == manager
    data = {
        field: getattr(RetailerFactory.build(), field)
        for field in ("license_no", "license_expires_on", "name", "owner_name", "phone", "address")
    } | {"business_type": "grocery", "market_type": "rural", "zone_type": "residential"}
    with pytest.raises(ValidationError) as refused:
        retailer_create(
            data={**data, "service_area": prefecture["areas"]["a"], "account_manager": prefecture["other_manager"]},
            created_by=admin,
        )
    assert "account_manager" in refused.value.message_dict


def test_form_offers_the_managers_of_the_shops_area_or_of_the_area_being_chosen(prefecture):
    shop, admin = prefecture["shops"]["a"], prefecture["users"][Role.ADMIN]
    manager, outsider = prefecture["users"][Role.SALES_MANAGER], prefecture["other_manager"]
    choices = RetailerForm(instance=shop, user=admin).fields["account_manager"].queryset
    assert list(choices) == [manager]
    rechosen = RetailerForm(instance=shop, initial={"service_area": prefecture["areas"]["c"].pk}, user=admin)
    assert list(rechosen.fields["account_manager"].queryset) == [outsider]
    posted = RetailerForm({"service_area": prefecture["areas"]["c"].pk}, instance=shop, user=admin)
    assert list(posted.fields["account_manager"].queryset) == [outsider]


def test_supervisor_cannot_pick_another_regions_manager_in_the_form(client_for, prefecture):
    shop, supervisor = prefecture["shops"]["a"], prefecture["users"][Role.SUPERVISOR]
    client = client_for(supervisor)
    url = reverse("retailers:retailer-update", args=[shop.pk])
    form = client.get(url).context["form"]
    assert prefecture["other_manager"] not in form.fields["account_manager"].queryset
    data = {name: form[name].value() or "" for name in form.fields}
    response = client.post(url, {**data, "account_manager": prefecture["other_manager"].pk})
    assert response.status_code == 200
    assert "请选择该店所属营销片区的客户经理" in response.content.decode()
    assert Retailer.objects.get(pk=shop.pk).account_manager is None


def test_changing_the_area_refreshes_the_manager_choices(client_for, prefecture):
    client = client_for(prefecture["users"][Role.ADMIN])
    url = reverse("retailers:retailer-update", args=[prefecture["shops"]["a"].pk])
    content = client.get(url, {"service_area": prefecture["areas"]["c"].pk}, headers={"HX-Request": "true"})
    assert f'value="{prefecture["other_manager"].pk}"' in content.content.decode()


def test_manager_choices_read_alike_name_and_areas_served(client_for, prefecture):
    """Every choice is "name (areas)", full-width brackets and 、 in Chinese, ASCII in English."""
    from django.utils.translation import override

    manager = prefecture["users"][Role.SALES_MANAGER]
    prefecture["areas"]["b"].managers.add(manager)
    shop, admin = prefecture["shops"]["a"], prefecture["users"][Role.ADMIN]
    name = str(manager)
    with override("zh-hans"):
        field = RetailerForm(instance=shop, user=admin)["account_manager"]
        assert [label for _value, label in field.field.choices][1:] == [f"{name}（玄武一片、玄武二片）"]
    with override("en"):
        field = RetailerForm(instance=shop, user=admin)["account_manager"]
        assert [label for _value, label in field.field.choices][1:] == [f"{name} (玄武一片, 玄武二片)"]
    client = client_for(admin)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("retailers:retailer-update", args=[shop.pk])).content.decode()
    assert f"{name}（玄武一片、玄武二片）</option>" in page
