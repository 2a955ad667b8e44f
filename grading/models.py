"""Grading: the policy, its runs, each shop's grade per run, overrides and the service policy per tier."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm_site.stored_messages import render
from retailers.models import Retailer, Tier


class RankingScope(models.TextChoices):
    COMPANY = "company", _("The whole company")
    REGION = "region", _("Within each region")


def percent_field(label: str, default: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, default=default, validators=[MaxValueValidator(100)])


class GradingPolicy(models.Model):
    """How shops are scored and split. One row (pk=1) that admins edit; every run keeps a snapshot.

    Weights are points out of 100 over percentile-ranked signals; the compliance weight is
    subtracted in proportion to the findings in the window (capped at COMPLIANCE_CAP).
    """

    weight_amount = percent_field(_("weight: 12-month purchase amount"), 40)
    weight_cartons = percent_field(_("weight: cartons"), 15)
    weight_frequency = percent_field(_("weight: order frequency"), 15)
    weight_high_end = percent_field(_("weight: high-end share"), 10)
    weight_low_tar = percent_field(_("weight: low-tar share"), 5)
    weight_brand_variety = percent_field(_("weight: brand variety"), 5)
    weight_tenure = percent_field(_("weight: months as a partner"), 5)
    weight_credit = percent_field(_("weight: credit level"), 5)
    weight_compliance_penalty = percent_field(_("penalty: compliance findings"), 10)

    key_percent = percent_field(_("key accounts (%)"), 25)
    special_percent = percent_field(_("special accounts (%)"), 5)
    tolerance_percent = models.DecimalField(
        _("tolerance of the split (percentage points)"), max_digits=4, decimal_places=1, default=2
    )
    scope = models.CharField(
        _("ranking scope"), max_length=10, choices=RankingScope.choices, default=RankingScope.COMPANY
    )
    levels = models.PositiveSmallIntegerField(
        _("number of levels (档位)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(100)]
    )
    window_months = models.PositiveSmallIntegerField(
        _("months of orders considered"), default=12, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    require_active = models.BooleanField(_("grade only active shops"), default=True)
    require_valid_license = models.BooleanField(_("grade only shops with a valid licence"), default=True)
    nightly_hour = models.PositiveSmallIntegerField(
        _("nightly run: hour"), default=2, validators=[MaxValueValidator(23)]
    )
    nightly_minute = models.PositiveSmallIntegerField(
        _("nightly run: minute"), default=30, validators=[MaxValueValidator(59)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("grading policy")
        verbose_name_plural = _("grading policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(key_percent__gte=0) & Q(special_percent__gte=0),
                name="grading_policy_split_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Grading policy"))


# The policy's settings in the groups the form and a run's page show them in.
WEIGHT_FIELDS = [
    "weight_amount", "weight_cartons", "weight_frequency", "weight_high_end", "weight_low_tar",
    "weight_brand_variety", "weight_tenure", "weight_credit", "weight_compliance_penalty",
]  # fmt: skip
SPLIT_FIELDS = ["key_percent", "special_percent", "tolerance_percent", "scope", "levels"]
ELIGIBILITY_FIELDS = ["window_months", "require_active", "require_valid_license", "nightly_hour", "nightly_minute"]


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    """What started a run: the nightly schedule, a user on the grading page, or `manage.py run_grading`."""

    SCHEDULE = "schedule", _("Schedule")
    ON_DEMAND = "on_demand", _("On demand")
    COMMAND = "command", _("Command line")


class RunStage(models.TextChoices):
    """The steps of a run in the order they happen, shown as its progress."""

    READING = "reading", _("Reading orders and findings")
    SCORING = "scoring", _("Scoring and ranking")
    WRITING = "writing", _("Writing grades and tiers")


class GradingRun(models.Model):
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    trigger = models.CharField(
        _("started from"), max_length=10, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE
    )
    stage = models.CharField(_("stage"), max_length=10, choices=RunStage.choices, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    as_of = models.DateField(_("graded as of"))
    policy_snapshot = models.JSONField(_("policy used"), default=dict)
    graded_count = models.PositiveIntegerField(_("shops graded"), default=0)
    tier_counts = models.JSONField(_("shops per tier"), default=dict)
    # Per service area (as of the run): {"<area id>": {"key": n, "ordinary": n, "special": n, "up": n,
    # "down": n, "overridden": n}}; a user's figures are the sum over the areas they may see.
    area_counts = models.JSONField(_("figures per service area"), default=dict)
    override_count = models.PositiveIntegerField(_("overrides applied"), default=0)
    moved_up = models.PositiveIntegerField(_("moved up"), default=0)
    moved_down = models.PositiveIntegerField(_("moved down"), default=0)
    within_tolerance = models.BooleanField(_("split within tolerance"), default=True)
    # The run's note (grading.messages), said in the reader's language; `text` holds it in the
    # site's language, and is all that runs from before the codes have (shown as it is).
    message = models.JSONField(_("note"), default=dict, blank=True)
    text = models.TextField(_("message"), blank=True)
    seconds = models.DecimalField(_("duration (s)"), max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("grading run")
        verbose_name_plural = _("grading runs")
        constraints = [
            # At most one run pending or running at any time: a second start is refused by the database.
            models.UniqueConstraint(
                models.Value(1),
                condition=Q(status__in=["pending", "running"]),
                name="grading_one_active_run",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of} {self.get_status_display()}"

    @property
    def note(self) -> str:
        """The run's note in the reader's language."""
        return render(self.message, fallback=self.text)

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.PENDING, RunStatus.RUNNING)

    @property
    def elapsed(self) -> datetime.timedelta:
        """How long the run has taken so far (or took), from its creation."""
        return (self.finished_at or timezone.now()) - self.created_at

    @property
    def stage_number(self) -> int:
        """1, 2, 3 for the stages in order; 0 before the first."""
        return RunStage.values.index(self.stage) + 1 if self.stage else 0


class Movement(models.IntegerChoices):
    DOWN = -1, _("Moved down")
    SAME = 0, _("Unchanged")
    UP = 1, _("Moved up")
    NEW = 2, _("Newly graded")


class RetailerGrade(models.Model):
    """One shop's grade in one run, with every signal and its contribution (the explanation)."""

    # Lookups by run use the unique (run, retailer) index and by shop (retailer, run): single-column
    # indexes would only slow the nightly insert of 300,000 rows.
    run = models.ForeignKey(
        GradingRun, on_delete=models.CASCADE, related_name="grades", verbose_name=_("run"), db_index=False
    )
    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="grades", verbose_name=_("retailer"), db_index=False
    )
    scope_key = models.CharField(_("ranking scope"), max_length=20)
    amount = models.DecimalField(_("12-month amount (yuan)"), max_digits=14, decimal_places=2)
    cartons = models.PositiveIntegerField(_("cartons"))
    order_count = models.PositiveIntegerField(_("orders"))
    high_end_share = models.FloatField(_("high-end share"))
    low_tar_share = models.FloatField(_("low-tar share"))
    brand_variety = models.FloatField(_("brands per order"))
    tenure_months = models.PositiveIntegerField(_("months as a partner"))
    credit_points = models.PositiveSmallIntegerField(_("credit points"))
    compliance_count = models.PositiveIntegerField(_("compliance findings"))
    # Normalised signals (percentile ranks, 0–1) as used in the score.
    normalised = models.JSONField(_("normalised signals"))
    score = models.FloatField(_("score"))
    rank = models.PositiveIntegerField(_("rank"))
    percentile = models.FloatField(_("percentile"))
    computed_tier = models.CharField(_("tier by score"), max_length=10, choices=Tier.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    overridden = models.BooleanField(_("overridden"), default=False)
    level = models.PositiveSmallIntegerField(_("level (档位)"))
    stars = models.PositiveSmallIntegerField(_("stars"))
    previous_tier = models.CharField(_("previous tier"), max_length=10, choices=Tier.choices, blank=True)
    movement = models.SmallIntegerField(_("movement"), choices=Movement.choices, default=Movement.SAME)

    class Meta:
        verbose_name = _("retailer grade")
        verbose_name_plural = _("retailer grades")
        constraints = [
            models.UniqueConstraint(fields=["run", "retailer"], name="grade_one_per_run_and_retailer"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="grade_stars_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["retailer", "run"], name="grade_retailer_run"),
            # Only the movers are looked up by movement: a partial index keeps the nightly insert light;
            # in rank order, so that a run's first movers are read from it without sorting every grade.
            models.Index(fields=["run", "movement", "rank"], name="grade_run_movers_rank", condition=~Q(movement=0)),
        ]

    def __str__(self) -> str:
        return f"{self.retailer_id} @ run {self.run_id}: {self.tier}"


class TierOverride(models.Model):
    """A supervisor pins a shop to a tier, with a reason, until a date."""

    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="tier_overrides", verbose_name=_("retailer")
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    reason = models.CharField(_("reason"), max_length=200)
    expires_on = models.DateField(_("expires on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Who ended it (a revoke, or a new override of the shop); empty when it ran out on its date.
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["retailer"], condition=Q(revoked_at__isnull=True), name="override_one_live_per_retailer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.retailer_id} → {self.tier}"

    @property
    def expired(self) -> bool:
        """It ran out on its date (the daily job ended it), rather than being revoked by someone."""
        return (
            self.revoked_at is not None
            and self.revoked_by_id is None
            and timezone.localdate(self.revoked_at) > self.expires_on
        )


class ServicePolicy(models.Model):
    """What each tier is entitled to; other apps read it through grading.selectors.service_policy_for."""

    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, unique=True)
    visit_interval_days = models.PositiveSmallIntegerField(_("visit every (days)"), validators=[MinValueValidator(1)])
    complaint_response_minutes = models.PositiveSmallIntegerField(_("complaint acknowledgement (minutes)"))
    complaint_resolution_hours = models.PositiveSmallIntegerField(_("complaint resolution (hours)"))
    scarce_priority_weight = models.DecimalField(_("scarce-supply priority weight"), max_digits=5, decimal_places=2)
    points_multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2)
    survey_interval_days = models.PositiveSmallIntegerField(_("survey every (days)"), validators=[MinValueValidator(1)])
    history = HistoricalRecords()

    class Meta:
        ordering = ["tier"]
        verbose_name = _("service policy")
        verbose_name_plural = _("service policies")

    def __str__(self) -> str:
        return self.get_tier_display()


# ---------------------------------------------------------------------------------------------
# Scarce-supply allocation (货源投放): rule sets, allocations (one per product, period and
# version) and their lines (one per shop, with the explanation of its number).


class AllocationMode(models.TextChoices):
    LEVEL = "level", _("By level (档位)")
    BUSINESS_TYPE = "business_type", _("By level within each business type (业态)")
    MARKET_TYPE = "market_type", _("By level within each market type (市场类型)")
    REGION = "region", _("By level within each region")
    PRICE_BAND = "price_band", _("By price band (价位段)")
    NAMED = "named", _("Named shops, fixed quantities (选点定量)")


class QuotaKind(models.TextChoices):
    CARTONS = "cartons", _("Cartons per shop of each level")
    WEIGHT = "weight", _("A weight per level")


class HistorySource(models.TextChoices):
    NONE = "none", _("Not used")
    PURCHASES = "purchases", _("Cartons of the product bought in the last weeks")
    UPTAKE = "uptake", _("Share of the last allocation the shop ordered")


class PeriodKind(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class AllocationRuleSet(models.Model):
    """How an allocation shares a product: who is eligible, the quota per 档位, the factors and
    the cap. Admins and supervisors edit it; an allocation keeps a snapshot of the rules it used."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    mode = models.CharField(_("mode"), max_length=20, choices=AllocationMode.choices, default=AllocationMode.LEVEL)
    quota_kind = models.CharField(
        _("quota table holds"), max_length=10, choices=QuotaKind.choices, default=QuotaKind.WEIGHT
    )
    # {"<档位>": number}: cartons per shop, or a weight; a 档位 not listed gets nothing.
    quotas = models.JSONField(_("quota per level"), default=dict)
    # Price band mode: the price classes (价位段) whose products the rule set applies to.
    price_classes = models.JSONField(_("price classes (价位段)"), default=list, blank=True)
    # Within 业态 / 市场类型 / region: {"<group value>": share}; empty: the groups share by demand.
    group_shares = models.JSONField(_("share of each group"), default=dict, blank=True)
    # 选点定量: {"<licence number>": cartons}.
    named_quantities = models.JSONField(_("named shops and their cartons"), default=dict, blank=True)
    use_priority_weight = models.BooleanField(_("apply the tier's scarce-supply priority weight"), default=True)
    history_source = models.CharField(
        _("history factor"), max_length=10, choices=HistorySource.choices, default=HistorySource.NONE
    )
    history_weeks = models.PositiveSmallIntegerField(
        _("weeks of purchases considered"), default=8, validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    history_floor = models.DecimalField(
        _("history factor without history"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    cap_per_shop = models.PositiveIntegerField(_("cap per shop (cartons)"), null=True, blank=True)
    require_active = models.BooleanField(_("only active shops"), default=True)
    require_valid_licence = models.BooleanField(_("only shops whose licence is valid through the period"), default=True)
    # Shops with a finding of these kinds (ComplianceKind values) in the last N months get nothing.
    excluded_finding_kinds = models.JSONField(_("findings that exclude"), default=list, blank=True)
    finding_months = models.PositiveSmallIntegerField(
        _("months of findings considered"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    included_tiers = models.JSONField(_("tiers included (none: all)"), default=list, blank=True)
    excluded_business_types = models.JSONField(_("business types excluded"), default=list, blank=True)
    regions = models.ManyToManyField(
        "retailers.Region", blank=True, related_name="+", verbose_name=_("regions included (none: all)")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[regions])

    class Meta:
        ordering = ["name"]
        verbose_name = _("allocation rule set")
        verbose_name_plural = _("allocation rule sets")
        constraints = [
            models.CheckConstraint(
                condition=Q(cap_per_shop__isnull=True) | Q(cap_per_shop__gte=1), name="allocation_rules_cap_positive"
            ),
            models.CheckConstraint(
                condition=Q(history_floor__gte=0, history_floor__lte=1), name="allocation_rules_history_floor_0_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AllocationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded by a correction")


class Allocation(models.Model):
    """A scarce product's cartons for one period, shared among the shops (货源投放).

    A draft is recomputed as often as wanted; published, it is frozen (the services refuse any
    change and the lines keep their numbers); a correction is a new version of the same product
    and period that says what changed, and supersedes the one it corrects when it is published."""

    product = models.ForeignKey(
        "retailers.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.WEEK)
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    cartons = models.PositiveIntegerField(_("cartons available"))
    rule_set = models.ForeignKey(
        AllocationRuleSet, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("rule set")
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
        verbose_name=_("corrects"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=10, choices=AllocationStatus.choices, default=AllocationStatus.DRAFT
    )
    # The rules and the grading run the last computation used (published: what the lines were made by).
    rules_snapshot = models.JSONField(_("rules used"), default=dict, blank=True)
    grading_run = models.ForeignKey(
        GradingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("grading run")
    )
    computed_count = models.PositiveIntegerField(_("computations"), default=0)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    # Stored rather than summed from the lines: the list shows them for every allocation in one query.
    allocated = models.PositiveIntegerField(_("cartons allocated"), default=0)
    leftover = models.PositiveIntegerField(_("cartons left over"), default=0)
    eligible_count = models.PositiveIntegerField(_("eligible shops"), default=0)
    excluded_count = models.PositiveIntegerField(_("excluded shops"), default=0)
    # {"level": {"<档位>": {"shops": n, "cartons": n}}, "region": {...}, "tier": {...}, "group": {...},
    #  "exclusion": {...}, "changed": n}: the preview's totals, over all shops.
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    # What a correction changed against the version it corrects: a list of stored messages
    # (grading.messages), said in the reader's language.
    changes = models.JSONField(_("what changed"), default=list, blank=True)
    note = models.CharField(_("reason for the correction"), max_length=200, blank=True)
    # Empty for an allocation made by `manage.py allocate`.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("published by"),
    )  # fmt: skip
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    uptake_at = models.DateTimeField(_("uptake read at"), null=True, blank=True)
    ordered = models.PositiveIntegerField(_("cartons ordered"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        permissions = [("publish_allocation", _("Can publish an allocation"))]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "period_start", "version"], name="allocation_one_version_per_product_period"
            ),
            # One allocation in force per product and period: the published one.
            models.UniqueConstraint(
                fields=["product", "period_start"],
                condition=Q(status="published"),
                name="allocation_one_published_per_product_period",
            ),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="allocation_period_ordered"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("cartons")) & Q(leftover__lte=F("cartons")),
                name="allocation_within_cartons",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="allocation_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.period_start} v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.status == AllocationStatus.DRAFT

    @property
    def is_frozen(self) -> bool:
        return self.status != AllocationStatus.DRAFT


class Exclusion(models.TextChoices):
    """The rule that excluded a shop (grading.allocation's codes)."""

    INACTIVE = "inactive", _("The shop is not active")
    LICENCE = "licence", _("The licence is not valid through the period")
    COMPLIANCE = "compliance", _("A compliance finding of an excluded kind")
    TIER = "tier", _("The tier is not included")
    BUSINESS_TYPE = "business_type", _("The business type is excluded")
    REGION = "region", _("The region is not included")
    NOT_GRADED = "not_graded", _("No level (档位): not graded")
    NOT_NAMED = "not_named", _("Not one of the named shops")


class ShareLimit(models.TextChoices):
    CAP = "cap", _("The cap per shop")
    DEMAND = "demand", _("What the quota asks for")


class AllocationLine(models.Model):
    """One shop's cartons in one allocation, and how they were reached (the explanation)."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="lines", verbose_name=_("allocation")
    )
    retailer = models.ForeignKey(
        Retailer, on_delete=models.CASCADE, related_name="allocation_lines", verbose_name=_("retailer")
    )
    license_no = models.CharField(_("licence number"), max_length=15)  # as exported, even if the shop's changes
    level = models.PositiveSmallIntegerField(_("level (档位)"), null=True, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True)
    region_id = models.BigIntegerField(_("region"))
    group_key = models.CharField(_("group"), max_length=40, blank=True)
    exclusion = models.CharField(_("excluded by"), max_length=20, choices=Exclusion.choices, blank=True)
    # What the exclusion rests on: the finding's kind and date, or the licence's expiry date.
    exclusion_kind = models.CharField(_("finding kind"), max_length=20, blank=True)
    exclusion_on = models.DateField(_("date of the finding or expiry"), null=True, blank=True)
    base_quota = models.FloatField(_("base quota"))
    priority_weight = models.FloatField(_("priority weight"), null=True, blank=True)
    history_value = models.FloatField(_("history"), null=True, blank=True)
    history_factor = models.FloatField(_("history factor"), null=True, blank=True)
    demand = models.FloatField(_("demand"))
    share = models.FloatField(_("unrounded share"))
    rounded_up = models.BooleanField(_("rounded up"), default=False)
    limit = models.CharField(_("bound by"), max_length=10, choices=ShareLimit.choices, blank=True)
    cap = models.PositiveIntegerField(_("cap"), null=True, blank=True)
    cartons = models.PositiveIntegerField(_("cartons"))
    previous_cartons = models.PositiveIntegerField(_("cartons in the previous draft"), null=True, blank=True)
    ordered = models.PositiveIntegerField(_("cartons ordered"), null=True, blank=True)

    class Meta:
        verbose_name = _("allocation line")
        verbose_name_plural = _("allocation lines")
        constraints = [
            models.UniqueConstraint(fields=["allocation", "retailer"], name="allocation_line_one_per_shop"),
            models.CheckConstraint(
                condition=Q(exclusion="") | Q(cartons=0), name="allocation_line_excluded_gets_nothing"
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cartons__lte=F("cap")), name="allocation_line_within_cap"
            ),
        ]
        indexes = [
            models.Index(fields=["allocation", "license_no"], name="allocation_line_keyset"),
            models.Index(fields=["retailer", "allocation"], name="allocation_line_retailer"),
        ]

    def __str__(self) -> str:
        return f"{self.license_no}: {self.cartons}"
