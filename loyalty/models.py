"""The points ledger (积分): accounts, immutable entries, earn rules, rewards and redemptions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from retailers.models import PriceClass, Retailer, Tier


class EntryKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    NEW_PRODUCT = "new_product", _("New product")
    SURVEY = "survey", _("Survey answered")
    FEEDBACK = "feedback", _("Visit feedback")
    REFERRAL = "referral", _("Referral")
    CORRECTION = "correction", _("Order correction")
    REDEEM = "redeem", _("Redemption")
    REFUND = "refund", _("Refund of a cancelled redemption")
    EXPIRE = "expire", pgettext_lazy("points", "Expired")
    ADJUST = "adjust", _("Manual adjustment")


# Entries whose source is an order (source_id is the order's id).
ORDER_KINDS = (EntryKind.PURCHASE, EntryKind.NEW_PRODUCT, EntryKind.CORRECTION)
# Entries that never add points / never take them away (checked by the database).
POSITIVE_KINDS = (EntryKind.PURCHASE, EntryKind.NEW_PRODUCT, EntryKind.SURVEY, EntryKind.FEEDBACK,
                  EntryKind.REFERRAL, EntryKind.REFUND)  # fmt: skip
NEGATIVE_KINDS = (EntryKind.REDEEM, EntryKind.EXPIRE)


class PointsAccount(models.Model):
    """One shop's points account: its balance and nothing else."""

    retailer = models.OneToOneField(
        Retailer, on_delete=models.PROTECT, related_name="points_account", verbose_name=_("retailer")
    )
    # Stored rather than summed so that a redemption checks and holds points with one conditional
    # UPDATE under the row lock; every change is made in the transaction that writes its entry, and
    # the reconciliation job proves it equals the sum of the entries.
    balance = models.IntegerField(_("balance"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        permissions = [
            ("adjust_points", _("Can adjust points by hand")),
            ("view_points_overview", _("Can see the points ledger overview")),
        ]
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")]

    def __str__(self) -> str:
        return str(self.retailer_id)


class ImmutableEntry(Exception):
    """A ledger entry was to be changed or deleted: corrections are new entries."""


class PointsEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableEntry("points entries are never updated")

    def delete(self):
        raise ImmutableEntry("points entries are never deleted")


class PointsEntry(models.Model):
    """One immutable line of the ledger (积分流水).

    `source_id` is what the entry came from, by kind: the order (purchase, new product, correction),
    the survey response, the visit (feedback), the referred shop (referral), the redemption (redeem,
    refund), the account (expire); a manual adjustment has none but a user and a reason. With
    `revision` (the n-th correction of an order, the day of an expiry run) it is unique per kind,
    so that no source earns twice however often a job runs."""

    # The account's lookups use the statement index (account, id); a single-column index besides
    # would only be one more to write per entry (and out of order: a job books order after order).
    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))
    source_id = models.BigIntegerField(_("source"), null=True, blank=True)
    revision = models.IntegerField(_("revision"), default=0)
    # The business day the entry belongs to (order date, answer date, the day of the action).
    booked_on = models.DateField(_("date"))
    # Earnings only: the last day the points may be spent.
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # Order entries: the order's amount they were computed from (a changed order is noticed by it).
    basis = models.DecimalField(_("order amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        db_index=False,  # the partial index below: the jobs' millions of entries have no user
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [
            models.Index(fields=["account", "id"], name="points_entry_statement"),
            models.Index(fields=["created_by"], name="points_entry_user", condition=Q(created_by__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_id", "revision"], name="points_entry_once_per_source"),
            models.CheckConstraint(condition=~Q(points=0), name="points_entry_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind__in=POSITIVE_KINDS) | Q(points__gt=0), name="points_entry_earning_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=NEGATIVE_KINDS) | Q(points__lt=0), name="points_entry_spending_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.ADJUST) | (Q(created_by__isnull=False) & ~Q(reason="")),
                name="points_entry_adjustment_has_user_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableEntry("points entries are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEntry("points entries are never deleted")


class RemovedOrder(models.Model):
    """An order deleted after it may have earned: the nightly corrections reverse its entries (a
    changed order is found by its `updated_at`; a deleted one leaves only this row)."""

    order_id = models.BigIntegerField(_("order"), unique=True)
    removed_at = models.DateTimeField(_("removed at"), default=timezone.now)

    class Meta:
        verbose_name = _("removed order")
        verbose_name_plural = _("removed orders")

    def __str__(self) -> str:
        return str(self.order_id)


class ExpiryMode(models.TextChoices):
    MONTHS = "months", _("At the end of the month, N months after the earning")
    NEXT_YEAR_END = "next_year_end", _("At the end of the next calendar year")


class PointsPolicy(models.Model):
    """How long points last and when shops are warned (one row, edited by admins)."""

    expiry_mode = models.CharField(_("points expire"), max_length=15, choices=ExpiryMode.choices,
                                   default=ExpiryMode.MONTHS)  # fmt: skip
    expiry_months = models.PositiveSmallIntegerField(_("months"), default=12, validators=[MinValueValidator(1)])
    warning_days = models.PositiveSmallIntegerField(_("warn days before expiry"), default=30)
    # How far back the nightly job looks for changed or deleted orders.
    correction_days = models.PositiveSmallIntegerField(_("check orders changed within (days)"), default=35)

    class Meta:
        verbose_name = _("points policy")
        verbose_name_plural = _("points policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class RuleKind(models.TextChoices):
    PURCHASE = "purchase", _("Points per yuan of purchase")
    NEW_PRODUCT = "new_product", _("Bonus per carton of a new product")
    SURVEY = "survey", _("Points per answered survey")
    FEEDBACK = "feedback", _("Points per visit with feedback")
    REFERRAL = "referral", _("Points per referred shop (at its first order)")


class EarnRule(models.Model):
    """What earns how many points, from when to when: data that admins edit.

    At most one rule of a kind (and price class) is valid on any day; a purchase rule with a price
    class replaces the general rate for that class's lines."""

    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    points = models.DecimalField(
        _("points"), max_digits=8, decimal_places=3, validators=[MinValueValidator(0)],
        help_text=_("per yuan, per carton, per survey, per visit or per referred shop, by kind"),
    )  # fmt: skip
    price_class = models.PositiveSmallIntegerField(_("price class"), choices=PriceClass.choices, null=True, blank=True)
    new_product_days = models.PositiveSmallIntegerField(
        _("days after launch"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "price_class", "-valid_from"]
        verbose_name = _("earn rule")
        verbose_name_plural = _("earn rules")
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="earn_rule_points_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="earn_rule_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(price_class__isnull=True) | Q(kind=RuleKind.PURCHASE), name="earn_rule_class_for_purchase"
            ),
            models.CheckConstraint(
                condition=~Q(kind=RuleKind.NEW_PRODUCT) | Q(new_product_days__isnull=False),
                name="earn_rule_new_product_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points}"

    def clean(self) -> None:
        if self.price_class and self.kind != RuleKind.PURCHASE:
            raise ValidationError({"price_class": _("Only a purchase rule has a price class.")})
        if self.kind == RuleKind.NEW_PRODUCT and not self.new_product_days:
            raise ValidationError({"new_product_days": _("Say within how many days of its launch a product earns.")})
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end of the period is before its start.")})
        if self.valid_from and self.kind:
            overlapping = EarnRule.objects.filter(kind=self.kind, price_class=self.price_class).exclude(pk=self.pk)
            overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))
            if self.valid_to:
                overlapping = overlapping.filter(valid_from__lte=self.valid_to)
            if overlapping.exists():
                raise ValidationError({"valid_from": _("Another rule of this kind is valid in this period.")})


class Reward(models.Model):
    """A reward in the catalogue (display rack, gift, training, service)."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    points_price = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    stock = models.IntegerField(_("stock"), default=0, validators=[MinValueValidator(0)])
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    # The tiers (retailers.Tier values) whose shops may redeem it; empty: every shop.
    eligible_tiers = models.JSONField(_("tiers that may redeem"), default=list, blank=True)

    class Meta:
        ordering = ["points_price", "name"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="reward_stock_not_negative"),
            models.CheckConstraint(condition=Q(points_price__gt=0), name="reward_price_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="reward_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = set(self.eligible_tiers or []) - set(Tier.values)
        if unknown:
            raise ValidationError({"eligible_tiers": _("Unknown tier.")})
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end of the period is before its start.")})

    @property
    def tier_labels(self) -> str:
        labels = dict(Tier.choices)
        return "、".join(str(labels[tier]) for tier in self.eligible_tiers) if self.eligible_tiers else ""


class RedemptionStatus(models.TextChoices):
    FILED = "filed", _("Filed")
    APPROVED = "approved", _("Approved")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", pgettext_lazy("redemption", "Cancelled")


class Redemption(models.Model):
    """A shop's redemption of a reward: filed (points held) → approved → fulfilled, or cancelled
    (points refunded)."""

    # Each status and the statuses that may follow it (one set_status checks it).
    PIPELINE = {
        RedemptionStatus.FILED: (RedemptionStatus.APPROVED, RedemptionStatus.CANCELLED),
        RedemptionStatus.APPROVED: (RedemptionStatus.FULFILLED, RedemptionStatus.CANCELLED),
        RedemptionStatus.FULFILLED: (),
        RedemptionStatus.CANCELLED: (),
    }

    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("account")
    )
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward"))
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(_("status"), max_length=10, choices=RedemptionStatus.choices,
                              default=RedemptionStatus.FILED)  # fmt: skip
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        permissions = [("approve_redemption", _("Can approve, fulfil and cancel redemptions"))]
        indexes = [models.Index(fields=["status", "filed_at"], name="redemption_queue")]
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="redemption_points_positive")]

    def __str__(self) -> str:
        return f"{self.reward} ({self.get_status_display()})"


class RedemptionStatusChange(models.Model):
    """Who moved a redemption from which status to which, when, and why."""

    redemption = models.ForeignKey(Redemption, on_delete=models.CASCADE, related_name="changes",
                                   verbose_name=_("redemption"))  # fmt: skip
    old_status = models.CharField(_("from"), max_length=10, choices=RedemptionStatus.choices, blank=True)
    new_status = models.CharField(_("to"), max_length=10, choices=RedemptionStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    changed_at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("redemption status change")
        verbose_name_plural = _("redemption status changes")

    def __str__(self) -> str:
        return f"{self.old_status} → {self.new_status}"


class Watermark(models.Model):
    """How far a puller has read a source (orders, survey answers, visits): the last id it earned
    for, and the day it last ran. Its row is also the puller's lock."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    last_id = models.BigIntegerField(_("last id"), default=0)
    ran_on = models.DateField(_("last run"), null=True, blank=True)

    class Meta:
        verbose_name = _("watermark")
        verbose_name_plural = _("watermarks")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"


class ExpiryWarning(models.Model):
    """A shop's manager was warned that its points expire on a day (at most once per day)."""

    account = models.ForeignKey(PointsAccount, on_delete=models.CASCADE, related_name="+", verbose_name=_("account"))
    expires_on = models.DateField(_("expires on"))
    points = models.PositiveIntegerField(_("points"))
    warned_at = models.DateTimeField(_("warned at"), default=timezone.now)

    class Meta:
        verbose_name = _("expiry warning")
        verbose_name_plural = _("expiry warnings")
        constraints = [models.UniqueConstraint(fields=["account", "expires_on"], name="expiry_warning_once")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.expires_on}"
