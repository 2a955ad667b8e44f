import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from crm_site.formatting import format_month
from crm_site.templatetags.crm_tags import select_options
from retailers.models import BusinessType, RetailerStatus, Tier

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


LIST_ROW = (
    '<tr><td><a href="{url}">{name}</a></td><td>{owner}</td><td class="font-monospace small">{license_no}</td>'
    "<td>{phone}</td><td>{business_type}</td><td>{service_area}</td><td>{tier}</td><td>{expires}</td>"
    '<td class="stars">{stars}</td><td><span class="badge text-bg-{badge}">{status}</span></td>'
    "<td>{last_order}</td></tr>"
)


@register.simple_tag
def retailer_list_rows(retailers, may_see_phones: bool) -> SafeString:
    """The retailer list's rows (a page of 50, from keyset_paginate with service_area selected).

    Written here rather than by a {% for %} in the template: the template engine's 50 rows × 11
    cells, with a get_…_display per choice (which builds and hashes a dict of lazy labels each
    time), were half of the list's server time (issue 16). Labels are translated once per page."""
    labels = {
        choices: {value: str(label) for value, label in choices.choices}
        for choices in (BusinessType, Tier, RetailerStatus)
    }
    marker = 2**31 - 1  # the detail URL of one id, split around it, gives every row's URL without a reverse
    url_start, url_end = reverse("retailers:retailer-detail", args=[marker]).split(str(marker))
    return mark_safe(  # noqa: S308 (every value is escaped or a label)
        "".join(
            LIST_ROW.format(
                url=f"{url_start}{retailer.pk}{url_end}",
                name=escape(retailer.name),
                owner=escape(retailer.owner_name),
                license_no=escape(retailer.license_no),
                phone=escape(masked_phone(retailer.phone, may_see_phones)),
                business_type=escape(labels[BusinessType].get(retailer.business_type, retailer.business_type)),
                service_area=escape(retailer.service_area.name),
                tier=escape(labels[Tier].get(retailer.tier) or "—"),
                expires=retailer.license_expires_on.isoformat(),
                stars=star_string(retailer.stars),
                badge="success" if retailer.status == RetailerStatus.ACTIVE else "warning",
                status=escape(labels[RetailerStatus].get(retailer.status, retailer.status)),
                last_order=retailer.last_order_on.isoformat() if retailer.last_order_on else "—",
            )
            for retailer in retailers
        )
    )


NUMBER_FILTERS = ("license_expires_within", "no_order_weeks")


def _filter_control(field, shown_choices) -> SafeString:
    if field.name == "q":
        return format_html(
            '<input type="search" name="q" id="id_q" value="{}" class="form-control form-control-sm" '
            'placeholder="{}" autocomplete="off">',
            field.value() or "",
            _("Name, owner, licence, phone or pinyin (e.g. wjbld)"),
        )
    if field.name in NUMBER_FILTERS:
        return format_html(
            '<input type="number" min="0" name="{}" id="{}" value="{}" class="form-control form-control-sm{}">{}',
            field.name,
            field.id_for_label,
            field.value() or "",
            " is-invalid" if field.errors else "",
            mark_safe("".join(format_html('<div class="invalid-feedback">{}</div>', error) for error in field.errors)),  # noqa: S308
        )
    if field.widget_type == "nullbooleanselect":
        value = field.value()
        return format_html(
            '<select name="{}" id="{}" class="form-select form-select-sm"><option value="">---------</option>'
            '<option value="true"{}>{}</option><option value="false"{}>{}</option></select>',
            field.name,
            field.id_for_label,
            " selected" if value in ("true", True) else "",
            _("Yes"),
            " selected" if value in ("false", False) else "",
            _("No"),
        )
    return format_html(
        '<select name="{}" id="{}" class="form-select form-select-sm">{}</select>',
        field.name,
        field.id_for_label,
        select_options(field, shown_choices),
    )


@register.simple_tag
def retailer_filter_fields(filterset) -> SafeString:
    """The retailer list's filters, a column each (label and control): the search box, the two
    day and week counts, yes/no drop-downs and choice drop-downs (narrowed by region, see
    retailers.filters.ChoicesByRegion). Written here rather than by a {% for %} over the form in
    the template: that loop was a third of the list's server time (issue 16)."""
    shown_choices = filterset.shown_choices()
    return mark_safe(  # noqa: S308 (format_html escapes every value)
        "".join(
            format_html(
                '<div class="{}"><label class="form-label small mb-0 text-truncate d-block" for="{}" title="{}">'
                "{}</label>{}</div>",
                "col-12 col-md-6 col-xl-3"
                if field.name == "q"
                else f"col-6 col-md-3 col-xl-{2 if field.name in NUMBER_FILTERS else 1}",
                field.id_for_label,
                field.label,
                field.label,
                _filter_control(field, shown_choices),
            )
            for field in filterset.form
        )
    )
