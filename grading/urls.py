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
    path("allocations/", views.allocation_list, name="allocation-list"),
    path("allocations/create/", views.allocation_create_view, name="allocation-create"),
    path("allocations/<int:pk>/", views.allocation_detail, name="allocation-detail"),
    path("allocations/<int:pk>/compute/", views.allocation_compute_view, name="allocation-compute"),
    path("allocations/<int:pk>/publish/", views.allocation_publish_view, name="allocation-publish"),
    path("allocations/<int:pk>/correct/", views.allocation_correct_view, name="allocation-correct"),
    path("allocations/<int:pk>/uptake/", views.allocation_uptake_view, name="allocation-uptake"),
    path("allocations/<int:pk>/export/", views.allocation_export, name="allocation-export"),
    path("allocations/<int:pk>/export.csv", views.allocation_export_csv, name="allocation-export-csv"),
    path("allocations/rules/", views.allocation_rules_list, name="allocation-rules"),
    path("allocations/rules/create/", views.allocation_rules_edit, name="allocation-rules-create"),
    path("allocations/rules/<int:pk>/", views.allocation_rules_edit, name="allocation-rules-edit"),
    path("allocations/retailers/<int:retailer_pk>/", views.allocation_retailer_panel, name="allocation-retailer-panel"),
]
