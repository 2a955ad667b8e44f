from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from retailers.models import (
    ComplianceRecord,
    Order,
    OrderLine,
    Product,
    Region,
    Retailer,
    RetailerDistinctPair,
    ServiceArea,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    filter_horizontal = ["supervisors"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    filter_horizontal = ["managers"]


@admin.register(Retailer)
class RetailerAdmin(SimpleHistoryAdmin):
    list_display = ["license_no", "name", "owner_name", "service_area", "business_type", "tier", "stars", "status"]
    list_filter = ["status", "tier", "business_type", "market_type", "service_area__region"]
    search_fields = ["license_no", "name", "owner_name", "phone", "name_initials"]
    raw_id_fields = ["service_area", "account_manager"]
    readonly_fields = ["tier", "stars", "last_order_on"]
    show_full_result_count = False


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["code", "brand", "name", "price_class", "wholesale_price", "is_high_end", "is_scarce", "is_active"]
    list_filter = ["price_class", "is_high_end", "is_scarce", "is_active"]
    search_fields = ["code", "brand", "name"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    raw_id_fields = ["product"]
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["order_no", "retailer", "ordered_on", "amount", "cartons"]
    date_hierarchy = "ordered_on"
    search_fields = ["order_no", "retailer__license_no"]
    raw_id_fields = ["retailer"]
    inlines = [OrderLineInline]
    show_full_result_count = False


@admin.register(ComplianceRecord)
class ComplianceRecordAdmin(admin.ModelAdmin):
    list_display = ["retailer", "found_on", "kind", "severity", "source_department"]
    list_filter = ["kind", "severity"]
    raw_id_fields = ["retailer"]


@admin.register(RetailerDistinctPair)
class RetailerDistinctPairAdmin(admin.ModelAdmin):
    """Where a wrong "not a duplicate" is undone (delete the row: the pair is offered again)."""

    list_display = ["first", "second", "decided_by", "decided_at"]
    raw_id_fields = ["first", "second"]
    readonly_fields = ["decided_by", "decided_at"]
