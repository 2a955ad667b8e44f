import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_site.models import User
from crm_site.roles import may_see_full_phones
from retailers.list_filters import with_registered_filters
from retailers.models import (
    BusinessType,
    MarketType,
    Order,
    Region,
    Retailer,
    RetailerStatus,
    ServiceArea,
    Tier,
    ZoneType,
)
from retailers.selectors import retailers_matching
from retailers.validators import to_half_width

# Sort keys offered on the list (keyset-paginated on (key, id)).
# A province has about 1,200 service areas and as many managers: past this many options, their
# drop-downs list the chosen region's only (and the option already chosen), which is both what a
# user can read and what keeps the page fast (2,400 options were 60 % of the list's time).
NARROW_CHOICES_ABOVE = 60
SORTS = ("name", "license_no", "license_expires_on", "stars")
STAR_CHOICES = [(n, "★" * n) for n in range(5, 0, -1)] + [(0, _("Not graded"))]


class ChoicesByRegion:
    """For a FilterSet with a `region` filter: the options its area-sized drop-downs show.

    Only what is shown is narrowed; the filters still accept any choice of the user's scope, so a
    bookmarked list with a service area and no region keeps working."""

    narrowed_filters: tuple[str, ...] = ("service_area",)
    region_lookups: dict[str, str] = {"service_area": "region_id"}
    # The columns each drop-down's labels read (its model's __str__): only these are fetched, as
    # up to 61 rows are read to learn whether there are more than 60.
    label_fields: dict[str, tuple[str, ...]] = {"service_area": ("name",)}

    def _chosen_id(self, name: str) -> int | None:
        value = self.form[name].value()
        return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 19 else None

    def shown_choices(self) -> dict[str, list[tuple[object, str]]]:
        """{filter name: [(value, label), …]} for each narrowed filter, the empty choice first."""
        if not hasattr(self, "_shown_choices"):
            region = self._chosen_id("region")
            self._shown_choices = {name: self._shown(name, region) for name in self.narrowed_filters}
        return self._shown_choices

    def _shown(self, name: str, region: int | None) -> list[tuple[object, str]]:
        field = self.form.fields[name]
        queryset = field.queryset.select_related(None).only(*self.label_fields[name])
        if region is not None:
            rows = list(queryset.filter(**{self.region_lookups[name]: region}))
        else:
            rows = list(queryset[: NARROW_CHOICES_ABOVE + 1])
        empty = [("", field.empty_label)]
        if len(rows) > NARROW_CHOICES_ABOVE:
            chosen = self._chosen_id(name)
            rows = list(queryset.filter(pk=chosen)) if chosen is not None else []
            empty = [("", _("— choose a region first —"))]
        return empty + [(row.pk, field.label_from_instance(row)) for row in rows]


class RetailerFilter(ChoicesByRegion, django_filters.FilterSet):
    """The retailer list's filters; the state lives in the URL so a list can be bookmarked and exported."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="service_area__region", queryset=Region.objects.none()
    )
    service_area = django_filters.ModelChoiceFilter(label=_("Service area"), queryset=None)
    account_manager = django_filters.ModelChoiceFilter(label=_("Account manager"), queryset=User.objects.none())
    business_type = django_filters.ChoiceFilter(label=_("Business type"), choices=BusinessType.choices)
    market_type = django_filters.ChoiceFilter(label=_("Market type"), choices=MarketType.choices)
    zone_type = django_filters.ChoiceFilter(label=_("Business circle"), choices=ZoneType.choices)
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=Tier.choices)
    stars = django_filters.ChoiceFilter(label=_("Stars"), choices=STAR_CHOICES)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RetailerStatus.choices)
    license_expires_within = django_filters.NumberFilter(
        label=_("Licence expires within (days)"), method="filter_license_expires_within", min_value=0, max_value=3650
    )
    license_expired = django_filters.BooleanFilter(label=_("Licence expired"), method="filter_license_expired")
    no_order_weeks = django_filters.NumberFilter(
        label=_("No order for (weeks)"), method="filter_no_order_weeks", min_value=1, max_value=520
    )

    narrowed_filters = ("service_area", "account_manager")
    region_lookups = {"service_area": "region_id", "account_manager": "service_areas__region_id"}
    label_fields = {"service_area": ("name",), "account_manager": User.LABEL_FIELDS}

    class Meta:
        model = Retailer
        fields: list[str] = []

    def __init__(self, *args, service_areas: QuerySet, may_search_phones: bool, **kwargs) -> None:
        self.base_filters = with_registered_filters(type(self).base_filters)  # other apps' filters (list_filters.py)
        super().__init__(*args, **kwargs)
        self.may_search_phones = may_search_phones
        self.filters["service_area"].queryset = service_areas
        self.filters["region"].queryset = Region.objects.filter(pk__in=service_areas.values("region_id"))
        # EXISTS rather than a join and DISTINCT: the join sorted every manager of the province (1,200)
        # on each page view to show none of them ("choose a region first").
        managing = ServiceArea.managers.through.objects.filter(
            user_id=OuterRef("pk"), servicearea_id__in=service_areas.values("pk")
        )
        self.filters["account_manager"].queryset = User.objects.filter(Exists(managing)).order_by("username")

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return retailers_matching(queryset, value, by_phone=self.may_search_phones)

    def filter_license_expires_within(self, queryset: QuerySet, name: str, days) -> QuerySet:
        today = timezone.localdate()
        return queryset.filter(
            license_expires_on__gte=today, license_expires_on__lte=today + datetime.timedelta(days=int(days))
        )

    def filter_license_expired(self, queryset: QuerySet, name: str, expired: bool | None) -> QuerySet:
        if expired is None:
            return queryset
        today = timezone.localdate()
        return (
            queryset.filter(license_expires_on__lt=today) if expired else queryset.filter(license_expires_on__gte=today)
        )

    def filter_no_order_weeks(self, queryset: QuerySet, name: str, weeks) -> QuerySet:
        since = timezone.localdate() - datetime.timedelta(weeks=int(weeks))
        return queryset.filter(Q(last_order_on__lt=since) | Q(last_order_on__isnull=True))


def retailer_filter_for(*, user, params) -> RetailerFilter:
    """The list's filter for a user (scoped) and a query string: the page and its exports share it."""
    from retailers.selectors import retailers_visible_to, service_areas_visible_to

    return RetailerFilter(
        params,
        queryset=retailers_visible_to(user).select_related("service_area", "account_manager"),
        service_areas=service_areas_visible_to(user),
        may_search_phones=may_see_full_phones(user),
    )


class IdFilter(django_filters.Filter):
    field_class = forms.IntegerField


class OrderFilter(ChoicesByRegion, django_filters.FilterSet):
    """The order list's filters (state in the URL, shared by the page and its exports)."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    date_from = django_filters.DateFilter(label=_("Date from"), field_name="ordered_on", lookup_expr="gte")
    date_to = django_filters.DateFilter(label=_("Date to"), field_name="ordered_on", lookup_expr="lte")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="retailer__service_area__region", queryset=Region.objects.none()
    )
    service_area = django_filters.ModelChoiceFilter(
        label=_("Service area"), field_name="retailer__service_area", queryset=None
    )
    min_amount = django_filters.NumberFilter(
        label=_("Minimum amount (yuan)"), field_name="amount", lookup_expr="gte", min_value=0, max_value=10**10
    )
    # One shop's orders (the dossier links here). Not a model choice: the scoped queryset already
    # answers another user's shop with no rows, without a query to validate the id.
    retailer = IdFilter(label=_("Retailer"), field_name="retailer_id", min_value=1, max_value=2**63 - 1)

    # A damaged shop id shows no shop's orders rather than all of them (and says so).
    strict_filters = ("retailer",)

    class Meta:
        model = Order
        fields: list[str] = []

    def __init__(self, *args, service_areas: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["service_area"].queryset = service_areas
        self.filters["region"].queryset = Region.objects.filter(pk__in=service_areas.values("region_id"))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.form.errors.keys() & set(self.strict_filters):
            return queryset.none()
        return super().filter_queryset(queryset)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Shop name (or its pinyin), licence number or order number, as typed."""
        term = to_half_width(value or "").strip()
        if not term:
            return queryset
        lowered = term.lower().replace(" ", "")
        return queryset.filter(
            Q(order_no__startswith=term)
            | Q(order_no__startswith=term.upper())
            | Q(retailer__license_no__startswith=term)
            | Q(retailer__name__contains=term)
            | Q(retailer__name_initials__startswith=lowered)
            | Q(retailer__name_pinyin__startswith=lowered)
        )


def order_filter_for(*, user, params) -> OrderFilter:
    """The order list's filter for a user (scoped to the shops they may see) and a query string."""
    from retailers.selectors import orders_visible_to, service_areas_visible_to

    return OrderFilter(
        params,
        queryset=orders_visible_to(user).select_related("retailer__service_area"),
        service_areas=service_areas_visible_to(user),
    )
