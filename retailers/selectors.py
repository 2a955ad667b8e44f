"""Reads of retailer data.

`service_areas_visible_to` is THE scoping rule, and `retailers_visible_to` applies it to shops:
every list, dossier, export and API of every app starts from one of them.
"""

from __future__ import annotations

from django.db.models import QuerySet

from retailers.models import ComplianceRecord, Order, Retailer, ServiceArea


def _may_view_retailers(user) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("retailers.view_retailer")


def service_areas_visible_to(user) -> QuerySet[ServiceArea]:
    """The service areas whose shops a user may see.

    - admins and complaint clerks (permission view_all_retailers): every area;
    - supervisors (view_region_retailers): the areas of the regions they supervise;
    - sales managers: their own areas;
    - anyone else, or an inactive user: none.
    """
    areas = ServiceArea.objects.select_related("region")
    if not _may_view_retailers(user):
        return areas.none()
    if user.has_perm("retailers.view_all_retailers"):
        return areas
    if user.has_perm("retailers.view_region_retailers"):
        return areas.filter(region__supervisors=user)
    return areas.filter(managers=user)


def retailers_visible_to(user) -> QuerySet[Retailer]:
    """The retailers a user may see: those of `service_areas_visible_to(user)`."""
    retailers = Retailer.objects.all()
    if not _may_view_retailers(user):
        return retailers.none()
    if user.has_perm("retailers.view_all_retailers"):
        return retailers
    return retailers.filter(service_area__in=service_areas_visible_to(user).values("pk"))


def retailer_recent_orders(*, retailer: Retailer, limit: int = 10) -> list[Order]:
    return list(retailer.orders.order_by("-ordered_on", "-id")[:limit])


def retailer_compliance_records(*, retailer: Retailer) -> list[ComplianceRecord]:
    return list(retailer.compliance_records.order_by("-found_on", "-id"))


def retailer_history(*, retailer: Retailer, limit: int = 20) -> list:
    """The latest changes to a dossier, newest first, each with the fields it changed."""
    records = list(
        retailer.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    entries = []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        changed = [] if older is None else [
            Retailer._meta.get_field(change.field).verbose_name
            for change in newer.diff_against(older).changes
        ]
        entries.append({"record": newer, "changed_fields": changed})
    return entries[:limit]
