from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from visits.models import Question, Questionnaire, SurveyInvitation


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
