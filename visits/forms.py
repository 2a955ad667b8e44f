"""Visit forms."""

from __future__ import annotations

import datetime

from dateutil.relativedelta import relativedelta
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from retailers.models import BusinessType, MarketType, Tier
from visits.models import MissReason, VisitChannel, VisitKind

# ---------------------------------------------------------------------------------------------
# The visit log: logging a planned or an unplanned visit, moving a missed one, the KPI period.
# ---------------------------------------------------------------------------------------------

YES_NO_UNCHECKED = [("", pgettext_lazy("not checked", "Not checked")), ("yes", _("Yes")), ("no", _("No"))]
STOCK_CHOICES = [
    ("", pgettext_lazy("stock not checked", "Not checked")),
    ("in", _("In stock")),
    ("out", _("Out of stock")),
]
MAX_CARTONS = 999


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class VisitLogForm(forms.Form):
    """What a manager records of a visit; the stock of the shop's top products is added per product."""

    channel = forms.ChoiceField(
        label=_("channel"),
        choices=VisitChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Channel: say how the shop was contacted.")},
    )
    purpose = forms.CharField(label=_("purpose"), max_length=200, required=False)
    price_display_ok = forms.TypedChoiceField(
        label=_("prices displayed correctly"),
        choices=YES_NO_UNCHECKED,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    license_displayed = forms.TypedChoiceField(
        label=_("licence on the wall"),
        choices=YES_NO_UNCHECKED,
        coerce=_yes_no,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    needs = forms.CharField(
        label=_("the shop's needs"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    feedback = forms.CharField(
        label=_("the shop's feedback"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    satisfaction = forms.TypedChoiceField(
        label=_("satisfaction (1–5)"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    checked_in_at = forms.TimeField(
        label=_("arrived at (today)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Arrived at: enter a time such as 09:30.")},
    )
    photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    next_visit_on = forms.DateField(
        label=_("next visit on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Next visit on: enter a date such as 2026-09-30.")},
    )
    open_ticket = forms.BooleanField(label=_("Open a complaint ticket from this visit"), required=False)
    ticket_category = forms.ChoiceField(label=_("complaint category"), choices=(), required=False)
    ticket_description = forms.CharField(
        label=_("complaint description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, products=(), checked_in: bool = False, **kwargs) -> None:
        from complaints.models import Category

        super().__init__(*args, **kwargs)
        self.products = list(products)
        self.fields["ticket_category"].choices = [("", "—"), *Category.choices]
        if checked_in:
            del self.fields["checked_in_at"]
        for product in self.products:
            self.fields[f"stock_{product.pk}"] = forms.ChoiceField(
                label=str(product), choices=STOCK_CHOICES, required=False, widget=forms.RadioSelect
            )
            self.fields[f"cartons_{product.pk}"] = forms.IntegerField(
                label=_("%(product)s: cartons on the shelf") % {"product": product},
                required=False,
                min_value=0,
                max_value=MAX_CARTONS,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def stock_rows(self):
        """(product, stock field, cartons field) for the template."""
        return [(product, self[f"stock_{product.pk}"], self[f"cartons_{product.pk}"]) for product in self.products]

    def clean(self):
        data = super().clean()
        for product in self.products:
            stock, cartons = data.get(f"stock_{product.pk}"), data.get(f"cartons_{product.pk}")
            if cartons and stock != "in":
                self.add_error(
                    f"cartons_{product.pk}",
                    _("%(product)s: cartons are counted only for a product in stock.") % {"product": product},
                )
        if data.get("open_ticket"):
            if not data.get("ticket_category"):
                self.add_error("ticket_category", _("Complaint category: choose one to open a ticket."))
            if not (data.get("ticket_description") or "").strip():
                self.add_error("ticket_description", _("Complaint description: say what the shop complains about."))
        next_visit_on = data.get("next_visit_on")
        if next_visit_on and next_visit_on < timezone.localdate():
            self.add_error("next_visit_on", _("Next visit on: the date is in the past."))
        return data

    def log_arguments(self) -> dict:
        """The cleaned form as the keyword arguments of visit_log / visit_log_unplanned."""
        data = self.cleaned_data
        log = {field: data[field] for field in ("channel", "purpose", "price_display_ok", "license_displayed",
                                                "needs", "feedback", "satisfaction")}  # fmt: skip
        if data.get("checked_in_at"):
            log["checked_in_at"] = timezone.make_aware(
                datetime.datetime.combine(timezone.localdate(), data["checked_in_at"])
            )
        stock_checks = []
        for product in self.products:
            stock = data.get(f"stock_{product.pk}")
            if stock:
                stock_checks.append(
                    {"product": product, "in_stock": stock == "in", "cartons": data.get(f"cartons_{product.pk}")}
                )
        ticket = None
        if data.get("open_ticket"):
            ticket = {"category": data["ticket_category"], "description": data["ticket_description"].strip()}
        return {
            "data": log,
            "stock_checks": stock_checks,
            "photo": data.get("photo") or None,
            "open_ticket": ticket,
            "next_visit_on": data.get("next_visit_on"),
        }

    # Where a service refusal (VisitError's field) is shown on this form.
    ERROR_FIELDS = {
        "channel": "channel",
        "checked_in_at": "checked_in_at",
        "photo": "photo",
        "next_visit_on": "next_visit_on",
        "ticket": "ticket_description",
        "satisfaction": "satisfaction",
        "purpose": "purpose",
        "kind": "kind",
    }

    def add_service_errors(self, error) -> None:
        """Put a VisitError / ValidationError from the service under the field it names."""
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                field = self.ERROR_FIELDS.get(key)
                for message in errors:
                    text = " ".join(message.messages)
                    self.add_error(field if field in self.fields else None, text)
        else:
            for message in error.messages:
                self.add_error(None, message)


class UnplannedVisitForm(VisitLogForm):
    kind = forms.ChoiceField(
        label=_("kind of visit"),
        choices=VisitKind.choices,
        initial=VisitKind.ROUTINE,
        widget=forms.RadioSelect,
        error_messages={"required": _("Kind of visit: choose one.")},
    )

    field_order = ["kind"]


class VisitMissForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("reason missed"),
        choices=[("", "—"), *MissReason.choices],
        error_messages={
            "required": _("Reason missed: say why the visit did not happen."),
            "invalid_choice": _("Reason missed: choose one of the reasons."),
        },
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)
    new_date = forms.DateField(
        label=_("new date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("New date: enter a date such as 2026-09-30.")},
    )

    def clean_new_date(self):
        day = self.cleaned_data.get("new_date")
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("New date: the date is in the past."))
        return day


class KpiPeriodForm(forms.Form):
    """The KPI period: a preset (this month, last month, this quarter) or a date range."""

    PRESETS = [
        ("this_month", _("This month")),
        ("last_month", _("Last month")),
        ("this_quarter", _("This quarter")),
        ("last_quarter", _("Last quarter")),
        ("this_year", _("This year")),
    ]
    MAX_DAYS = 366

    period = forms.ChoiceField(label=_("period"), choices=[("", _("Dates below")), *PRESETS], required=False)
    start = forms.DateField(
        label=_("from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("From: enter a date such as 2026-09-01.")},
    )
    end = forms.DateField(
        label=_("to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("To: enter a date such as 2026-09-30.")},
    )

    def __init__(self, *args, regions=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"] = forms.ModelChoiceField(
                label=_("region"),
                queryset=regions,
                required=False,
                empty_label=_("All my regions"),
                error_messages={"invalid_choice": _("Region: choose one of your regions.")},
            )

    @staticmethod
    def preset_range(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
        month = today.replace(day=1)
        quarter = month.replace(month=(today.month - 1) // 3 * 3 + 1)
        ranges = {
            "this_month": (month, month + relativedelta(months=1, days=-1)),
            "last_month": (month - relativedelta(months=1), month - datetime.timedelta(days=1)),
            "this_quarter": (quarter, quarter + relativedelta(months=3, days=-1)),
            "last_quarter": (quarter - relativedelta(months=3), quarter - datetime.timedelta(days=1)),
            "this_year": (today.replace(month=1, day=1), today.replace(month=12, day=31)),
        }
        return ranges[preset]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        preset = data.get("period")
        if preset:
            data["start"], data["end"] = self.preset_range(preset, today)
        elif not (data.get("start") or data.get("end")) and not self.errors:
            data["period"] = "this_month"
            data["start"], data["end"] = self.preset_range("this_month", today)
        else:
            start, end = data.get("start"), data.get("end")
            if start and not end:
                data["end"] = end = start + relativedelta(months=1, days=-1)
            if end and not start:
                data["start"] = start = end.replace(day=1)
            if start and end and end < start:
                self.add_error("end", _("To: the end of the period is before its start."))
            elif start and end and (end - start).days >= self.MAX_DAYS:
                self.add_error("end", _("To: a period may be at most a year long."))
        return data


class AgendaForm(forms.Form):
    """Whose agenda, and (for the route sheet) which day: ?manager=<id>&day=YYYY-MM-DD. A
    supervisor or an admin chooses among `managers`; a manager has no choice (their own)."""

    day = forms.DateField(
        label=_("date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date: enter a date such as 2026-09-01.")},
    )

    def __init__(self, *args, managers=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if managers is not None:
            from retailers.selectors import account_manager_label

            field = forms.ModelChoiceField(
                label=_("sales manager"),
                queryset=managers,
                required=False,
                empty_label=_("My own agenda"),
                error_messages={"invalid_choice": _("Sales manager: choose one of the managers of your regions.")},
            )
            field.label_from_instance = account_manager_label
            self.fields["manager"] = field


class CampaignForm(forms.Form):
    """A seasonal campaign: what, when, and which shops (every filter optional: any)."""

    name = forms.CharField(label=_("name"), max_length=100)
    purpose = forms.ChoiceField(label=_("purpose"), choices=[])
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = forms.DateField(
        label=_("starts on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Starts on: enter a date such as 2026-09-01.")},
    )
    ends_on = forms.DateField(
        label=_("ends on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Ends on: enter a date such as 2026-09-30.")},
    )
    tiers = forms.MultipleChoiceField(label=_("tiers"), choices=Tier.choices, required=False)
    business_types = forms.MultipleChoiceField(label=_("business types"), choices=BusinessType.choices, required=False)
    market_types = forms.MultipleChoiceField(label=_("market types"), choices=MarketType.choices, required=False)
    level_min = forms.IntegerField(label=_("level (档位) from"), required=False, min_value=1, max_value=100)
    level_max = forms.IntegerField(label=_("level (档位) to"), required=False, min_value=1, max_value=100)

    def __init__(self, *args, regions, service_areas, **kwargs) -> None:
        from visits.models import CampaignPurpose

        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = CampaignPurpose.choices
        self.fields["regions"] = forms.ModelMultipleChoiceField(
            label=_("regions"), queryset=regions, required=False,
            error_messages={"invalid_choice": _("Regions: choose among your regions.")},
        )  # fmt: skip
        self.fields["service_areas"] = forms.ModelMultipleChoiceField(
            label=_("service areas"), queryset=service_areas, required=False,
            error_messages={"invalid_choice": _("Service areas: choose among your service areas.")},
        )  # fmt: skip

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("Ends on: the campaign ends before it starts."))
        low, high = data.get("level_min"), data.get("level_max")
        if low is not None and high is not None and high < low:
            self.add_error("level_max", _("Level to: the highest level is below the lowest."))
        return data

    def campaign_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("name", "purpose", "description", "starts_on", "ends_on")}

    def target(self) -> dict:
        data = self.cleaned_data
        return {
            "regions": sorted(region.pk for region in data["regions"]),
            "service_areas": sorted(area.pk for area in data["service_areas"]),
            "tiers": data["tiers"],
            "business_types": data["business_types"],
            "market_types": data["market_types"],
            "level_min": data["level_min"],
            "level_max": data["level_max"],
        }
