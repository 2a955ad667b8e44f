from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from grading.models import GradingPolicy, GradingRun, RetailerGrade, ServicePolicy, TierOverride


@admin.register(GradingPolicy)
class GradingPolicyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request) -> bool:
        return not GradingPolicy.objects.exists()  # one policy row

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ServicePolicy)
class ServicePolicyAdmin(SimpleHistoryAdmin):
    list_display = ["tier", "visit_interval_days", "complaint_response_minutes", "complaint_resolution_hours",
                    "scarce_priority_weight", "points_multiplier", "survey_interval_days"]  # fmt: skip


@admin.register(GradingRun)
class GradingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "as_of", "status", "graded_count", "override_count", "within_tolerance", "seconds", "note"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in GradingRun._meta.fields]


@admin.register(RetailerGrade)
class RetailerGradeAdmin(admin.ModelAdmin):
    list_display = ["run", "retailer", "tier", "level", "stars", "score", "rank", "movement"]
    list_filter = ["tier", "movement"]
    raw_id_fields = ["run", "retailer"]
    show_full_result_count = False


@admin.register(TierOverride)
class TierOverrideAdmin(admin.ModelAdmin):
    """Read only: an override is made and revoked on the dossier (grading.services), which also
    sets the shop's tier at once; a row saved here would not."""

    list_display = ["retailer", "tier", "reason", "expires_on", "created_by", "revoked_at", "revoked_by"]
    raw_id_fields = ["retailer"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
