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
        permissions = [("export_visit_route", _("Can export a day's route sheet"))]
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
            # The dossier's and the agenda's reminders: by shop (a manager's few hundred). No index
            # on (status, dates): at a festival every shop has an open one, and SQLite would read
            # them all for one manager's agenda.
            models.Index(fields=["retailer", "occurs_on"], name="care_reminder_retailer_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_occasion_display()} {self.retailer_id} @ {self.occurs_on}"


# ---------------------------------------------------------------------------------------------
# The visit log's KPIs: a daily roll-up and its monthly sums, so that the KPI page sums a few
# thousand rows rather than reading every visit of the period (300,000 shops log ~25,000 a day).
# ---------------------------------------------------------------------------------------------


class VisitKpiFigures(models.Model):
    """The counters of one cell of the KPI roll-up (see VisitKpiDay for what each counts)."""

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
        abstract = True


class VisitKpiDay(VisitKpiFigures):
    """One day × manager × service area of visit figures (stored, not summed on each page view:
    a quarter of a province is ~1.6 million visits). The `planned` figures count the visits
    planned for `day` (unplanned and cancelled ones out); the `logged` figures the visits done on
    `day`. Rebuilt by `visits.services.visit_kpis_refresh` every night (orders come in up to 7 days
    after a visit) and, for one manager, whenever a visit of theirs is logged or missed."""

    day = models.DateField(_("date"))

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


class VisitKpiMonth(VisitKpiFigures):
    """The sums of a calendar month of VisitKpiDay rows (`month` is its first day), written from
    them in the same transaction by `visit_kpis_refresh`: a month of a province is ~1,200 rows here
    against ~36,000 daily ones, so the KPI page reads whole months from this level and only the
    days of a partial month (or of the month holding today, whose overdue count depends on the
    day) from the daily one."""

    month = models.DateField(_("month"))

    class Meta:
        ordering = ["month", "manager", "service_area"]
        verbose_name = _("visit figures of a month")
        verbose_name_plural = _("visit figures of a month")
        constraints = [
            models.UniqueConstraint(fields=["month", "manager", "service_area"], name="visit_kpi_month_once"),
        ]
        indexes = [models.Index(fields=["manager", "month"], name="visit_kpi_month_manager")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.manager_id}/{self.service_area_id}"
# ------------------------------------------------------------------------------------------------
# Surveys (满意度调查, issue 11): questionnaires, invitations sent by link, responses and answers.
# ------------------------------------------------------------------------------------------------


class SurveyKind(models.TextChoices):
    ROUTINE = "routine", pgettext_lazy("survey kind", "Routine")
    POST_COMPLAINT = "post_complaint", pgettext_lazy("survey kind", "After a complaint")


class Questionnaire(models.Model):
    """One version of a questionnaire (问卷). Versions are never edited once a shop was invited to
    them: an admin publishes a new version (a copy to edit), which becomes the current one of its
    kind; invitations and answers keep the version they were sent and answered."""

    kind = models.CharField(_("kind"), max_length=20, choices=SurveyKind.choices)
    version = models.PositiveSmallIntegerField(_("version"), default=1, validators=[MinValueValidator(1)])
    title = models.CharField(_("title"), max_length=100)
    intro = models.TextField(_("introduction"), blank=True)
    is_current = models.BooleanField(_("current version"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="questionnaire_version_unique"),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_current=True), name="questionnaire_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class QuestionType(models.TextChoices):
    RATING = "rating", _("Rating 1–5")
    NPS = "nps", _("Likelihood to recommend 0–10")
    CHOICE = "choice", _("Single choice")
    TEXT = "text", _("Free text")


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions", verbose_name=_("questionnaire")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    type = models.CharField(_("type"), max_length=10, choices=QuestionType.choices)
    text = models.CharField(_("question"), max_length=200)
    # The options of a single-choice question, one per line.
    options = models.TextField(_("options (one per line)"), blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["questionnaire", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "position"], name="question_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.type == QuestionType.CHOICE and len(self.option_list) < 2:
            raise ValidationError({"options": _("A single-choice question needs at least two options.")})


class InvitationStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("invitation", "Queued")
    SENDING = "sending", pgettext_lazy("invitation", "Sending")
    SENT = "sent", pgettext_lazy("invitation", "Sent")
    FAILED = "failed", pgettext_lazy("invitation", "Failed")
    ANSWERED = "answered", pgettext_lazy("invitation", "Answered")
    EXPIRED = "expired", pgettext_lazy("invitation", "Expired")


class SurveyChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class SurveyInvitation(models.Model):
    """One shop's invitation to one questionnaire version (调查邀请): at most one routine invitation
    per shop and period, and one post-complaint invitation per ticket (database constraints, so a
    retried or doubled job cannot invite twice). Only the hashes of its links' tokens are kept
    (SurveyToken); the token itself exists only in the message sent."""

    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="survey_invitations", verbose_name=_("retailer")
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("questionnaire")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SurveyKind.choices)
    # The first day of the shop's survey period (routine), or the day the ticket closed.
    period_start = models.DateField(_("period from"))
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("complaint ticket")
    )
    # The shop's area and tier when invited, stored so that the results group by them with one
    # scan of this table (and a shop moved later still counts where it was surveyed).
    service_area_id_at = models.BigIntegerField(_("service area"), null=True, blank=True)
    tier_at = models.CharField(_("tier"), max_length=10, blank=True, db_default="")
    channel = models.CharField(_("channel"), max_length=10, choices=SurveyChannel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0, db_default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True, db_default="")
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders"), default=0, db_default=0)
    invited_on = models.DateField(_("invited on"))
    # The first day of invited_on's month, stored so that the results group by month without a
    # date function per row (SQLite's is a Python call).
    invited_month = models.DateField(_("month invited"))
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The response's scores, stored with it (rather than summed from the answers) so that the
    # results page aggregates one table: counts of rating answers, of 4–5 ratings, of NPS answers,
    # promoters (9–10) and detractors (0–6).
    ratings = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    ratings_satisfied = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    nps_answers = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    promoters = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    detractors = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        ordering = ["-invited_on", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "period_start"],
                condition=Q(kind="routine"),
                name="survey_invitation_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ticket__isnull=False), name="survey_invitation_once_per_ticket"
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(answered_at__isnull=False),
                name="survey_invitation_answered_has_time",
            ),
        ]
        indexes = [
            # Results: one scan of this index alone (every column the aggregates read) for a period.
            models.Index(
                fields=[
                    "invited_on", "service_area_id_at", "tier_at", "invited_month", "status", "sent_at",
                    "ratings", "ratings_satisfied", "nps_answers", "promoters", "detractors", "retailer",
                ],
                name="survey_invitation_results",
            ),
            models.Index(fields=["retailer", "invited_on"], name="survey_invitation_retailer"),
            # The send and reminder sweeps.
            models.Index(fields=["status", "next_attempt_at"], name="survey_invitation_status"),
        ]

    def __str__(self) -> str:
        return f"{self.retailer_id} {self.get_kind_display()} {self.period_start} ({self.get_status_display()})"


class SurveyToken(models.Model):
    """The SHA-256 of one link's token (every message, reminders included, carries a fresh link;
    each stays valid until the invitation expires or is answered)."""

    invitation = models.ForeignKey(
        SurveyInvitation, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("invitation")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")

    def __str__(self) -> str:
        return f"{self.invitation_id}: {self.token_hash[:8]}…"


class SurveyResponse(models.Model):
    """A shop's answers to its invitation: one per invitation (the database refuses a second)."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response", verbose_name=_("invitation")
    )
    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="survey_responses", verbose_name=_("retailer")
    )
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses", verbose_name=_("questionnaire")
    )
    answered_at = models.DateTimeField(_("answered at"))
    low_score = models.BooleanField(_("low score"), default=False)
    follow_up = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("follow-up visit")
    )

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["retailer", "answered_at"], name="survey_response_retailer")]

    def __str__(self) -> str:
        return f"{self.retailer_id} @ {self.answered_at:%Y-%m-%d}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(
        SurveyResponse, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response")
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("question"))
    # A rating (1–5) or NPS answer (0–10); the chosen option or the text of the others.
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    text = models.TextField(_("answer"), blank=True)

    class Meta:
        ordering = ["response", "question__position"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once_per_question"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=10), name="survey_answer_score_0_to_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}: {self.score if self.score is not None else self.text[:20]}"


class SurveyResultCell(models.Model):
    """The survey figures of one month (invited), service area and tier: the invitations' stored
    scores summed, kept so that the results page reads a few thousand rows rather than every
    invitation. Recomputed from the invitations for the cells a send or an answer touches (under a
    row lock), and rebuilt whole by `survey_results_rebuild`."""

    month = models.DateField(_("month"))
    service_area_id = models.BigIntegerField(_("service area"))
    tier = models.CharField(_("tier"), max_length=10, blank=True)
    invited = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    ratings_satisfied = models.PositiveIntegerField(default=0)
    nps_answers = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("survey figures")
        verbose_name_plural = _("survey figures")
        constraints = [
            models.UniqueConstraint(fields=["month", "service_area_id", "tier"], name="survey_result_cell_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.service_area_id} {self.tier}"
