"""The analytics dashboard (/analytics/) and the on-demand refresh."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analytics.forms import PeriodForm
from analytics.selectors import dashboard, dashboard_chart_data
from crm_site.navigation import area_required


@area_required("analytics")
def index(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    period = form.period()
    data = dashboard(user=request.user, period=period)
    context = {**data, "form": form, "period": period, "chart": dashboard_chart_data(data)}
    return render(request, "analytics/dashboard.html", context)


@require_POST
@area_required("analytics")
def refresh(request: HttpRequest) -> HttpResponse:
    """Admins: bring the summaries up to date now, in a worker (a full refresh)."""
    if not request.user.has_perm("analytics.refresh_analytics"):
        raise PermissionDenied
    from analytics.tasks import analytics_refresh_task

    transaction.on_commit(lambda: analytics_refresh_task.delay(full=True))
    messages.success(request, _("The figures are being refreshed; reload the page in a minute."))
    return redirect("analytics:index")
