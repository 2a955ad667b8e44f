"""The four roles of the CRM, as Django groups, and the permissions each one holds.

Groups are created by a data migration that calls `sync_role_groups`; a later migration that
adds permissions calls it again, so this table is the single source of truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.apps.registry import Apps


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    COMPLAINT_CLERK = "complaint_clerk", _("Complaint clerk")


# Apps whose every permission the admin role holds.
ADMIN_APPS = (
    "crm_site",
    "retailers",
    "grading",
    "complaints",
    "visits",
    "loyalty",
    "analytics",
    "auth",
    "django_celery_beat",
    "axes",  # log-in attempts: admins unlock a locked-out user
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.SUPERVISOR: (
        "retailers.view_region_retailers",
        "retailers.view_retailer",
        "retailers.add_retailer",
        "retailers.change_retailer",
        "retailers.change_retailer_structure",
        "retailers.merge_retailers",
        "retailers.change_retailer_personal_card",
        "retailers.export_retailers",
        "retailers.view_retailer_phone",
        "retailers.view_product",
        "retailers.view_order",
        "retailers.view_compliancerecord",
        "grading.view_gradingrun",
        "grading.view_retailergrade",
        "grading.view_gradingpolicy",
        "grading.view_servicepolicy",
        "grading.view_tieroverride",
        "grading.add_tieroverride",
        "grading.change_tieroverride",
        "grading.view_allocation",
        "grading.add_allocation",
        "grading.change_allocation",
        "grading.publish_allocation",
        "grading.view_allocationruleset",
        "grading.add_allocationruleset",
        "grading.change_allocationruleset",
        "complaints.view_ticket",
        "complaints.add_ticket",
        "complaints.work_ticket",
        "complaints.reopen_ticket",
        "complaints.view_ticket_report",
        "visits.export_visit_route",
        "visits.view_campaign",
        "visits.add_campaign",
        # There is no 专卖 (monopoly enforcement) role: supervisors (and admins) read the risk list.
        "analytics.view_forecast",
        "analytics.view_risk",
        "analytics.review_risk",
        "analytics.export_analytics",
        "loyalty.view_pointsaccount",
        "loyalty.view_reward",
        "loyalty.add_redemption",
        "loyalty.approve_redemption",
        "loyalty.adjust_points",
    ),
    Role.SALES_MANAGER: (
        "retailers.view_retailer",
        "retailers.change_retailer_personal_card",
        "retailers.view_retailer_phone",
        "retailers.view_product",
        "retailers.view_order",
        "retailers.view_compliancerecord",
        "grading.view_gradingrun",
        "grading.view_retailergrade",
        "grading.view_servicepolicy",
        "grading.view_allocation",
        "complaints.view_ticket",
        "complaints.add_ticket",
        "visits.export_visit_route",
        "analytics.view_forecast",
        "analytics.export_analytics",
        "loyalty.view_pointsaccount",
        "loyalty.view_reward",
        "loyalty.add_redemption",
    ),
    Role.COMPLAINT_CLERK: (
        "retailers.view_all_retailers",
        "retailers.view_retailer",
        "retailers.view_retailer_phone",
        "retailers.view_product",
        "retailers.view_order",
        "complaints.view_ticket",
        "complaints.add_ticket",
        "complaints.work_ticket",
        "complaints.reopen_ticket",
        "complaints.view_ticket_report",
        "complaints.view_standardanswer",
    ),
}


# Who reads a shop's phone numbers in full. Every role does, for the shops of its scope: managers
# and supervisors call their shops, clerks call complainants back, admins load the rosters. A
# user without the permission (a role-less account given only view rights) sees 138****5678
# everywhere: lists, dossiers, duplicates, exports, the edit form's initial values, and cannot
# search by phone (a prefix search would read a number digit by digit).
PHONE_PERMISSION = "retailers.view_retailer_phone"


def may_see_full_phones(user) -> bool:
    """The one test behind every page, form, export and search that shows or matches phones."""
    return user.has_perm(PHONE_PERMISSION)


def sync_role_groups(apps: Apps) -> None:
    """Create the role groups and give each exactly the permissions in the table above."""
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    admin_group, _created = Group.objects.get_or_create(name=Role.ADMIN)
    admin_group.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))

    for role, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = [code.split(".", 1) for code in codes]
        permissions = []
        for app_label, codename in wanted:
            # A permission whose model a later migration creates is not there yet when an early
            # migration syncs: that later migration syncs again (grading's 0008 for allocations).
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)


def user_roles(user) -> list[Role]:
    """The roles a user holds, in the order of Role (superusers count as admins); cached on the
    user object for the request, like Django's own permission cache."""
    if not user.is_authenticated:
        return []
    if not hasattr(user, "_crm_roles"):
        names = {group.name for group in user.groups.all()}
        if user.is_superuser:
            names.add(Role.ADMIN)
        user._crm_roles = [role for role in Role if role in names]
    return user._crm_roles
