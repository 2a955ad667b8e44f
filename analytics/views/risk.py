"""The compliance risk list (合规风险) and the review of a finding."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from analytics.forms import RiskFilterForm, RiskReviewForm
from analytics.risk import finding_explanation
from analytics.risk_selectors import risk_finding_in_scope, risk_findings_for, risk_findings_page
from analytics.risk_services import risk_finding_review
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required


@area_required("analytics")
@require_GET
def risk(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("analytics.view_risk"):
        raise PermissionDenied
    form = RiskFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    findings = risk_findings_for(user=user, rule=filters.get("rule", ""), reviewed=filters.get("reviewed", ""))
    page = risk_findings_page(findings, cursor=request.GET.get("after"))
    rows = [(finding, finding_explanation(finding.rule, finding.numbers)) for finding in page.rows]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "may_review": user.has_perm("analytics.review_risk"),
        "error_summary": form_errors_message(form) if form.errors else "",
    }
    template = "analytics/risk.html#results" if request.htmx else "analytics/risk.html"
    return render(request, template, context, status=400 if form.errors else 200)


@area_required("analytics")
@require_POST
def risk_review(request: HttpRequest) -> HttpResponse:
    """Mark a finding reviewed with a note; the list is shown again where it was."""
    if not request.user.has_perm("analytics.review_risk"):
        raise PermissionDenied
    form = RiskReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_message(form, with_details=True))
    else:
        finding = risk_finding_in_scope(user=request.user, pk=form.cleaned_data["finding"])
        if finding is None:
            raise Http404
        try:
            risk_finding_review(finding=finding, reviewed_by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The finding is marked reviewed."))
    back = QueryDict(request.POST.get("back", "")).urlencode()  # the list's filters and page, re-encoded
    return redirect(f"{reverse('analytics:risk')}?{back}" if back else reverse("analytics:risk"))
