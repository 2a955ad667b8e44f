"""The retailer and order lists' Excel exports, used by the direct downloads and by the background jobs."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crm_site.excel import Column, Sheet
from crm_site.exports import list_state
from crm_site.roles import may_see_full_phones
from retailers.filters import order_filter_for, retailer_filter_for
from retailers.selectors import (
    ORDER_EXPORT_FIELDS,
    RETAILER_EXPORT_FIELDS,
    order_export_rows,
    retailer_export_rows,
)

# Above this many rows the list offers a background export instead of a direct download.
DIRECT_EXPORT_LIMIT = 2_000


def export_params(query) -> dict:
    """The filter state of the list, without the paging cursor and the sort."""
    return list_state(query, without=("after", "sort"))


def retailer_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    retailers = retailer_filter_for(user=user, params=params).qs
    columns = [Column(header, width, kind) for _path, header, width, kind in RETAILER_EXPORT_FIELDS]
    rows = retailer_export_rows(retailers=retailers, may_see_phones=may_see_full_phones(user))
    return "retailers", [Sheet(_("Retailers"), columns, rows)]


def order_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    """The order list as filtered on screen, scoped to the user's shops."""
    orders = order_filter_for(user=user, params=params).qs
    columns = [Column(header, width, kind) for _path, header, width, kind in ORDER_EXPORT_FIELDS]
    return "orders", [Sheet(pgettext("order list", "Orders"), columns, order_export_rows(orders=orders))]
