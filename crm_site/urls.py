from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from crm_site import views

admin.site.site_header = _("Retailer CRM administration")
admin.site.site_title = _("Retailer CRM")

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("exports/", views.export_jobs, name="export-jobs"),
    path("exports/start/", views.export_job_create, name="export-job-create"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export-job-download"),
    path("retailers/", include("retailers.urls")),
    path("grading/", include("grading.urls")),
    path("complaints/", include("complaints.urls")),
    path("visits/", include("visits.urls")),
    path("loyalty/", include("loyalty.urls")),
    path("analytics/", include("analytics.urls")),
    path("s/", include("visits.public_urls")),  # the public survey form (no log-in)
    path("admin/", admin.site.urls),
]
