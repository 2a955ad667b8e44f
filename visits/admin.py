from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from visits.models import (
    Campaign,
    CareReminder,
    Question,
    Questionnaire,
    SurveyInvitation,
    Visit,
    VisitStockCheck,
)

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


# Surveys: admins keep the questionnaires here. A version shops were invited to is read-only;
# "copy as a new version" makes an editable copy, "make current" sends it from then on.
class QuestionInline(admin.TabularInline):
    model = Question
    extra = 1
    fields = ["position", "type", "text", "options", "required"]

    def has_change_permission(self, request, obj=None):
        from visits.surveys import questionnaire_is_frozen

        return super().has_change_permission(request, obj) and not (obj and questionnaire_is_frozen(obj))

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "version", "is_current", "created_at"]
    list_filter = ["kind", "is_current"]
    readonly_fields = ["version", "is_current", "created_at"]
    fields = ["kind", "title", "intro", "version", "is_current", "created_at"]
    inlines = [QuestionInline]
    actions = ["copy_as_new_version", "make_current"]

    def has_change_permission(self, request, obj=None):
        from visits.surveys import questionnaire_is_frozen

        return super().has_change_permission(request, obj) and not (obj and questionnaire_is_frozen(obj))

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:  # a new questionnaire is the next version of its kind, not yet current
            from django.db.models import Max

            obj.version = (Questionnaire.objects.filter(kind=obj.kind).aggregate(v=Max("version"))["v"] or 0) + 1
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Copy as a new version (to edit)"), permissions=["view"])
    def copy_as_new_version(self, request, queryset):
        from visits.surveys import questionnaire_new_version

        for questionnaire in queryset:
            copy = questionnaire_new_version(questionnaire=questionnaire)
            self.message_user(request, _("Created %(copy)s.") % {"copy": copy}, messages.SUCCESS)

    @admin.action(description=_("Make current (new invitations use it)"), permissions=["view"])
    def make_current(self, request, queryset):
        from visits.surveys import SurveyError, questionnaire_make_current

        if queryset.values("kind").distinct().count() != queryset.count():
            self.message_user(request, _("Choose one version of each kind."), messages.ERROR)
            return
        for questionnaire in queryset:
            try:
                questionnaire_make_current(questionnaire=questionnaire)
            except SurveyError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                return
        self.message_user(
            request,
            ngettext("%(n)d questionnaire made current.", "%(n)d questionnaires made current.", queryset.count())
            % {"n": queryset.count()},
            messages.SUCCESS,
        )


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    list_display = ["retailer", "kind", "invited_on", "status", "attempts", "reminders_sent", "last_error"]
    list_filter = ["status", "kind"]
    list_select_related = ["retailer"]
    raw_id_fields = ["retailer", "ticket"]
    search_fields = ["retailer__name", "retailer__license_no"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
