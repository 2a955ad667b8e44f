"""The points pages: the area's start page, a shop's points tab, the reward catalogue, redemptions
and their queue, manual adjustments, the earn-rule and reward editors and the ledger overview."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.excel import Column, Sheet, xlsx_download
from crm_site.forms import form_errors_message
from crm_site.navigation import area_required
from loyalty.forms import AdjustForm, EarnRuleForm, RedemptionFileForm, RedemptionMoveForm, RewardForm
from loyalty.models import EarnRule, PointsAccount, RedemptionStatus, Reward
from loyalty.selectors import (
    points_expiring_shops,
    points_outstanding,
    points_outstanding_by_region,
    points_overview,
    points_statement_rows,
    points_tab,
    redemption_for_page,
    redemption_queue,
    rewards_offered,
)
from loyalty.services import (
    LoyaltyError,
    points_adjust,
    redemption_file,
    redemption_may_approve,
    redemption_set_status,
)
from retailers.selectors import retailers_visible_to


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _dossier_points(retailer_pk: int) -> str:
    return reverse("retailers:retailer-detail", args=[retailer_pk]) + "#tab-points"


@area_required("loyalty")
def index(request: HttpRequest) -> HttpResponse:
    """The area's start page: the points of the user's shops, those expiring soon, the pages the role may open."""
    retailers = retailers_visible_to(request.user)
    context = {
        "outstanding": points_outstanding(retailers=retailers),
        "expiring": points_expiring_shops(retailers=retailers),
    }
    return render(request, "loyalty/index.html", context)


@area_required("loyalty")
def retailer_points_panel(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    """The dossier's points tab (loaded by htmx): balance, expiring soon, the statement, the actions."""
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    tab = points_tab(retailer=retailer)
    rewards = rewards_offered(tier=retailer.tier) if request.user.has_perm("loyalty.add_redemption") else []
    context = {
        "tab": tab,
        "retailer": retailer,
        "file_form": RedemptionFileForm(rewards=rewards) if rewards else None,
        "rewards": rewards,
        "adjust_form": AdjustForm() if request.user.has_perm("loyalty.adjust_points") else None,
    }
    return render(request, "loyalty/retailer_points.html", context)


@area_required("loyalty")
def retailer_points_export(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    """The shop's whole statement in Excel (logged)."""
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    account = PointsAccount.objects.filter(retailer=retailer).first()
    columns = [
        Column(_("Date"), 12, "date"), Column(_("Kind"), 18, "text"), Column(_("Points"), 10, "number"),
        Column(_("Source"), 12, "number"), Column(_("Expires on"), 12, "date"), Column(_("Reason"), 30, "text"),
        Column(_("Written at"), 18, "datetime"),
    ]  # fmt: skip
    rows = points_statement_rows(account=account) if account else iter(())
    return xlsx_download(
        user=request.user,
        kind="points-statement",
        filename=f"points-{retailer.license_no}",
        sheets=[Sheet(_("Points statement"), columns, rows)],
        filters={"retailer": retailer.pk},
    )


@area_required("loyalty")
@require_POST
def redemption_file_view(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    _require(request, "loyalty.add_redemption")
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    form = RedemptionFileForm(request.POST, rewards=rewards_offered(tier=retailer.tier))
    if not form.is_valid():
        messages.error(request, form_errors_message(form, with_details=True))
        return redirect(_dossier_points(retailer.pk))
    try:
        redemption = redemption_file(retailer=retailer, reward=form.cleaned_data["reward"], user=request.user)
    except LoyaltyError as error:
        messages.error(request, str(error))
        return redirect(_dossier_points(retailer.pk))
    messages.success(request, _("Redemption filed: the points are held until a supervisor approves it."))
    return redirect("loyalty:redemption-detail", redemption.pk)


@area_required("loyalty")
def adjust(request: HttpRequest, retailer_pk: int) -> HttpResponse:
    """A manual adjustment with a reason (supervisors of the shop's region, admins)."""
    _require(request, "loyalty.adjust_points")
    retailer = get_object_or_404(retailers_visible_to(request.user), pk=retailer_pk)
    form = AdjustForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            points_adjust(retailer=retailer, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Points adjusted."))
            return redirect(_dossier_points(retailer.pk))
    return render(request, "loyalty/adjust.html", {"form": form, "retailer": retailer})


@area_required("loyalty")
def rewards(request: HttpRequest) -> HttpResponse:
    """The reward catalogue: what is offered today (admins also see the rest, to edit)."""
    today = timezone.localdate()
    offered = rewards_offered(today=today)
    may_edit = request.user.has_perm("loyalty.change_reward")
    others = Reward.objects.exclude(pk__in=offered.values("pk")) if may_edit else []
    return render(request, "loyalty/rewards.html", {"offered": offered, "others": others})


def _editor(request: HttpRequest, *, form_class, instance, permission: str, success: str, title: str):
    _require(request, permission)
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Saved."))
            return redirect(success)
        messages.error(request, form_errors_message(form))
    return render(request, "loyalty/edit.html", {"form": form, "title": title, "back": success})


@area_required("loyalty")
def reward_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = get_object_or_404(Reward, pk=pk) if pk else None
    return _editor(request, form_class=RewardForm, instance=instance, permission="loyalty.change_reward",
                   success="loyalty:rewards", title=_("Reward"))  # fmt: skip


@area_required("loyalty")
def rules(request: HttpRequest) -> HttpResponse:
    _require(request, "loyalty.change_earnrule")
    return render(request, "loyalty/rules.html", {"rules": EarnRule.objects.all()})


@area_required("loyalty")
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = get_object_or_404(EarnRule, pk=pk) if pk else None
    return _editor(request, form_class=EarnRuleForm, instance=instance, permission="loyalty.change_earnrule",
                   success="loyalty:rules", title=_("Earn rule"))  # fmt: skip


@area_required("loyalty")
def queue(request: HttpRequest) -> HttpResponse:
    """The redemption queue of the supervisor's region: filed ones to approve, approved ones to fulfil."""
    _require(request, "loyalty.approve_redemption")
    context = {
        "filed": redemption_queue(user=request.user, status=RedemptionStatus.FILED),
        "approved": redemption_queue(user=request.user, status=RedemptionStatus.APPROVED),
    }
    return render(request, "loyalty/queue.html", context)


@area_required("loyalty")
def redemption_detail(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = redemption_for_page(user=request.user, pk=pk)
    may_move = redemption_may_approve(redemption=redemption, user=request.user)
    context = {
        "redemption": redemption,
        "next_statuses": [RedemptionStatus(s) for s in redemption.PIPELINE[redemption.status]] if may_move else [],
    }
    return render(request, "loyalty/redemption_detail.html", context)


@area_required("loyalty")
@require_POST
def redemption_move(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "loyalty.approve_redemption")
    redemption = redemption_for_page(user=request.user, pk=pk)
    form = RedemptionMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_message(form, with_details=True))
        return redirect("loyalty:redemption-detail", redemption.pk)
    try:
        redemption_set_status(redemption=redemption, user=request.user, **form.cleaned_data)
    except LoyaltyError as error:
        messages.error(request, str(error))
    else:
        status = RedemptionStatus(form.cleaned_data["status"]).label
        messages.success(request, _("Redemption: %(status)s.") % {"status": status})
    return redirect("loyalty:redemption-detail", redemption.pk)


def _overview_since() -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - 1, day=1)


@area_required("loyalty")
def overview(request: HttpRequest) -> HttpResponse:
    """Points issued, redeemed and expired per month and region for the last 12 months, and the liability."""
    _require(request, "loyalty.view_points_overview")
    liability = points_outstanding_by_region()
    context = {
        "rows": points_overview(since=_overview_since()),
        "liability": liability,
        "liability_total": sum(total for _region, total in liability),
    }
    return render(request, "loyalty/overview.html", context)


@area_required("loyalty")
def overview_export(request: HttpRequest) -> HttpResponse:
    _require(request, "loyalty.view_points_overview")
    month = [Column(_("Month"), 10, "text"), Column(_("Region"), 14, "text")]
    figures = [Column(label, 12, "number") for label in (_("Issued"), _("Redeemed"), _("Expired"), _("Net"))]
    rows = [(row.month.strftime("%Y-%m"), row.region, row.issued, row.redeemed, row.expired, row.net)
            for row in points_overview(since=_overview_since())]  # fmt: skip
    liability = [Column(_("Region"), 14, "text"), Column(_("Points outstanding"), 14, "number")]
    return xlsx_download(
        user=request.user,
        kind="points-overview",
        filename="points-overview",
        sheets=[
            Sheet(_("Points per month"), [*month, *figures], rows),
            Sheet(_("Liability"), liability, points_outstanding_by_region()),
        ],
    )
