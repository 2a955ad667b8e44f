from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.excel import xlsx_download
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from crm_site.pagination import keyset_paginate
from crm_site.roles import may_see_full_phones
from retailers.dossier import dossier_tabs_for
from retailers.exports import DIRECT_EXPORT_LIMIT, export_params, order_export_sheets, retailer_export_sheets
from retailers.filters import SORTS, order_filter_for, retailer_filter_for
from retailers.forms import RetailerForm, RetailerMergeForm, RetailerPairForm
from retailers.import_jobs import (
    import_error_report_file,
    import_job_confirm,
    import_job_create,
    import_job_message,
    import_job_preview,
    import_template_file,
)
from retailers.imports import IMPORT_KINDS
from retailers.models import ImportJob, Product
from retailers.selectors import (
    retailer_compliance_records,
    retailer_duplicate_pairs,
    retailer_purchase_summary,
    retailer_recent_orders,
    retailers_visible_to,
)
from retailers.services import (
    retailer_create,
    retailer_editable_fields,
    retailer_merge,
    retailer_pair_mark_distinct,
    retailer_update,
)
from retailers.timeline import retailer_timeline

PAGE_SIZE = 50
# What the list's rows show (retailer_list_rows), and all a page of it reads: a whole dossier of
# 45 columns and its account manager, built as objects 51 times, was a tenth of the page's time.
LIST_COLUMNS = (
    "name", "owner_name", "license_no", "phone", "business_type", "service_area__name", "tier",
    "license_expires_on", "stars", "status", "last_order_on",
)  # fmt: skip


@area_required("retailers")
def retailer_list(request: HttpRequest) -> HttpResponse:
    retailer_filter = retailer_filter_for(user=request.user, params=request.GET)
    sort = request.GET.get("sort", "name")
    if sort.removeprefix("-") not in SORTS:
        sort = "name"
    shown = retailer_filter.qs.select_related(None).select_related("service_area").only(*LIST_COLUMNS)
    page = keyset_paginate(shown, order_by=sort, cursor=request.GET.get("after"), size=PAGE_SIZE)
    context = {
        "filter": retailer_filter,
        "page": page,
        "sort": sort,
        "may_see_phones": may_see_full_phones(request.user),
        "may_create": request.user.has_perm("retailers.add_retailer"),
        "may_export": request.user.has_perm("retailers.export_retailers"),
    }
    template = "retailers/retailer_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


@area_required("retailers")
def retailer_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered on screen, with the dossier fields the user may see (logged)."""
    if not request.user.has_perm("retailers.export_retailers"):
        raise PermissionDenied
    params = export_params(request.GET)
    filename, sheets = retailer_export_sheets(request.user, params)
    return xlsx_download(user=request.user, kind="retailers", filename=filename, sheets=sheets, filters=params)


def _may_view_orders(request: HttpRequest) -> None:
    if not request.user.has_perm("retailers.view_order"):
        raise PermissionDenied


@area_required("retailers")
def order_list(request: HttpRequest) -> HttpResponse:
    """The orders of the shops the user may see, newest first (keyset-paged on ordered_on, id)."""
    _may_view_orders(request)
    order_filter = order_filter_for(user=request.user, params=request.GET)
    page = keyset_paginate(order_filter.qs, order_by="-ordered_on", cursor=request.GET.get("after"), size=PAGE_SIZE)
    context = {
        "filter": order_filter,
        "page": page,
        "may_export": request.user.has_perm("retailers.export_retailers"),
        "direct_export": page.count_is_exact and page.count <= DIRECT_EXPORT_LIMIT,
    }
    template = "retailers/order_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


@area_required("retailers")
def order_export(request: HttpRequest) -> HttpResponse:
    """The order list as filtered on screen (logged). A list longer than a direct download may
    be (orders run to millions) is sent back to the page, which offers the background export."""
    _may_view_orders(request)
    if not request.user.has_perm("retailers.export_retailers"):
        raise PermissionDenied
    params = export_params(request.GET)
    orders = order_filter_for(user=request.user, params=params).qs
    if orders.order_by()[: DIRECT_EXPORT_LIMIT + 1].count() > DIRECT_EXPORT_LIMIT:
        messages.warning(request, _("This list is too long to download directly: export it in the background."))
        return redirect(f"{reverse('retailers:order-list')}?{urlencode(params)}")
    filename, sheets = order_export_sheets(request.user, params)
    return xlsx_download(user=request.user, kind="orders", filename=filename, sheets=sheets, filters=params)


def _visible_retailer_or_404(request: HttpRequest, pk: int):
    """Another user's shop by URL is a 404: its existence is not revealed."""
    return get_object_or_404(
        retailers_visible_to(request.user).select_related("service_area__region", "account_manager"), pk=pk
    )


@area_required("retailers")
def retailer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    retailer = _visible_retailer_or_404(request, pk)
    context = {
        "retailer": retailer,
        "purchases": retailer_purchase_summary(retailer=retailer),
        "recent_orders": retailer_recent_orders(retailer=retailer),
        "compliance_records": retailer_compliance_records(retailer=retailer),
        "timeline": retailer_timeline(retailer=retailer),
        "may_see_phones": may_see_full_phones(request.user),
        "may_edit": bool(retailer_editable_fields(user=request.user)),
        "extra_tabs": dossier_tabs_for(request.user),
    }
    return render(request, "retailers/retailer_detail.html", context)


def _area_choice(request: HttpRequest) -> dict:
    """The area picked in the form, sent by htmx to refresh the account-manager choices."""
    return {"service_area": request.GET["service_area"]} if request.GET.get("service_area") else {}


@area_required("retailers")
def retailer_create_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("retailers.add_retailer"):
        raise PermissionDenied
    form = RetailerForm(request.POST or None, initial=_area_choice(request), user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                retailer = retailer_create(data=form.cleaned_data, created_by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Dossier created."))
                return redirect("retailers:retailer-detail", pk=retailer.pk)
        messages.error(request, form_errors_message(form))
    return render(request, "retailers/retailer_form.html", {"form": form, "retailer": None})


@area_required("retailers")
def retailer_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    retailer = _visible_retailer_or_404(request, pk)
    if not retailer_editable_fields(user=request.user):
        raise PermissionDenied
    form = RetailerForm(request.POST or None, instance=retailer, initial=_area_choice(request), user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                retailer_update(retailer=retailer, data=form.changed_data_dict(), changed_by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Dossier saved."))
                return redirect("retailers:retailer-detail", pk=retailer.pk)
        messages.error(request, form_errors_message(form))
    return render(request, "retailers/retailer_form.html", {"form": form, "retailer": retailer})


def _may_merge(request: HttpRequest) -> None:
    if not request.user.has_perm("retailers.merge_retailers"):
        raise PermissionDenied


@area_required("retailers")
def retailer_duplicates(request: HttpRequest) -> HttpResponse:
    _may_merge(request)
    page = retailer_duplicate_pairs(retailers=retailers_visible_to(request.user), after=request.GET.get("after"))
    return render(
        request,
        "retailers/retailer_duplicates.html",
        {"page": page, "may_see_phones": may_see_full_phones(request.user)},
    )


@require_POST
@area_required("retailers")
def retailer_distinct_view(request: HttpRequest) -> HttpResponse:
    """ "Not a duplicate": the pair is remembered and the page comes back where it was."""
    _may_merge(request)
    form = RetailerPairForm(request.POST, retailers=retailers_visible_to(request.user))
    if form.is_valid():
        try:
            retailer_pair_mark_distinct(
                first=form.cleaned_data["first"], second=form.cleaned_data["second"], decided_by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Marked as two different shops: this pair will not be offered again."))
    else:
        messages.error(request, form_errors_message(form))
    after = request.POST.get("after", "")
    return redirect(reverse("retailers:retailer-duplicates") + (f"?{urlencode({'after': after})}" if after else ""))


@require_POST
@area_required("retailers")
def retailer_merge_view(request: HttpRequest) -> HttpResponse:
    _may_merge(request)
    form = RetailerMergeForm(request.POST, retailers=retailers_visible_to(request.user))
    if not form.is_valid():
        messages.error(request, form_errors_message(form))
        return redirect("retailers:retailer-duplicates")
    try:
        result = retailer_merge(
            survivor=form.cleaned_data["survivor"],
            duplicate=form.cleaned_data["duplicate"],
            merged_by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("retailers:retailer-duplicates")
    messages.success(
        request,
        _("%(name)s was merged into this dossier; %(rows)s related rows moved.")
        % {"name": result.merge.merged_name, "rows": sum(result.moved.values())},
    )
    return redirect("retailers:retailer-detail", pk=result.merge.survivor_id)


def _may_import(request: HttpRequest) -> None:
    if not request.user.has_perm("retailers.import_master_data"):
        raise PermissionDenied


@area_required("retailers")
def import_list(request: HttpRequest) -> HttpResponse:
    _may_import(request)
    kind = request.POST.get("kind") or request.GET.get("kind") or ImportJob.Kind.RETAILERS
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file to upload."))
        else:
            try:
                job = import_job_create(upload=upload, kind=kind, user=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                return redirect("retailers:import-detail", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:30]
    context = {"jobs": jobs, "kinds": IMPORT_KINDS.values(), "chosen": kind}
    return render(request, "retailers/import_list.html", context)


@area_required("retailers")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_import(request)
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    shown = job.touched_ids[:100]
    if job.kind == ImportJob.Kind.PRODUCTS:
        touched_products, touched = Product.objects.filter(pk__in=shown).only("code", "name"), []
    else:
        touched_products = []
        touched = retailers_visible_to(request.user).filter(pk__in=shown).only("pk", "name", "license_no")
    template = "retailers/import_detail.html#status" if request.htmx else "retailers/import_detail.html"
    context = {
        "job": job,
        "message": import_job_message(job),
        "modes": ImportJob.Mode.choices,
        "touched": touched,
        "touched_products": touched_products,
        "preview": import_job_preview(job),
    }
    return render(request, template, context)


@require_POST
@area_required("retailers")
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _may_import(request)
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        import_job_confirm(job=job, mode=request.POST.get("mode", ""), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("retailers:import-detail", pk=pk)


@area_required("retailers")
def import_error_report(request: HttpRequest, pk: int) -> FileResponse:
    _may_import(request)
    job = get_object_or_404(ImportJob, pk=pk)
    name = f"errors-{Path(job.original_name).stem}.xlsx"
    if job.error_rows:
        return FileResponse(import_error_report_file(job), as_attachment=True, filename=name)
    if job.error_report:  # checked before the errors were kept as codes: the report written then
        return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=name)
    raise Http404


@area_required("retailers")
def import_template(request: HttpRequest, kind: str) -> FileResponse:
    _may_import(request)
    if kind not in IMPORT_KINDS:
        raise Http404
    return FileResponse(
        import_template_file(IMPORT_KINDS[kind], request.user), as_attachment=True, filename=f"{kind}-template.xlsx"
    )
