from django.urls import path

from retailers import views

app_name = "retailers"

urlpatterns = [
    path("", views.retailer_list, name="retailer-list"),
    path("create/", views.retailer_create_view, name="retailer-create"),
    path("export/", views.retailer_export, name="retailer-export"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/export/", views.order_export, name="order-export"),
    path("duplicates/", views.retailer_duplicates, name="retailer-duplicates"),
    path("merge/", views.retailer_merge_view, name="retailer-merge"),
    path("duplicates/distinct/", views.retailer_distinct_view, name="retailer-distinct"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/template/<slug:kind>/", views.import_template, name="import-template"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import-confirm"),
    path("imports/<int:pk>/errors/", views.import_error_report, name="import-errors"),
    path("<int:pk>/", views.retailer_detail, name="retailer-detail"),
    path("<int:pk>/update/", views.retailer_update_view, name="retailer-update"),
]
