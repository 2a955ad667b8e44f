"""The registry through which higher apps add filters to the retailer list."""

import django_filters
import pytest

from crm_site.roles import Role
from retailers import list_filters
from retailers.filters import retailer_filter_for
from retailers.list_filters import RetailerListFilter, register_retailer_filter, with_registered_filters

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(list_filters, "_filters", [])


def only_supermarkets(queryset, name, value):
    return queryset.filter(name__endswith="超市") if value else queryset


def test_a_registered_filter_is_placed_after_the_named_one_or_last(registry):
    base = {"a": django_filters.CharFilter(), "b": django_filters.CharFilter()}
    register_retailer_filter(RetailerListFilter("x", django_filters.CharFilter(), after="a"))
    register_retailer_filter(RetailerListFilter("y", django_filters.CharFilter(), after="nowhere"))
    register_retailer_filter(RetailerListFilter("x", django_filters.CharFilter()))  # a second registration is ignored
    assert list(with_registered_filters(base)) == ["a", "x", "b", "y"]
    assert list(base) == ["a", "b"]


def test_a_registered_filter_filters_the_users_scoped_list(registry, users):
    register_retailer_filter(
        RetailerListFilter("supermarkets", django_filters.BooleanFilter(method=only_supermarkets), after="q")
    )
    supervisor_list = retailer_filter_for(user=users[Role.SUPERVISOR], params={"supermarkets": "true"})
    assert list(supervisor_list.form.fields)[:2] == ["q", "supermarkets"]
    assert [shop.name for shop in supervisor_list.qs] == ["李家超市"]
    manager_list = retailer_filter_for(user=users[Role.SALES_MANAGER], params={"supermarkets": "true"})
    assert not manager_list.qs.exists()  # the manager's scope (area A) has no supermarket
