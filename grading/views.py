from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from crm_site.excel import Column, Sheet, xlsx_download
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from grading.forms import GradingPolicyForm, ServicePolicyFormSet, TierOverrideForm
from grading.models import GradingRun, Movement, RunStatus, ServicePolicy, TierOverride
from grading.selectors import (
    RunScope,
    grade_explanation,
    latest_run,
    live_overrides,
    policy_settings,
    retailer_grades,
    retailer_live_override,
    run_active,
    run_export_rows,
    run_movers,
    run_scope,
    runs_recent,
)
from grading.services import (
    GradingRunAlreadyActive,
    grading_policy_get,
    grading_policy_update,
    grading_run_start,
    service_policy_update,
    tier_override_create,
    tier_override_revoke,
)
from retailers.selectors import retailers_visible_to


def _run_context(request: HttpRequest, run: GradingRun | None, scope: RunScope) -> dict:
    """A run's summary in the user's scope: figures of their service areas, their shops' movers."""
    retailers = retailers_visible_to(request.user)
    return {
        "run": run,
        "figures": scope.figures(run) if run else None,
        "note": scope.note(run) if run else "",
        "moved_up": run_movers(run=run, retailers=retailers, movement=Movement.UP) if run else [],
        "moved_down": run_movers(run=run, retailers=retailers, movement=Movement.DOWN) if run else [],
    }


@area_required("grading")
def grading_index(request: HttpRequest) -> HttpResponse:
    """The latest run, the run going on (polled by htmx until it ends, then its result), the
    live overrides, the service policy and the run history."""
    scope = run_scope(user=request.user)
    runs = runs_recent()
    watched = _watched_run(request, runs)
    context = _run_context(request, latest_run(), scope)
    context.update(
        watched=watched,
        watched_figures=scope.figures(watched) if watched else None,
        watched_note=scope.note(watched) if watched else "",
        history=[(item, scope.figures(item), scope.note(item)) for item in runs],
        overrides=live_overrides(retailers=retailers_visible_to(request.user)),
        service_policies=ServicePolicy.objects.all(),
    )
    return render(request, "grading/index.html#live" if request.htmx else "grading/index.html", context)


def _watched_run(request: HttpRequest, runs: list[GradingRun]) -> GradingRun | None:
    """The run whose progress or result the page shows: the one the page is polling for
    (?watch=<pk>), else the run going on, else the newest run if it failed."""
    watch = request.GET.get("watch", "")
    if watch.isascii() and watch.isdigit() and int(watch) < 2**63:  # anything else a user types: as if not given
        return GradingRun.objects.filter(pk=int(watch)).first()
    active = run_active()
    if active:
        return active
    return runs[0] if runs and runs[0].status == RunStatus.FAILED else None


@area_required("grading")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(GradingRun, pk=pk)
    context = _run_context(request, run, run_scope(user=request.user))
    context["policy_sections"] = policy_settings(run.policy_snapshot)
    return render(request, "grading/run_detail.html", context)


@require_POST
@area_required("grading")
def run_start(request: HttpRequest) -> HttpResponse:
    try:
        run = grading_run_start(started_by=request.user)
    except GradingRunAlreadyActive as error:
        messages.warning(request, str(error))
        return redirect("grading:index")
    messages.success(request, _("Grading run #%(pk)s started.") % {"pk": run.pk})
    return redirect("grading:index")


GRADE_EXPORT_COLUMNS = [
    Column(_l("Licence number"), 16), Column(_l("Shop name"), 24), Column(_l("Region"), 12),
    Column(_l("Service area"), 12), Column(_l("Score"), 10, "number"), Column(_l("rank"), 10, "number"),
    Column(_l("Tier"), 10), Column(_l("tier by score"), 12), Column(_l("overridden"), 10),
    Column(_l("level (档位)"), 8, "number"), Column(_l("Stars"), 8, "number"), Column(_l("previous tier"), 10),
    Column(_l("movement"), 10), Column(_l("12-month amount (yuan)"), 14, "money"), Column(_l("Orders"), 10, "number"),
]  # fmt: skip


@area_required("grading")
def run_export(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(GradingRun, pk=pk)
    return xlsx_download(
        user=request.user,
        kind="grading-run",
        filename=f"grading-run-{run.pk}",
        sheets=[
            Sheet(
                _("Grades"),
                GRADE_EXPORT_COLUMNS,
                run_export_rows(run=run, retailers=retailers_visible_to(request.user)),
            )
        ],
        filters={"run": run.pk},
    )


@area_required("grading")
def overview_export(request: HttpRequest) -> HttpResponse:
    """The grading page in a workbook: run history, live overrides and the service policy."""
    scope = run_scope(user=request.user)
    runs = Sheet(
        _("Run history"),
        [Column("#", 8, "number"), Column(_("Graded as of"), 12, "date"), Column(_("Status"), 10),
         Column(_("Shops graded"), 10, "number"), Column(_("Key account"), 10, "number"),
         Column(_("Ordinary"), 10, "number"), Column(_("Special"), 10, "number"), Column(_("Moved up"), 10, "number"),
         Column(_("Moved down"), 10, "number"), Column(_("Message"), 50)],
        [(run.pk, run.as_of, run.get_status_display(), figures.graded, figures.key, figures.ordinary,
          figures.special, figures.up, figures.down, scope.note(run))
         for run in runs_recent(limit=500) for figures in [scope.figures(run)]],
    )  # fmt: skip
    overrides = Sheet(
        _("Live overrides"),
        [Column(_("Licence number"), 16), Column(_("Shop name"), 24), Column(_("Tier"), 10), Column(_("Reason"), 30),
         Column(_("expires on"), 12, "date"), Column(_("created by"), 10)],
        [(o.retailer.license_no, o.retailer.name, o.get_tier_display(), o.reason, o.expires_on, str(o.created_by))
         for o in live_overrides(retailers=retailers_visible_to(request.user))],
    )  # fmt: skip
    policies = Sheet(
        _("Service policy per tier"),
        [Column(_("Tier"), 10), Column(_("Visit every (days)"), 12, "number"),
         Column(_("Acknowledge (min)"), 12, "number"), Column(_("Resolve (h)"), 12, "number"),
         Column(_("Scarce priority"), 10, "number"), Column(_("Points ×"), 10, "number"),
         Column(_("Survey every (days)"), 12, "number")],
        [(p.get_tier_display(), p.visit_interval_days, p.complaint_response_minutes, p.complaint_resolution_hours,
          p.scarce_priority_weight, p.points_multiplier, p.survey_interval_days) for p in ServicePolicy.objects.all()],
    )  # fmt: skip
    return xlsx_download(
        user=request.user, kind="grading-overview", filename="grading", sheets=[runs, overrides, policies]
    )


def _admin_only(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@area_required("grading")
def policy_edit(request: HttpRequest) -> HttpResponse:
    _admin_only(request, "grading.change_gradingpolicy")
    policy = grading_policy_get()
    form = GradingPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            grading_policy_update(
                data={name: form.cleaned_data[name] for name in form.changed_data}, changed_by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Grading policy saved; it applies from the next run."))
            return redirect("grading:index")
    return render(request, "grading/policy_form.html", {"form": form, "history": policy.history.all()[:10]})


@area_required("grading")
def service_policy_edit(request: HttpRequest) -> HttpResponse:
    _admin_only(request, "grading.change_servicepolicy")
    formset = ServicePolicyFormSet(request.POST or None, queryset=ServicePolicy.objects.all())
    if request.method == "POST" and formset.is_valid():
        for form in formset:
            if form.changed_data:
                service_policy_update(
                    policy=form.instance,
                    data={name: form.cleaned_data[name] for name in form.changed_data},
                    changed_by=request.user,
                )
        messages.success(request, _("Service policy saved."))
        return redirect("grading:index")
    return render(request, "grading/service_policy_form.html", {"formset": formset})


@area_required("grading")
def retailer_panel(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    """The grading tab of a dossier (loaded by htmx): tier, breakdown, history, override."""
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    grades = retailer_grades(retailer=retailer)
    current = grades[0] if grades else None
    context = {
        "retailer": retailer,
        "grade": current,
        "explanation": grade_explanation(current, current.run.policy_snapshot) if current else [],
        "grades": grades,
        "override": retailer_live_override(retailer=retailer),
        "override_form": TierOverrideForm() if request.user.has_perm("grading.add_tieroverride") else None,
    }
    return render(request, "grading/retailer_panel.html", context)


@require_POST
@area_required("grading")
def override_create(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    form = TierOverrideForm(request.POST)
    if form.is_valid():
        try:
            tier_override_create(retailer=retailer, created_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Tier pinned: the shop is a %(tier)s from now on, and runs respect it.")
                % {"tier": retailer.get_tier_display()},
            )
    else:
        messages.error(request, form_errors_message(form, with_details=True))
    return redirect("retailers:retailer-detail", pk=retailer.pk)


@require_POST
@area_required("grading")
def override_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    override = get_object_or_404(TierOverride, pk=pk, retailer__in=retailers_visible_to(request.user))
    tier_override_revoke(override=override, revoked_by=request.user)
    messages.success(request, _("Override revoked: the shop is back at the tier its score gave."))
    return redirect("retailers:retailer-detail", pk=override.retailer_id)
