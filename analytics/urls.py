from django.urls import path

from analytics.views import brands, churn, dashboard, forecast, measures, risk

app_name = "analytics"

urlpatterns = [
    # the dashboard, churn risk, brand preference and the four measures
    path("", dashboard.index, name="index"),
    path("refresh/", dashboard.refresh, name="refresh"),
    path("churn/", churn.churn_list, name="churn"),
    path("churn/<int:pk>/plan-visit/", churn.plan_visit, name="churn-plan-visit"),
    path("brands/", brands.brand_preference, name="brands"),
    path("measures/", measures.measures, name="measures"),
    # Forecast and compliance risk
    path("forecast/", forecast.forecast, name="forecast"),
    path("risk/", risk.risk, name="risk"),
    path("risk/review/", risk.risk_review, name="risk-review"),
]
