from django.urls import path

from grading import views

app_name = "grading"

urlpatterns = [
    path("", views.grading_index, name="index"),
    path("export/", views.overview_export, name="export"),
    path("runs/start/", views.run_start, name="run-start"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/export/", views.run_export, name="run-export"),
    path("policy/", views.policy_edit, name="policy"),
    path("service-policy/", views.service_policy_edit, name="service-policy"),
    path("retailers/<int:retailer_pk>/", views.retailer_panel, name="retailer-panel"),
    path("retailers/<int:retailer_pk>/override/", views.override_create, name="override-create"),
    path("overrides/<int:pk>/revoke/", views.override_revoke, name="override-revoke"),
]
