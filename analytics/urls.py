from django.urls import path

from analytics.views import brands, churn, dashboard, measures

app_name = "analytics"

urlpatterns = [
    # the dashboard, churn risk, brand preference and the four measures
    path("", dashboard.index, name="index"),
    path("refresh/", dashboard.refresh, name="refresh"),
    path("churn/", churn.churn_list, name="churn"),
    path("churn/<int:pk>/plan-visit/", churn.plan_visit, name="churn-plan-visit"),
    path("brands/", brands.brand_preference, name="brands"),
    path("measures/", measures.measures, name="measures"),
]
