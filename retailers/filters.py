import datetime

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_site.models import User
from retailers.models import BusinessType, MarketType, Region, Retailer, RetailerStatus, Tier, ZoneType
from retailers.selectors import retailers_matching

# Sort keys offered on the list (keyset-paginated on (key, id)).
SORTS = ("name", "license_no", "license_expires_on", "stars")
STAR_CHOICES = [(n, "★" * n) for n in range(5, 0, -1)] + [(0, _("Not graded"))]


class RetailerFilter(django_filters.FilterSet):
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
    has_open_complaints = django_filters.BooleanFilter(
        label=_("Has open complaints"), method="filter_has_open_complaints"
    )
    no_order_weeks = django_filters.NumberFilter(
        label=_("No order for (weeks)"), method="filter_no_order_weeks", min_value=1, max_value=520
    )

    class Meta:
        model = Retailer
        fields: list[str] = []

    def __init__(self, *args, service_areas: QuerySet, may_search_phones: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.may_search_phones = may_search_phones
        self.filters["service_area"].queryset = service_areas
        self.filters["region"].queryset = Region.objects.filter(pk__in=service_areas.values("region_id"))
        self.filters["account_manager"].queryset = (
            User.objects.filter(service_areas__in=service_areas.values("pk")).distinct().order_by("username")
        )

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

    def filter_has_open_complaints(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        from complaints.selectors import open_tickets_of

        has_open = Exists(open_tickets_of(retailer=OuterRef("pk")))
        return queryset.filter(has_open) if value else queryset.exclude(has_open)


def retailer_filter_for(*, user, params) -> RetailerFilter:
    """The list's filter for a user (scoped) and a query string: the page and its exports share it."""
    from retailers.selectors import retailers_visible_to, service_areas_visible_to

    return RetailerFilter(
        params,
        queryset=retailers_visible_to(user).select_related("service_area", "account_manager"),
        service_areas=service_areas_visible_to(user),
        may_search_phones=user.has_perm("retailers.view_retailer_phone"),
    )
