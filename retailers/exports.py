"""The retailer list's Excel export, used by the direct download and by the background job."""

from __future__ import annotations

from django.utils.translation import gettext as _

from crm_site.excel import Column, Sheet
from retailers.filters import retailer_filter_for
from retailers.selectors import RETAILER_EXPORT_FIELDS, retailer_export_rows

# Above this many rows the list offers a background export instead of a direct download.
DIRECT_EXPORT_LIMIT = 2_000


def export_params(query) -> dict:
    """The filter state of the list, without the paging cursor and the sort."""
    return {key: value for key, value in query.items() if key not in {"after", "sort"}}


def retailer_export_sheets(user, params: dict) -> tuple[str, list[Sheet]]:
    retailers = retailer_filter_for(user=user, params=params).qs
    columns = [Column(header, width, kind) for _path, header, width, kind in RETAILER_EXPORT_FIELDS]
    rows = retailer_export_rows(retailers=retailers, may_see_phones=user.has_perm("retailers.view_retailer_phone"))
    return "retailers", [Sheet(_("Retailers"), columns, rows)]
