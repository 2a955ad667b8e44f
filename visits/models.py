"""Visits (拜访): a planned or logged contact of a sales manager with a shop."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.models import Ticket
from retailers.models import Product, Retailer
from visits.care_dates import Birthday, Festival


class VisitKind(models.TextChoices):
    ROUTINE = "routine", pgettext_lazy("visit kind", "Routine")
    CARE = "care", pgettext_lazy("visit kind", "Care")
    SEASONAL = "seasonal", pgettext_lazy("visit kind", "Seasonal")
    FOLLOW_UP = "follow_up", pgettext_lazy("visit kind", "Follow-up")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("visit status", "Planned")
    DONE = "done", pgettext_lazy("visit status", "Done")
    MISSED = "missed", pgettext_lazy("visit status", "Missed")
    CANCELLED = "cancelled", pgettext_lazy("visit status", "Cancelled")


class VisitChannel(models.TextChoices):
    ON_SITE = "on_site", pgettext_lazy("visit channel", "On site")
    PHONE = "phone", pgettext_lazy("visit channel", "Phone")
    WECHAT = "wechat", pgettext_lazy("visit channel", "WeChat")


class MissReason(models.TextChoices):
    """Why a planned visit did not happen on its day (recorded when the manager moves it)."""

    SHOP_CLOSED = "shop_closed", _("Shop closed")
    OWNER_AWAY = "owner_away", _("Owner away")
    RESCHEDULED = "rescheduled", _("Rescheduled at the shop's request")
    MANAGER_UNAVAILABLE = "manager_away", _("Manager unavailable")
    WEATHER = "weather", _("Weather or road conditions")
    OTHER = "other", pgettext_lazy("miss reason", "Other")


class CampaignPurpose(models.TextChoices):
    NEW_PRODUCT = "new_product", _("New product")
    PROMOTION = "promotion", _("Promotion")
    POLICY = "policy", _("Policy briefing")
    FESTIVAL = "festival", _("Festival supply")
    OTHER = "other", pgettext_lazy("campaign purpose", "Other")


class Campaign(models.Model):
    """A seasonal campaign (专项拜访): one visit per target shop within a date range.

    The target is a filter over the shops (regions, tiers, 业态, market types, 档位 range), kept
    as data so that the page can say whom the campaign was for."""

    name = models.CharField(_("name"), max_length=100)
    purpose = models.CharField(_("purpose"), max_length=20, choices=CampaignPurpose.choices)
    description = models.TextField(_("description"), blank=True)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # {"regions": [ids], "service_areas": [ids], "tiers": [...], "business_types": [...],
    #  "market_types": [...], "level_min": n, "level_max": n}; a missing key means "any".
    target = models.JSONField(_("target shops"), default=dict, blank=True)
    planned_count = models.PositiveIntegerField(_("visits planned"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_range_ordered"),
        ]

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """One visit of a shop by its sales manager: planned first, then done, missed or cancelled.

    Routine visits are planned by `visits.services.visits_plan` at the rhythm of the shop's tier;
    a shop has at most one open planned routine visit (a database constraint)."""

    retailer = models.ForeignKey(Retailer, on_delete=models.PROTECT, related_name="visits", verbose_name=_("retailer"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits", verbose_name=_("sales manager")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=VisitKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED)
    planned_on = models.DateField(_("planned for"))
    # The tier's interval the plan was computed with: when the shop's tier (or the service
    # policy) now gives another one, the planner moves the plan.
    interval_days = models.PositiveSmallIntegerField(
        _("interval (days)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    # Stored rather than read from the log's check-in so that "the last routine visit" is an
    # indexed date for the planner.
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Who planned it by hand; empty for the planner's routine plans.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("planned by"),
    )
    # A visit logged without a plan (the manager dropped by): it counts as done, not as planned.
    unplanned = models.BooleanField(_("unplanned"), default=False, db_default=False)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True, db_default="")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="visits", verbose_name=_("campaign")
    )
    # The visit this one follows: the logged visit that asked for it, or the missed plan it replaces.
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("follows")
    )

    # The log (拜访记录), filled when the visit is done.
    channel = models.CharField(
        _("channel"), max_length=10, choices=VisitChannel.choices, blank=True, db_default=""
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    # None: not checked on this visit.
    price_display_ok = models.BooleanField(_("prices displayed correctly"), null=True, blank=True)
    license_displayed = models.BooleanField(_("licence on the wall"), null=True, blank=True)
    needs = models.TextField(_("the shop's needs"), blank=True, db_default="")
    feedback = models.TextField(_("the shop's feedback"), blank=True, db_default="")
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    photo = models.FileField(_("photo"), upload_to="visits/%Y/%m/", blank=True, db_default="")
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("complaint ticket opened"),
    )
    # A missed plan: why, as the manager said when moving it.
    miss_reason = models.CharField(
        _("reason missed"), max_length=20, choices=MissReason.choices, blank=True, db_default=""
    )
    miss_note = models.CharField(_("note"), max_length=200, blank=True, db_default="")

    class Meta:
        ordering = ["planned_on", "id"]
        verbose_name = pgettext_lazy("a visit", "visit")
        verbose_name_plural = pgettext_lazy("a visit", "visits")
        constraints = [
            models.UniqueConstraint(
                fields=["retailer"],
                condition=Q(kind="routine", status="planned"),
                name="visit_one_open_routine_per_retailer",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(visited_on__isnull=False), name="visit_done_has_visit_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="missed") | ~Q(miss_reason=""), name="visit_missed_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="visit_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=models.F("checked_in_at")),
                name="visit_check_out_after_check_in",
            ),
        ]
        indexes = [
            # A manager's agenda: their visits by date.
            models.Index(fields=["manager", "planned_on", "id"], name="visit_manager_date"),
            # The planner's "last done routine visit of each shop".
            models.Index(
                fields=["retailer", "visited_on"],
                condition=Q(kind="routine", status="done"),
                name="visit_routine_done",
            ),
            # A shop's visits (dossier tab, KPIs' strike rate).
            models.Index(fields=["retailer", "planned_on"], name="visit_retailer_date"),
            # KPIs over a period: visits by date.
            models.Index(fields=["planned_on", "status"], name="visit_date_status"),
            # KPIs over a period: the visits logged in it, whatever they were planned for.
            models.Index(fields=["visited_on"], condition=Q(status="done"), name="visit_done_on"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.retailer_id} @ {self.planned_on} ({self.get_status_display()})"


class VisitStockCheck(models.Model):
    """One brand checked on a visit: in stock or out of stock, with the cartons seen if counted."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="stock_checks", verbose_name=_("visit"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    in_stock = models.BooleanField(_("in stock"))
    cartons = models.PositiveSmallIntegerField(_("cartons on the shelf"), null=True, blank=True)

    class Meta:
        ordering = ["visit", "id"]
        verbose_name = _("stock check")
        verbose_name_plural = _("stock checks")
        constraints = [
            models.UniqueConstraint(fields=["visit", "product"], name="visit_stock_check_once_per_product"),
        ]

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.product_id} {'✓' if self.in_stock else '✗'}"


class CareOccasion(models.TextChoices):
    """What a care reminder is for: a festival, or the owner's birthday (solar or lunar)."""

    SPRING = Festival.SPRING.value, Festival.SPRING.label
    LANTERN = Festival.LANTERN.value, Festival.LANTERN.label
    DRAGON_BOAT = Festival.DRAGON_BOAT.value, Festival.DRAGON_BOAT.label
    MID_AUTUMN = Festival.MID_AUTUMN.value, Festival.MID_AUTUMN.label
    DOUBLE_NINTH = Festival.DOUBLE_NINTH.value, Festival.DOUBLE_NINTH.label
    BIRTHDAY = Birthday.SOLAR.value, Birthday.SOLAR.label
    LUNAR_BIRTHDAY = Birthday.LUNAR.value, Birthday.LUNAR.label


class CarePolicy(models.Model):
    """How many days ahead a care occasion is shown to the manager, and for which tiers (admins edit it)."""

    occasion = models.CharField(_("occasion"), max_length=20, choices=CareOccasion.choices, unique=True)
    days_ahead = models.PositiveSmallIntegerField(
        _("remind days ahead"), validators=[MinValueValidator(0), MaxValueValidator(60)]
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # Tier values the occasion is for; empty means every shop.
    tiers = models.JSONField(_("tiers"), default=list, blank=True)

    class Meta:
        ordering = ["occasion"]
        verbose_name = _("care policy")
        verbose_name_plural = _("care policies")

    def __str__(self) -> str:
        return self.get_occasion_display()


class CareReminderStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("care reminder", "Open")
    PLANNED = "planned", pgettext_lazy("care reminder", "Visit planned")
    DISMISSED = "dismissed", pgettext_lazy("care reminder", "Dismissed")


class CareReminder(models.Model):
    """A birthday or festival coming up for a shop (关怀提醒), shown from `remind_from` until the day."""

    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="care_reminders", verbose_name=_("retailer")
    )
    occasion = models.CharField(_("occasion"), max_length=20, choices=CareOccasion.choices)
    occurs_on = models.DateField(_("date"))
    remind_from = models.DateField(_("remind from"))
    status = models.CharField(
        _("status"), max_length=10, choices=CareReminderStatus.choices, default=CareReminderStatus.OPEN
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("visit")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["occurs_on", "id"]
        verbose_name = _("care reminder")
        verbose_name_plural = _("care reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "occasion", "occurs_on"], name="care_reminder_once_per_occasion"
            ),
            models.CheckConstraint(
                condition=Q(remind_from__lte=models.F("occurs_on")), name="care_reminder_before_the_day"
            ),
        ]
        indexes = [
            models.Index(fields=["retailer", "occurs_on"], name="care_reminder_retailer_date"),
            models.Index(fields=["status", "remind_from", "occurs_on"], name="care_reminder_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_occasion_display()} {self.retailer_id} @ {self.occurs_on}"


# ---------------------------------------------------------------------------------------------
# The visit log's KPIs: a daily roll-up, so that the KPI page sums a few hundred rows a day
# rather than reading every visit of the period (300,000 shops log ~25,000 visits a day).
# ---------------------------------------------------------------------------------------------


class VisitKpiDay(models.Model):
    """One day × manager × service area of visit figures (stored, not summed on each page view:
    a quarter of a province is ~1.6 million visits). The `planned` figures count the visits
    planned for `day` (unplanned and cancelled ones out); the `logged` figures the visits done on
    `day`. Rebuilt by `visits.services.visit_kpis_refresh` every night (orders come in up to 7 days
    after a visit) and, for one manager, whenever a visit of theirs is logged or missed."""

    day = models.DateField(_("date"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("sales manager")
    )
    service_area = models.ForeignKey(
        "retailers.ServiceArea", on_delete=models.CASCADE, related_name="+", verbose_name=_("service area")
    )
    planned = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    still_open = models.PositiveIntegerField(default=0)  # planned for the day and still planned
    missed = models.PositiveIntegerField(default=0)
    miss_shop_closed = models.PositiveIntegerField(default=0)
    miss_owner_away = models.PositiveIntegerField(default=0)
    miss_rescheduled = models.PositiveIntegerField(default=0)
    miss_manager_away = models.PositiveIntegerField(default=0)
    miss_weather = models.PositiveIntegerField(default=0)
    miss_other = models.PositiveIntegerField(default=0)
    logged = models.PositiveIntegerField(default=0)
    logged_unplanned = models.PositiveIntegerField(default=0)
    struck = models.PositiveIntegerField(default=0)  # logged and followed by an order within 7 days
    rated = models.PositiveIntegerField(default=0)
    satisfaction_sum = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "manager", "service_area"]
        verbose_name = _("visit figures of a day")
        verbose_name_plural = _("visit figures of a day")
        constraints = [
            models.UniqueConstraint(fields=["day", "manager", "service_area"], name="visit_kpi_day_once"),
        ]
        indexes = [
            models.Index(fields=["manager", "day"], name="visit_kpi_day_manager"),
            models.Index(fields=["service_area", "day"], name="visit_kpi_day_area"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.manager_id}/{self.service_area_id}"
