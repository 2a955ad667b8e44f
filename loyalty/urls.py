from django.urls import path

from crm_site.views import area_home

app_name = "loyalty"

urlpatterns = [
    path("", area_home, {"area_key": "loyalty"}, name="index"),
]
