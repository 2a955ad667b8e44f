from django.urls import path

from crm_site.views import area_home
from visits.views import surveys

app_name = "visits"

urlpatterns = [
    path("", area_home, {"area_key": "visits"}, name="index"),
    # Surveys (issue 11)
    path("surveys/", surveys.survey_results_view, name="surveys"),
    path("surveys/export/", surveys.survey_results_export, name="survey-export"),
    path("surveys/invitations/", surveys.survey_invitations, name="survey-invitations"),
    path("surveys/questionnaires/", surveys.questionnaires, name="questionnaires"),
    path("surveys/retailers/<int:retailer_pk>/", surveys.retailer_surveys_panel, name="retailer-surveys"),
]
