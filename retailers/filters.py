import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from retailers.models import BusinessType, MarketType, Region, Retailer, RetailerStatus, Tier, ZoneType
from retailers.validators import normalize_phone, to_half_width


class RetailerFilter(django_filters.FilterSet):
    """The retailer list's filters; the state lives in the URL so a list can be bookmarked."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), field_name="service_area__region", queryset=Region.objects.none()
    )
    service_area = django_filters.ModelChoiceFilter(label=_("Service area"), queryset=None)
    business_type = django_filters.ChoiceFilter(label=_("Business type"), choices=BusinessType.choices)
    market_type = django_filters.ChoiceFilter(label=_("Market type"), choices=MarketType.choices)
    zone_type = django_filters.ChoiceFilter(label=_("Business circle"), choices=ZoneType.choices)
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=Tier.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RetailerStatus.choices)

    class Meta:
        model = Retailer
        fields = ["q", "region", "service_area", "business_type", "market_type", "zone_type", "tier", "status"]

    def __init__(self, *args, service_areas: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["service_area"].queryset = service_areas
        self.filters["region"].queryset = Region.objects.filter(
            pk__in=service_areas.values("region_id")
        )

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Name, owner, licence, phone, or the pinyin (full or initials) of shop and owner."""
        term = to_half_width(value).strip()
        if not term:
            return queryset
        lowered = term.lower().replace(" ", "")
        condition = (
            Q(name__icontains=term)
            | Q(owner_name__icontains=term)
            | Q(license_no__startswith=term)
            | Q(name_initials__startswith=lowered)
            | Q(name_pinyin__startswith=lowered)
            | Q(owner_initials__startswith=lowered)
            | Q(owner_pinyin__startswith=lowered)
        )
        phone = normalize_phone(term)
        if phone.isdigit() and len(phone) >= 4:
            condition |= Q(phone__startswith=phone) | Q(phone_alt__startswith=phone)
        return queryset.filter(condition)
