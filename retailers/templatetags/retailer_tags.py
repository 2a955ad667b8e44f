import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.formatting import format_month

LICENSE_WARNING_DAYS = 60

register = template.Library()


@register.filter
def masked_phone(phone: str, may_see: bool) -> str:
    """138****5678 for roles that may not see full numbers."""
    if may_see or not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


@register.filter
def star_string(stars: int | None) -> str:
    return "★" * stars + "☆" * (5 - stars) if stars else ""


@register.filter
def license_state(retailer) -> str:
    """ "expired", "expiring" (within LICENSE_WARNING_DAYS) or "" for the dossier's warnings."""
    today = timezone.localdate()
    if retailer.license_expires_on < today:
        return "expired"
    if retailer.license_expires_on <= today + datetime.timedelta(days=LICENSE_WARNING_DAYS):
        return "expiring"
    return ""


@register.filter
def monthly_chart_data(monthly: list[dict]) -> dict:
    """The dossier chart's data: one bar per month, labelled 2026-03 / 2026年3月."""
    return {
        "labels": [format_month(row["month"]) for row in monthly],
        "amounts": [float(row["amount"]) for row in monthly],
        "cartons": [row["cartons"] for row in monthly],
        "amount_label": str(_("Amount (yuan)")),
        "cartons_label": str(_("Cartons")),
    }
