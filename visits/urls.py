from django.urls import path

from visits.views import agenda, campaigns, kpis, log, surveys

app_name = "visits"

urlpatterns = [
    path("", agenda.agenda, name="index"),
    # Surveys (issue 11)
    path("surveys/", surveys.survey_results_view, name="surveys"),
    path("surveys/export/", surveys.survey_results_export, name="survey-export"),
    path("surveys/invitations/", surveys.survey_invitations, name="survey-invitations"),
    path("surveys/questionnaires/", surveys.questionnaires, name="questionnaires"),
    path("surveys/retailers/<int:retailer_pk>/", surveys.retailer_surveys_panel, name="retailer-surveys"),
]

# The visit log, the dossier's visits tab and the KPIs.
urlpatterns += [
    path("new/", log.visit_new, name="visit-new"),
    path("kpis/", kpis.kpis, name="kpis"),
    path("kpis/export/", kpis.kpis_export, name="kpis-export"),
    path("retailers/<int:retailer_pk>/", log.retailer_visits_panel, name="retailer-visits"),
    path("<int:pk>/", log.visit_detail, name="visit-detail"),
    path("<int:pk>/check-in/", log.visit_check_in_view, name="visit-check-in"),
    path("<int:pk>/log/", log.visit_log_view, name="visit-log"),
    path("<int:pk>/miss/", log.visit_miss_view, name="visit-miss"),
    path("<int:pk>/photo/", log.visit_photo, name="visit-photo"),
]

# The manager's agenda (the area's landing page), the route sheet and the care reminders.
urlpatterns += [
    path("route/", agenda.route_sheet, name="route-sheet"),
    path("reminders/plan-all/", agenda.reminders_plan_all, name="reminders-plan-all"),
    path("reminders/<int:pk>/plan/", agenda.reminder_plan, name="reminder-plan"),
    path("reminders/<int:pk>/dismiss/", agenda.reminder_dismiss, name="reminder-dismiss"),
]

# Seasonal campaigns.
urlpatterns += [
    path("campaigns/", campaigns.campaign_list, name="campaign-list"),
    path("campaigns/create/", campaigns.campaign_create_view, name="campaign-create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign-detail"),
]
