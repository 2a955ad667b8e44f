from django.contrib import admin

from visits.models import Campaign, CareReminder, Visit, VisitStockCheck

# ---------------------------------------------------------------------------------------------
# The visit log: visits with their stock checks; care reminders and campaigns, read-only lists.
# ---------------------------------------------------------------------------------------------

LOG_FIELDS = [
    "status", "visited_on", "channel", "checked_in_at", "checked_out_at", "price_display_ok",
    "license_displayed", "needs", "feedback", "satisfaction", "photo", "ticket", "miss_reason", "miss_note",
]  # fmt: skip


class VisitStockCheckInline(admin.TabularInline):
    model = VisitStockCheck
    extra = 0
    can_delete = False
    readonly_fields = ["product", "in_stock", "cartons"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # written by visits.services.visit_log only


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """Plans may be corrected here; the log (what the manager recorded) is read-only: visits are
    logged and moved only through visits.services."""

    list_display = ["id", "retailer", "manager", "kind", "status", "planned_on", "visited_on", "satisfaction"]
    list_filter = ["status", "kind", "unplanned", "channel", "miss_reason", "planned_on"]
    search_fields = ["retailer__name", "retailer__license_no", "manager__username", "manager__display_name"]
    date_hierarchy = "planned_on"
    raw_id_fields = ["retailer", "manager", "created_by", "campaign", "previous"]
    readonly_fields = [*LOG_FIELDS, "unplanned", "created_at"]
    list_select_related = ["retailer", "manager"]
    show_full_result_count = False  # millions of rows: no COUNT(*) of the whole table per page
    inlines = [VisitStockCheckInline]


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CareReminder)
class CareReminderAdmin(_ReadOnlyAdmin):
    list_display = ["retailer", "occasion", "occurs_on", "remind_from", "status", "visit"]
    list_filter = ["status", "occasion", "occurs_on"]
    search_fields = ["retailer__name", "retailer__license_no"]
    list_select_related = ["retailer", "visit"]
    show_full_result_count = False


@admin.register(Campaign)
class CampaignAdmin(_ReadOnlyAdmin):
    list_display = ["name", "purpose", "starts_on", "ends_on", "planned_count", "created_by"]
    list_filter = ["purpose", "starts_on"]
    search_fields = ["name"]
    list_select_related = ["created_by"]
