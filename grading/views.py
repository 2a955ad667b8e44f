import csv
import datetime
import itertools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from crm_site.excel import Column, Sheet, xlsx_download
from crm_site.forms import form_errors_message
from crm_site.models import ExportLog
from crm_site.navigation import area_required
from crm_site.pagination import keyset_paginate
from grading.forms import (
    AllocationCorrectForm,
    AllocationCreateForm,
    AllocationLineSearchForm,
    AllocationRuleSetForm,
    AllocationUpdateForm,
    GradingPolicyForm,
    ServicePolicyFormSet,
    TierOverrideForm,
)
from grading.models import (
    Allocation,
    AllocationRuleSet,
    AllocationStatus,
    GradingRun,
    Movement,
    RunStatus,
    ServicePolicy,
    TierOverride,
)
from grading.selectors import (
    RunScope,
    allocation_changes,
    allocation_chart_data,
    allocation_export_rows,
    allocation_lines_filtered,
    allocation_lines_visible,
    allocation_period_code,
    allocation_rule_sets,
    allocation_rules_summary,
    allocation_totals,
    allocations_recent,
    allocations_visible_to,
    grade_explanation,
    latest_run,
    line_explanation,
    live_overrides,
    policy_settings,
    region_names,
    retailer_allocation_lines,
    retailer_grades,
    retailer_live_override,
    run_active,
    run_export_rows,
    run_movers,
    run_scope,
    runs_recent,
)
from grading.services import (
    AllocationFrozen,
    GradingRunAlreadyActive,
    allocation_correct,
    allocation_create,
    allocation_publish,
    allocation_rule_set_save,
    allocation_rules_snapshot,
    allocation_update,
    allocation_uptake_refresh,
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


# ---------------------------------------------------------------------------------------------
# Scarce-supply allocation (货源投放): /grading/allocations/…

LINES_PAGE_SIZE = 50


def _need(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _allocation_or_404(request: HttpRequest, pk: int) -> Allocation:
    """An allocation the user may open (managers: published ones only)."""
    _need(request, "grading.view_allocation")
    return get_object_or_404(allocations_visible_to(request.user), pk=pk)


@area_required("grading")
def allocation_list(request: HttpRequest) -> HttpResponse:
    _need(request, "grading.view_allocation")
    return render(request, "grading/allocation_list.html", {"allocations": allocations_recent(user=request.user)})


@area_required("grading")
def allocation_create_view(request: HttpRequest) -> HttpResponse:
    _need(request, "grading.add_allocation")
    today = timezone.localdate()
    initial = {"period_start": today + datetime.timedelta(days=7 - today.weekday()), "rule_set": _default_rule_set()}
    form = AllocationCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            allocation = allocation_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Draft computed: check the preview, recompute as often as needed, then publish.")
            )
            return redirect("grading:allocation-detail", pk=allocation.pk)
    return render(request, "grading/allocation_form.html", {"form": form})


def _default_rule_set() -> AllocationRuleSet | None:
    return AllocationRuleSet.objects.order_by("pk").first()


@area_required("grading")
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The allocation: its rules, totals per 档位 (with the chart), region and tier, the shops whose
    amount changed since the previous draft, and the per-shop table (search, keyset pages)."""
    allocation = _allocation_or_404(request, pk)
    search = AllocationLineSearchForm(request.GET)
    query = search.cleaned_data if search.is_valid() else {"q": "", "only": ""}
    lines = allocation_lines_filtered(allocation=allocation, user=request.user, search=query["q"], only=query["only"])
    page = keyset_paginate(lines, order_by="license_no", cursor=request.GET.get("after"), size=LINES_PAGE_SIZE)
    regions = region_names()
    context = {
        "allocation": allocation,
        "page": page,
        "rows": [(line, line_explanation(line, allocation, regions)) for line in page.rows],
        "search": search,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "grading/allocation_detail.html#results", context)
    totals = allocation_totals(allocation=allocation, user=request.user)
    may_change = allocation.is_draft and request.user.has_perm("grading.change_allocation")
    changed = allocation_lines_filtered(allocation=allocation, user=request.user, only="changed")
    context.update(
        totals=totals,
        chart=allocation_chart_data(totals),
        rules=allocation_rules_summary(allocation.rules_snapshot, regions),
        changes=allocation_changes(allocation),
        changed_lines=list(changed.order_by("license_no")[:20]) if allocation.totals.get("compared") else [],
        update_form=AllocationUpdateForm(instance=allocation) if may_change else None,
        may_publish=allocation.is_draft and request.user.has_perm("grading.publish_allocation"),
        correct_form=(
            AllocationCorrectForm(initial={"cartons": allocation.cartons, "rule_set": allocation.rule_set})
            if allocation.status == AllocationStatus.PUBLISHED and request.user.has_perm("grading.add_allocation")
            else None
        ),
        may_read_uptake=allocation.is_frozen and request.user.has_perm("grading.change_allocation"),
        versions=list(
            Allocation.objects.filter(product=allocation.product, period_start=allocation.period_start)
            .order_by("version")
            .values("pk", "version", "status")
        ),
    )
    return render(request, "grading/allocation_detail.html", context)


@require_POST
@area_required("grading")
def allocation_compute_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Recompute a draft (with the cartons and rule set of the form)."""
    _need(request, "grading.change_allocation")
    allocation = _allocation_or_404(request, pk)
    form = AllocationUpdateForm(request.POST, instance=Allocation.objects.get(pk=allocation.pk))
    if not form.is_valid():
        messages.error(request, form_errors_message(form, with_details=True))
        return redirect("grading:allocation-detail", pk=allocation.pk)
    try:
        allocation_update(
            allocation=allocation,
            cartons=form.cleaned_data["cartons"],
            rule_set=form.cleaned_data["rule_set"],
            changed_by=request.user,
        )
    except (ValidationError, AllocationFrozen) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Draft recomputed."))
    return redirect("grading:allocation-detail", pk=allocation.pk)


def _error_text(error: Exception) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


@require_POST
@area_required("grading")
def allocation_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "grading.publish_allocation")
    allocation = _allocation_or_404(request, pk)
    try:
        allocation_publish(allocation=allocation, published_by=request.user)
    except (ValidationError, AllocationFrozen) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("Published: the allocation is frozen and can be exported to the ordering platform.")
        )
    return redirect("grading:allocation-detail", pk=allocation.pk)


@require_POST
@area_required("grading")
def allocation_correct_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A correction of a published allocation: a new draft version."""
    _need(request, "grading.add_allocation")
    allocation = _allocation_or_404(request, pk)
    form = AllocationCorrectForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_message(form, with_details=True))
        return redirect("grading:allocation-detail", pk=allocation.pk)
    try:
        correction = allocation_correct(allocation=allocation, created_by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("grading:allocation-detail", pk=allocation.pk)
    messages.success(
        request,
        _("Version %(version)s drafted: publish it to replace the one in force.") % {"version": correction.version},
    )
    return redirect("grading:allocation-detail", pk=correction.pk)


@require_POST
@area_required("grading")
def allocation_uptake_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Read the uptake now (a daily job also does it for the periods just ended)."""
    _need(request, "grading.change_allocation")
    allocation = _allocation_or_404(request, pk)
    try:
        allocation_uptake_refresh(allocation=allocation)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Uptake read from the orders of the period."))
    return redirect("grading:allocation-detail", pk=allocation.pk)


# What the ordering platform reads (gettext_lazy by its name: makemessages does not know the _l alias).
EXPORT_COLUMNS = [
    Column(gettext_lazy("Licence number"), 16), Column(gettext_lazy("Product code"), 14),
    Column(gettext_lazy("Period"), 10), Column(gettext_lazy("Cartons"), 10, "number"),
]  # fmt: skip


def _export_name(allocation: Allocation) -> str:
    return f"allocation-{allocation.product.code}-{allocation_period_code(allocation)}-v{allocation.version}"


@area_required("grading")
def allocation_export(request: HttpRequest, pk: int) -> HttpResponse:
    """For the ordering platform: licence number, product code, period, cartons (Excel)."""
    allocation = _allocation_or_404(request, pk)
    return xlsx_download(
        user=request.user,
        kind="allocation",
        filename=_export_name(allocation),
        sheets=[
            Sheet(_("Allocation"), EXPORT_COLUMNS, allocation_export_rows(allocation=allocation, user=request.user))
        ],
        filters={"allocation": allocation.pk, "version": allocation.version},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@area_required("grading")
def allocation_export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The same rows as CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese headers)."""
    allocation = _allocation_or_404(request, pk)
    lines = allocation_lines_visible(allocation=allocation, user=request.user).filter(cartons__gt=0)
    ExportLog.objects.create(
        user=request.user,
        kind="allocation-csv",
        filters={"allocation": allocation.pk, "version": allocation.version},
        row_count=lines.count(),
    )
    writer = csv.writer(_Echo())
    header = [str(column.header) for column in EXPORT_COLUMNS]
    rows = allocation_export_rows(allocation=allocation, user=request.user)
    stream = itertools.chain(["\ufeff" + writer.writerow(header)], (writer.writerow(row) for row in rows))
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(allocation)}.csv"'
    return response


@area_required("grading")
def allocation_rules_list(request: HttpRequest) -> HttpResponse:
    _need(request, "grading.view_allocationruleset")
    regions = region_names()
    rule_sets = [
        (rule_set, allocation_rules_summary(allocation_rules_snapshot(rule_set=rule_set), regions))
        for rule_set in allocation_rule_sets()
    ]
    return render(request, "grading/allocation_rules_list.html", {"rule_sets": rule_sets})


@area_required("grading")
def allocation_rules_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The rule editor: create a rule set, or edit one (drafts use it when next computed;
    published allocations keep the rules they were made by)."""
    rule_set = get_object_or_404(AllocationRuleSet, pk=pk) if pk is not None else None
    _need(request, "grading.change_allocationruleset" if rule_set else "grading.add_allocationruleset")
    form = AllocationRuleSetForm(request.POST or None, instance=rule_set)
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "regions"}
        try:
            saved = allocation_rule_set_save(
                rule_set=rule_set, data=data, regions=form.cleaned_data["regions"], saved_by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Rule set “%(name)s” saved.") % {"name": saved.name})
            return redirect("grading:allocation-rules")
    return render(request, "grading/allocation_rules_form.html", {"form": form, "rule_set": rule_set})


@area_required("grading")
def allocation_retailer_panel(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    """The dossier's allocations tab (loaded by htmx): the shop's published allocations, each
    with the explanation of its number."""
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    regions = region_names()
    lines = retailer_allocation_lines(retailer=retailer) if request.user.has_perm("grading.view_allocation") else []
    rows = [(line, line_explanation(line, line.allocation, regions)) for line in lines]
    return render(request, "grading/allocation_retailer_panel.html", {"retailer": retailer, "rows": rows})
