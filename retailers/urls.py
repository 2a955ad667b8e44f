from django.urls import path

from retailers import views

app_name = "retailers"

urlpatterns = [
    path("", views.retailer_list, name="retailer-list"),
    path("create/", views.retailer_create_view, name="retailer-create"),
    path("export/", views.retailer_export, name="retailer-export"),
    path("duplicates/", views.retailer_duplicates, name="retailer-duplicates"),
    path("merge/", views.retailer_merge_view, name="retailer-merge"),
    path("<int:pk>/", views.retailer_detail, name="retailer-detail"),
    path("<int:pk>/update/", views.retailer_update_view, name="retailer-update"),
]
