import pytest

from crm_site.roles import Role
from crm_site.tests.factories import UserFactory
from retailers.models import Retailer
from retailers.selectors import retailer_history, retailers_matching, retailers_visible_to, service_areas_visible_to

pytestmark = pytest.mark.django_db


def visible_names(user) -> set[str]:
    return set(retailers_visible_to(user).values_list("name", flat=True))


def test_sales_manager_sees_only_the_shops_of_own_areas(prefecture):
    assert visible_names(prefecture["users"][Role.SALES_MANAGER]) == {"王记便利店"}
    assert visible_names(prefecture["other_manager"]) == {"张老烟酒店"}


def test_supervisor_sees_every_shop_of_own_region(prefecture):
    assert visible_names(prefecture["users"][Role.SUPERVISOR]) == {"王记便利店", "李家超市"}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COMPLAINT_CLERK])
def test_admin_and_clerk_see_everything(prefecture, role):
    assert visible_names(prefecture["users"][role]) == {"王记便利店", "李家超市", "张老烟酒店"}


def test_user_without_role_or_inactive_sees_nothing(prefecture):
    assert visible_names(UserFactory()) == set()
    clerk = prefecture["users"][Role.COMPLAINT_CLERK]
    clerk.is_active = False
    clerk.save()
    assert visible_names(clerk) == set()


def test_manager_with_two_areas_sees_both(prefecture):
    manager = prefecture["users"][Role.SALES_MANAGER]
    prefecture["areas"]["c"].managers.add(manager)
    assert visible_names(manager) == {"王记便利店", "张老烟酒店"}


def test_service_areas_follow_the_same_rule(prefecture):
    names = lambda user: set(service_areas_visible_to(user).values_list("name", flat=True))  # noqa: E731
    assert names(prefecture["users"][Role.SALES_MANAGER]) == {"玄武一片"}
    assert names(prefecture["users"][Role.SUPERVISOR]) == {"玄武一片", "玄武二片"}
    assert names(prefecture["users"][Role.ADMIN]) == {"玄武一片", "玄武二片", "江宁一片"}


def test_history_lists_changed_fields_newest_first(prefecture):
    shop = prefecture["shops"]["a"]
    shop.hobbies = "钓鱼"
    shop.save()
    entries = retailer_history(retailer=shop)
    assert entries[0]["changed_fields"] == [Retailer._meta.get_field("hobbies").verbose_name]
    assert entries[-1]["record"].history_type == "+"
    assert entries[0]["record"].change_source == "manager"


def test_users_who_can_see_is_the_same_rule_from_the_other_side(prefecture):
    from crm_site.models import User
    from retailers.selectors import users_who_can_see

    for shop in prefecture["shops"].values():
        expected = {user.pk for user in User.objects.all() if retailers_visible_to(user).filter(pk=shop.pk).exists()}
        assert set(users_who_can_see(retailer=shop).values_list("pk", flat=True)) == expected


def test_purchase_summary_has_twelve_months_in_order_with_zeros_for_months_without_orders(prefecture):
    import datetime
    from decimal import Decimal

    from dateutil.relativedelta import relativedelta
    from django.utils import timezone
    from django.utils.translation import override

    from retailers.selectors import retailer_purchase_summary
    from retailers.templatetags.retailer_tags import monthly_chart_data
    from retailers.tests.factories import OrderFactory

    shop = prefecture["shops"]["a"]
    this_month = timezone.localdate().replace(day=1)
    OrderFactory(retailer=shop, ordered_on=this_month, amount=Decimal("100"), cartons=1)
    OrderFactory(retailer=shop, ordered_on=this_month - relativedelta(months=3), amount=Decimal("300"), cartons=3)
    OrderFactory(retailer=shop, ordered_on=this_month - relativedelta(months=12), amount=Decimal("999"), cartons=9)

    monthly = retailer_purchase_summary(retailer=shop).monthly
    assert [row["month"] for row in monthly] == [this_month - relativedelta(months=n) for n in range(11, -1, -1)]
    assert [row["amount"] for row in monthly] == [0] * 8 + [Decimal("300"), 0, 0, Decimal("100")]
    assert [row["cartons"] for row in monthly] == [0] * 8 + [3, 0, 0, 1]

    with override("zh-hans"):
        labels = monthly_chart_data(monthly)["labels"]
    assert len(labels) == 12 and labels[-1] == f"{this_month.year}年{this_month.month}月"
    with override("en"):
        assert monthly_chart_data(monthly)["labels"][-1] == this_month.strftime("%Y-%m")
    assert isinstance(monthly[0]["month"], datetime.date)


@pytest.mark.django_db
def test_a_search_term_with_a_nul_character_finds_what_the_rest_finds(prefecture):
    found = retailers_matching(Retailer.objects.all(), "王记\x00")
    assert list(found) == [prefecture["shops"]["a"]]
