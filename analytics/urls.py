from django.urls import path

from analytics.views import forecast, risk
from crm_site.views import area_home

app_name = "analytics"

urlpatterns = [
    path("", area_home, {"area_key": "analytics"}, name="index"),
    # Forecast and compliance risk
    path("forecast/", forecast.forecast, name="forecast"),
    path("risk/", risk.risk, name="risk"),
    path("risk/review/", risk.risk_review, name="risk-review"),
]
