from django.urls import path

from crm_site.views import area_home

app_name = "visits"

urlpatterns = [
    path("", area_home, {"area_key": "visits"}, name="index"),
]
