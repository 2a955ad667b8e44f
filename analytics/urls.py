from django.urls import path

from crm_site.views import area_home

app_name = "analytics"

urlpatterns = [
    path("", area_home, {"area_key": "analytics"}, name="index"),
]
