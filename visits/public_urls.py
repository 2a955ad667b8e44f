"""The public survey form, mounted at /s/ by crm_site/urls.py (no namespace: the link is `survey-answer`)."""

from django.urls import path

from visits.views import public

urlpatterns = [
    path("<str:token>/", public.survey_answer, name="survey-answer"),
]
