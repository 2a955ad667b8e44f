from django.contrib import admin

from complaints.models import SlaPolicy, StandardAnswer, Ticket, TicketAttachment, TicketEvent


@admin.register(StandardAnswer)
class StandardAnswerAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["title", "body"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["category", "acknowledge_minutes", "verify_hours", "resolve_hours", "reply_hours",
                    "follow_up_hours", "working_hours", "due_soon_percent"]  # fmt: skip


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "from_status", "to_status", "text", "actor", "at", "on_time"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # events are written by the workflow services only


class TicketAttachmentInline(admin.TabularInline):
    model = TicketAttachment
    extra = 0
    readonly_fields = ["file", "size", "uploaded_by", "uploaded_at"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets move only through the workflow (complaints.services)."""

    list_display = ["number", "retailer", "category", "status", "owner", "step_due_at", "created_at"]
    list_filter = ["status", "category", "channel"]
    search_fields = ["number", "retailer__license_no", "retailer__name"]
    inlines = [TicketEventInline, TicketAttachmentInline]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Ticket._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
