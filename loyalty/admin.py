from django.contrib import admin

from loyalty.models import EarnRule, PointsAccount, PointsEntry, PointsPolicy, Redemption, Reward


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    """The ledger is read-only here as everywhere: corrections are new entries, made by the services."""

    list_display = ["id", "account", "kind", "points", "source_id", "booked_on", "expires_on", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["account", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PointsAccount)
class PointsAccountAdmin(PointsEntryAdmin):
    """Balances change only with their entries."""

    list_display = ["retailer", "balance", "updated_at"]
    list_filter = []
    raw_id_fields = ["retailer"]


@admin.register(EarnRule)
class EarnRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "points", "price_class", "new_product_days", "valid_from", "valid_to"]
    list_filter = ["kind"]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ["name", "points_price", "stock", "valid_from", "valid_to"]


@admin.register(Redemption)
class RedemptionAdmin(PointsEntryAdmin):
    """Redemptions move only through their pipeline (loyalty.services.redemption_set_status)."""

    list_display = ["id", "account", "reward", "points", "status", "filed_at"]
    list_filter = ["status"]
    raw_id_fields = ["account", "reward", "filed_by"]


admin.site.register(PointsPolicy)
