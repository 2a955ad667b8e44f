"""Master data: regions, service areas, retailers, products, orders, compliance findings."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from retailers.pinyin import pinyin_keys
from retailers.validators import (
    normalize_license_no,
    normalize_phone,
    validate_credit_code,
    validate_license_no,
    validate_phone,
)


class Region(models.Model):
    """A county or district (区域): groups service areas; supervisors see a whole region."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="supervised_regions",
        verbose_name=_("supervisors"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class ServiceArea(models.Model):
    """A sales manager's patch (营销片区)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="service_areas", verbose_name=_("region"))
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="service_areas",
        verbose_name=_("sales managers"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")

    def __str__(self) -> str:
        return self.name


class BusinessType(models.TextChoices):
    CONVENIENCE = "convenience", _("Convenience store")
    SUPERMARKET = "supermarket", _("Supermarket")
    GROCERY = "grocery", _("Grocery")
    TOBACCO_LIQUOR = "tobacco_liquor", _("Tobacco & liquor")
    ENTERTAINMENT = "entertainment", _("Entertainment")
    MALL = "mall", _("Mall")
    OTHER = "other", _("Other")


class MarketType(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class ZoneType(models.TextChoices):
    COMMERCIAL = "commercial", _("Commercial district")
    RESIDENTIAL = "residential", _("Residential")
    TRANSIT = "transit", _("Transport hub")
    SCHOOL = "school", _("Near schools")
    TOWN_MARKET = "town_market", _("Township market")
    INDUSTRIAL = "industrial", _("Industrial park")
    TOURIST = "tourist", _("Tourist area")


class RetailerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", pgettext_lazy("retailer status", "Closed")


class Tier(models.TextChoices):
    KEY = "key", _("Key account")
    ORDINARY = "ordinary", _("Ordinary")
    SPECIAL = "special", _("Special")


class CreditLevel(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("SMS")
    VISIT = "visit", _("In person")


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


class ChangeSource(models.TextChoices):
    MANAGER = "manager", _("Sales manager")
    IMPORT = "import", _("Excel import")
    DELIVERY = "delivery", _("Delivery")
    MONOPOLY = "monopoly", _("Monopoly enforcement")
    PHONE_VISIT = "phone_visit", _("Telephone visit department")
    SYSTEM = "system", _("System")
    DEMO = "demo", _("Demo data")


class HistoricalChangeSource(models.Model):
    """Extra column on every history row of a retailer: where the change came from."""

    change_source = models.CharField(
        _("source"), max_length=20, choices=ChangeSource.choices, default=ChangeSource.MANAGER
    )

    class Meta:
        abstract = True


class Retailer(models.Model):
    """A licensed shop (持证零售客户): the centre of everything."""

    license_no = models.CharField(_("licence number"), max_length=15, unique=True, validators=[validate_license_no])
    license_issued_on = models.DateField(_("licence issued on"), null=True, blank=True)
    license_expires_on = models.DateField(_("licence expires on"))
    name = models.CharField(_("shop name"), max_length=100)
    owner_name = models.CharField(_("owner"), max_length=40)
    phone = models.CharField(_("phone"), max_length=20, validators=[validate_phone], db_index=True)
    phone_alt = models.CharField(_("second phone"), max_length=20, blank=True, validators=[validate_phone])
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    business_type = models.CharField(_("business type"), max_length=20, choices=BusinessType.choices)
    market_type = models.CharField(_("market type"), max_length=10, choices=MarketType.choices)
    zone_type = models.CharField(_("business circle"), max_length=20, choices=ZoneType.choices)
    service_area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="retailers", verbose_name=_("service area")
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_retailers",
        verbose_name=_("account manager"),
    )
    order_weekday = models.PositiveSmallIntegerField(_("order day"), choices=Weekday.choices, default=Weekday.MONDAY)
    delivery_route = models.CharField(_("delivery route"), max_length=40, blank=True)
    credit_level = models.CharField(_("credit level"), max_length=3, choices=CreditLevel.choices, default=CreditLevel.A)
    status = models.CharField(_("status"), max_length=10, choices=RetailerStatus.choices, default=RetailerStatus.ACTIVE)
    partner_since = models.DateField(_("partner since"), null=True, blank=True)

    # The personal card (个人名片): what a good manager remembers about the owner.
    birthday = models.DateField(_("owner's birthday"), null=True, blank=True)
    # A birthday kept by the lunar calendar (农历生日): month 1–12, day 1–30, and whether it is in
    # a leap month (闰月). visits.care_dates says which solar day it falls on in a given year.
    lunar_birthday_month = models.PositiveSmallIntegerField(
        _("lunar birthday: month"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    lunar_birthday_day = models.PositiveSmallIntegerField(
        _("lunar birthday: day"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    lunar_birthday_leap = models.BooleanField(_("lunar birthday in a leap month"), default=False, db_default=False)
    hobbies = models.CharField(_("hobbies and preferences"), max_length=200, blank=True)
    family_notes = models.TextField(_("family"), blank=True)
    circle_contacts = models.TextField(_("business-circle contacts"), blank=True)
    preferred_channel = models.CharField(
        _("preferred contact channel"), max_length=10, choices=ContactChannel.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    # The shop that brought this one in (推荐人): earns a referral bonus at this shop's first order.
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
    )

    # Written only by the grading app (grading.services); shown on the dossier.
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True, db_default="")
    stars = models.PositiveSmallIntegerField(
        _("stars"),
        default=0,
        db_default=0,
        validators=[MaxValueValidator(5)],
        help_text=_("0 until the shop is graded"),
    )
    # Stored rather than computed so that "no order for N weeks" is an indexed filter.
    last_order_on = models.DateField(_("last order"), null=True, blank=True)

    # Search keys, derived from name and owner on save (and by bulk loaders via pinyin_keys).
    name_pinyin = models.CharField(max_length=400, blank=True, editable=False)
    name_initials = models.CharField(max_length=100, blank=True, editable=False)
    owner_pinyin = models.CharField(max_length=200, blank=True, editable=False)
    owner_initials = models.CharField(max_length=40, blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(
        bases=[HistoricalChangeSource],
        # Search keys are derived; tier, stars and last order are recomputed in bulk and have their own history.
        excluded_fields=[
            "name_pinyin",
            "name_initials",
            "owner_pinyin",
            "owner_initials",
            "updated_at",
            "tier",
            "stars",
            "last_order_on",
        ],
        # The history is read by shop (its `id` index) and date only; the copies of the shop's own
        # indexes cost every import and seed a write each per row and serve no reader.
        no_db_index=["license_no", "phone", "service_area", "account_manager", "referred_by"],
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("retailer")
        verbose_name_plural = _("retailers")
        permissions = [
            ("view_all_retailers", _("Can see every retailer")),
            ("view_region_retailers", _("Can see the retailers of own regions")),
            ("change_retailer_structure", _("Can change licence, area and status")),
            ("change_retailer_personal_card", _("Can edit the personal card")),
            ("view_retailer_phone", _("Can see full phone numbers")),
            ("export_retailers", _("Can export retailers")),
            ("merge_retailers", _("Can merge duplicate retailers")),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="retailer_name"),
            models.Index(fields=["service_area", "name", "id"], name="retailer_area_name"),
            models.Index(fields=["license_expires_on", "id"], name="retailer_license_expiry"),
            models.Index(fields=["stars", "id"], name="retailer_stars"),
            models.Index(fields=["status", "name", "id"], name="retailer_status_name"),
            models.Index(fields=["tier", "stars"], name="retailer_tier_stars"),
            models.Index(fields=["last_order_on"], name="retailer_last_order"),
            # The search's prefix tests (retailers_matching), each an index range scan; its
            # substring test has a trigram index made by migration 0012 (pg_trgm or FTS5).
            models.Index(fields=["name_initials"], name="retailer_name_initials"),
            models.Index(fields=["name_pinyin"], name="retailer_name_pinyin"),
            models.Index(fields=["owner_initials"], name="retailer_owner_initials"),
            models.Index(fields=["owner_pinyin"], name="retailer_owner_pinyin"),
            models.Index(fields=["phone_alt"], name="retailer_phone_alt"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(stars__lte=5), name="retailer_stars_0_to_5"),
            models.CheckConstraint(
                condition=Q(license_issued_on__isnull=True) | Q(license_issued_on__lte=models.F("license_expires_on")),
                name="retailer_license_issued_before_expiry",
            ),
            models.CheckConstraint(
                condition=Q(order_weekday__gte=1, order_weekday__lte=7),
                name="retailer_order_weekday_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    lunar_birthday_month__isnull=True, lunar_birthday_day__isnull=True, lunar_birthday_leap=False
                )
                | Q(
                    lunar_birthday_month__gte=1,
                    lunar_birthday_month__lte=12,
                    lunar_birthday_day__gte=1,
                    lunar_birthday_day__lte=30,
                ),
                name="retailer_lunar_birthday_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.license_no}）"

    def save(self, *args, **kwargs) -> None:
        self.fill_derived_fields()
        super().save(*args, **kwargs)

    def fill_derived_fields(self) -> None:
        """Normalised identifiers and pinyin search keys (bulk loaders call this themselves)."""
        self.license_no = normalize_license_no(self.license_no)
        self.phone = normalize_phone(self.phone)
        self.phone_alt = normalize_phone(self.phone_alt)
        self.name_pinyin, self.name_initials = pinyin_keys(self.name)
        self.owner_pinyin, self.owner_initials = pinyin_keys(self.owner_name)


class PriceClass(models.IntegerChoices):
    CLASS_1 = 1, _("Class 1")
    CLASS_2 = 2, _("Class 2")
    CLASS_3 = 3, _("Class 3")
    CLASS_4 = 4, _("Class 4")
    CLASS_5 = 5, _("Class 5")


class Product(models.Model):
    """A cigarette SKU (卷烟规格). Prices are per carton (条)."""

    code = models.CharField(_("product code"), max_length=20, unique=True)
    brand = models.CharField(_("brand"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    price_class = models.PositiveSmallIntegerField(_("price class"), choices=PriceClass.choices)
    wholesale_price = models.DecimalField(_("wholesale price (yuan/carton)"), max_digits=10, decimal_places=2)
    retail_price = models.DecimalField(_("retail price (yuan/carton)"), max_digits=10, decimal_places=2)
    tar_mg = models.DecimalField(_("tar (mg)"), max_digits=4, decimal_places=1)
    is_high_end = models.BooleanField(_("high-end"), default=False)
    launched_on = models.DateField(_("launched on"), null=True, blank=True)
    is_scarce = models.BooleanField(_("scarce"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["brand", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(wholesale_price__gt=0), name="product_wholesale_positive"),
            models.CheckConstraint(
                condition=Q(retail_price__gte=models.F("wholesale_price")),
                name="product_retail_not_below_wholesale",
            ),
            models.CheckConstraint(condition=Q(tar_mg__gte=0), name="product_tar_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.brand}（{self.name}）"


# Low-tar threshold used by the order totals (and by grading): 8 mg or less.
LOW_TAR_MG = 8


class Order(models.Model):
    """A shop's weekly purchase from the company.

    The totals (and the number of distinct brands) are stored so that grading and analytics
    aggregate order headers and never scan the tens of millions of lines.
    """

    order_no = models.CharField(_("order number"), max_length=30, unique=True)
    # Lookups by shop use order_retailer_cover below; a second, single-column index would only slow loading.
    retailer = models.ForeignKey(
        Retailer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("retailer"), db_index=False
    )
    ordered_on = models.DateField(_("order date"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2, default=0)
    cartons = models.PositiveIntegerField(_("cartons"), default=0)
    high_end_amount = models.DecimalField(_("high-end amount (yuan)"), max_digits=12, decimal_places=2, default=0)
    low_tar_cartons = models.PositiveIntegerField(_("low-tar cartons"), default=0)
    line_count = models.PositiveSmallIntegerField(_("lines"), default=0)
    brand_count = models.PositiveSmallIntegerField(_("brands"), default=0, db_default=0)
    # When an order was changed after it was first loaded (a re-import, an edit); empty for an order
    # never changed. The points ledger corrects the earnings of the orders changed lately, found by
    # the partial index below, instead of comparing weeks of orders with their entries every night.
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-ordered_on", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            # A shop's orders by date (dossier, last order), and the grading aggregate: every total
            # of a date range read from the index alone, already in shop order, so the GROUP BY
            # needs no sort (a date-first index made SQLite sort 9M headers in a temporary B-tree).
            models.Index(
                fields=[
                    "retailer",
                    "ordered_on",
                    "amount",
                    "cartons",
                    "high_end_amount",
                    "low_tar_cartons",
                    "brand_count",
                ],
                name="order_retailer_cover",
            ),
            # The order list: newest first and its keyset cursor (ordered_on, id), at any depth.
            models.Index(fields=["-ordered_on", "-id"], name="order_list_date_id"),
            models.Index(fields=["updated_at"], name="order_changed", condition=Q(updated_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(high_end_amount__lte=models.F("amount")), name="order_high_end_within_amount"
            ),
            models.CheckConstraint(
                condition=Q(low_tar_cartons__lte=models.F("cartons")), name="order_low_tar_within_cartons"
            ),
        ]

    def __str__(self) -> str:
        return self.order_no

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            self.updated_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)


class OrderLine(models.Model):
    # Lookups by order use the unique (order, product) index.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"), db_index=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity (cartons)"))
    unit_price = models.DecimalField(_("unit price (yuan/carton)"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="order_line_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


class ComplianceKind(models.TextChoices):
    UNLICENSED_SALE = "unlicensed_sale", _("Unlicensed sale")
    COUNTERFEIT = "counterfeit", _("Counterfeit goods")
    CROSS_TERRITORY = "cross_territory", _("Cross-territory goods")
    SALE_TO_MINORS = "sale_to_minors", _("Sale to minors")
    OVER_SCOPE = "over_scope", _("Sale beyond licensed scope")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    SERIOUS = "serious", _("Serious")


class ComplianceRecord(models.Model):
    """An inspection finding by monopoly enforcement (专卖)."""

    retailer = models.ForeignKey(
        Retailer, on_delete=models.PROTECT, related_name="compliance_records", verbose_name=_("retailer")
    )
    found_on = models.DateField(_("date found"))
    kind = models.CharField(_("kind"), max_length=20, choices=ComplianceKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    source_department = models.CharField(_("source department"), max_length=60)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-found_on", "-id"]
        verbose_name = _("compliance record")
        verbose_name_plural = _("compliance records")
        indexes = [models.Index(fields=["retailer", "found_on"], name="compliance_retailer_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.found_on}"


class RetailerMerge(models.Model):
    """Audit entry of a duplicate dossier folded into a survivor (数据清洗): nothing is lost."""

    survivor = models.ForeignKey(
        Retailer, on_delete=models.PROTECT, related_name="merges", verbose_name=_("surviving dossier")
    )
    merged_retailer_id = models.BigIntegerField(_("merged dossier id"), db_index=True)
    merged_license_no = models.CharField(_("merged licence number"), max_length=15)
    merged_name = models.CharField(_("merged shop name"), max_length=100)
    snapshot = models.JSONField(_("snapshot of the merged dossier"))
    moved = models.JSONField(_("rows moved, by kind"))
    reason = models.CharField(_("reason"), max_length=200)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("merged by")
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("retailer merge")
        verbose_name_plural = _("retailer merges")

    def __str__(self) -> str:
        return f"{self.merged_name} → {self.survivor_id}"


class RetailerDistinctPair(models.Model):
    """Two dossiers that someone checked and found to be different shops (不是重复客户), so the
    duplicates page does not offer them again. Stored once per pair, the smaller id first; a
    merge or deletion of either dossier removes the decision with it."""

    first = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+", verbose_name=_("first dossier"))
    second = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+", verbose_name=_("second dossier"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("pair of distinct dossiers")
        verbose_name_plural = _("pairs of distinct dossiers")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="retailer_distinct_pair_unique"),
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="retailer_distinct_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ≠ {self.second_id}"


class ImportJob(models.Model):
    """An uploaded master-data sheet: checked first (dry run), imported when an admin confirms."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked: waiting for confirmation")
        REFUSED = "refused", _("Refused")
        IMPORTING = "importing", _("Importing")
        SUCCEEDED = "succeeded", _("Imported")
        FAILED = "failed", _("Not imported")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing: import only if every row is valid")
        SKIP_INVALID = "skip", _("Import the valid rows and skip the rest")

    class Kind(models.TextChoices):
        RETAILERS = "retailers", _("Retailers")
        PRODUCTS = "products", _("Products")
        ORDERS = "orders", _("Orders and lines")
        COMPLIANCE = "compliance", _("Compliance records")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RETAILERS)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    mode = models.CharField(_("mode"), max_length=4, choices=Mode.choices, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    to_create = models.PositiveIntegerField(_("to create"), default=0)
    to_update = models.PositiveIntegerField(_("to update"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    # The invalid rows' errors as message codes (JSON); the report is written from them when it is
    # downloaded, in the language of whoever downloads it.
    error_rows = models.FileField(_("errors of the invalid rows"), upload_to="imports/%Y/%m/", blank=True)
    # Jobs checked before error_rows existed keep the report written then, in the language of that day.
    error_report = models.FileField(_("error report"), upload_to="imports/%Y/%m/", blank=True)
    # The dry run's parsed rows (written by the worker, private storage): the import reuses them.
    checked_rows = models.FileField(_("checked rows"), upload_to="imports/%Y/%m/", blank=True, editable=False)
    # The retailers whose dossier the import created or changed (the products, for a product sheet).
    touched_ids = models.JSONField(_("records created or changed"), default=list, blank=True)
    # What the job has to say (retailers.messages), put into words when the page is shown; `text`
    # holds it in the site's language, and is all that jobs from before the codes have.
    message = models.JSONField(_("message"), default=dict, blank=True)
    text = models.CharField(_("message text"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        permissions = [("import_master_data", _("Can import master data from Excel"))]
        constraints = [
            # Two imports of the same kind never run at once.
            models.UniqueConstraint(
                "kind", condition=Q(status__in=["checking", "importing"]), name="import_one_active_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def rows_valid(self) -> int:
        return self.rows_read - self.rows_invalid

    @property
    def status_label(self) -> str:
        """The status as the pages say it: a check that found no valid row has nothing to confirm."""
        if self.status == self.Status.CHECKED and not self.rows_valid:
            return str(_("Checked: no valid rows to import"))
        return self.get_status_display()

    @property
    def progress(self) -> int:
        """Percent for the progress bar: reading, checking (rows counted), importing, done."""
        if self.status == self.Status.CHECKING:
            return 40 if self.rows_read else 10
        return 75 if self.status == self.Status.IMPORTING else 100
