from django.urls import path

from loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("", views.index, name="index"),
    path("retailers/<int:retailer_pk>/", views.retailer_points_panel, name="retailer-points"),
    path("retailers/<int:retailer_pk>/export/", views.retailer_points_export, name="retailer-points-export"),
    path("retailers/<int:retailer_pk>/redeem/", views.redemption_file_view, name="redemption-file"),
    path("retailers/<int:retailer_pk>/adjust/", views.adjust, name="adjust"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/create/", views.reward_edit, name="reward-create"),
    path("rewards/<int:pk>/update/", views.reward_edit, name="reward-update"),
    path("rules/", views.rules, name="rules"),
    path("rules/create/", views.rule_edit, name="rule-create"),
    path("rules/<int:pk>/update/", views.rule_edit, name="rule-update"),
    path("redemptions/", views.queue, name="queue"),
    path("redemptions/<int:pk>/", views.redemption_detail, name="redemption-detail"),
    path("redemptions/<int:pk>/move/", views.redemption_move, name="redemption-move"),
    path("overview/", views.overview, name="overview"),
    path("overview/export/", views.overview_export, name="overview-export"),
]
