from django.urls import path

from retailers import views

app_name = "retailers"

urlpatterns = [
    path("", views.retailer_list, name="retailer-list"),
    path("<int:pk>/", views.retailer_detail, name="retailer-detail"),
]
