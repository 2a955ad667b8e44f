import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Status, Ticket
from complaints.selectors import open_tickets_of
from retailers.models import Region, Tier


class TicketForm(forms.ModelForm):
    retailer = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": _("Choose the shop first.")})

    class Meta:
        model = Ticket
        fields = ["channel", "category", "priority", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class MoveForm(forms.Form):
    """The information any move may carry; the workflow table says which of it a move needs."""

    findings = forms.CharField(
        label=_("investigation findings"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    resolution = forms.CharField(label=_("resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reply = forms.CharField(label=_("reply to the shop"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    satisfaction = forms.TypedChoiceField(
        label=_("satisfaction (1–5)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(n, "★" * n) for n in range(5, 0, -1)]],
    )
    satisfaction_comment = forms.CharField(label=_("satisfaction comment"), required=False, max_length=500)
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


class TicketFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    status = django_filters.ChoiceFilter(label=_("Step"), choices=Status.choices)
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="retailer__service_area__region", queryset=Region.objects.none()
    )
    tier = django_filters.ChoiceFilter(label=_("Tier"), field_name="retailer__tier", choices=Tier.choices)
    received_from = django_filters.DateFilter(
        label=_("Received from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = django_filters.DateFilter(
        label=_("Received to"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def __init__(self, *args, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["region"].queryset = regions


def retailers_with_open_tickets(queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
    """The retailer list's "has open complaints" filter (registered in apps.py): yes, no or either."""
    if value is None:
        return queryset
    has_open = Exists(open_tickets_of(retailer=OuterRef("pk")))
    return queryset.filter(has_open) if value else queryset.exclude(has_open)
