"""Complaint tickets: a five-step workflow with an owner and a deadline on every step."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.attachments import CONTENT_CHECKS
from retailers.models import Retailer


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    COUNTER = "counter", _("Counter")
    ONLINE = "online", _("Online")
    MANAGER = "manager", _("Reported by a sales manager")
    LETTER = "letter", _("Letter")


class Category(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    DELIVERY = "delivery", pgettext_lazy("complaint category", "Delivery")
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    SUPPLY = "supply", _("Supply and allocation")
    PRICE = "price", _("Price")
    COUNTERFEIT = "counterfeit", _("Counterfeit or smuggled goods")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    """The step a ticket is in; each open step has an owner and a due time."""

    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Investigating")
    RESOLVING = "resolving", _("Resolving")
    REPLYING = "replying", _("Replying to the shop")
    FOLLOWING_UP = "following_up", _("Follow-up call")
    CLOSED = "closed", pgettext_lazy("ticket step", "Closed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (Status.RECEIVED, Status.INVESTIGATING, Status.RESOLVING, Status.REPLYING, Status.FOLLOWING_UP)
UNSATISFIED_AT_OR_BELOW = 2  # a follow-up satisfaction of 1 or 2 sends the ticket back to resolving


class Ticket(models.Model):
    number = models.CharField(_("ticket number"), max_length=20, unique=True)
    retailer = models.ForeignKey(Retailer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("retailer"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    description = models.TextField(_("description"))
    status = models.CharField(_("step"), max_length=15, choices=Status.choices, default=Status.RECEIVED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_tickets",
        verbose_name=pgettext_lazy("ticket owner", "owner"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("logged by")
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    step_started_at = models.DateTimeField(_("step started at"))
    step_due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    step_warn_at = models.DateTimeField(_("step due soon from"), null=True, blank=True)
    due_soon_notified = models.BooleanField(default=False, editable=False)
    overdue_escalated = models.BooleanField(default=False, editable=False)
    findings = models.TextField(_("investigation findings"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    reply = models.TextField(_("reply to the shop"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    satisfaction_comment = models.CharField(_("satisfaction comment"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint ticket")
        verbose_name_plural = _("complaint tickets")
        permissions = [
            ("work_ticket", _("Can move tickets through the workflow")),
            ("reopen_ticket", _("Can reopen closed or rejected tickets")),
            ("view_ticket_report", _("Can see the complaints report")),
        ]
        indexes = [
            models.Index(fields=["status", "step_due_at"], name="ticket_status_due"),
            models.Index(fields=["owner", "status"], name="ticket_owner_status"),
            models.Index(fields=["retailer", "status"], name="ticket_retailer_status"),
            models.Index(fields=["created_at", "id"], name="ticket_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    CREATED = "created", _("Logged")
    MOVED = "moved", _("Step changed")
    ASSIGNED = "assigned", _("Assigned")
    NOTE = "note", _("Note")
    DUE_SOON = "due_soon", _("Due soon")
    ESCALATED = "escalated", _("Escalated (overdue)")
    ATTACHMENT = "attachment", _("Attachment added")


class TicketEvent(models.Model):
    """Append-only log of everything that happened to a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"))
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    from_status = models.CharField(_("from"), max_length=15, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=15, choices=Status.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    # A sentence the system wrote (escalated, assigned …): its code and parameters, said in the
    # reader's language (crm_site.stored_messages); `text` then holds it in the site's language.
    # Empty for what a person typed (a note, findings, a reason), which `text` keeps as typed.
    message = models.JSONField(_("message"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    # For a step change: the deadline of the step that ended, and whether it ended in time (for the report).
    step_due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    on_time = models.BooleanField(_("in time"), null=True, blank=True)
    # For a follow-up: the shop's rating. Kept on the event, not only on the ticket, because a
    # ticket rated twice (or reopened after its rating) keeps just its last one; the report counts all.
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_event_satisfaction_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("ticket events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("ticket events are append-only")


ATTACHMENT_EXTENSIONS = list(CONTENT_CHECKS)  # each allowed extension has its content check
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket"))
    file = models.FileField(
        _("file"), upload_to="tickets/%Y/%m/", validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS)]
    )
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.file.name

    @property
    def filename(self) -> str:
        """The stored file's own name, without the upload folders."""
        return self.file.name.rsplit("/", 1)[-1]


class StandardAnswer(models.Model):
    """统一投诉回答标准: reply templates per category that clerks start from."""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("answer"))
    is_active = models.BooleanField(pgettext_lazy("standard answer in use", "active"), default=True)

    class Meta:
        ordering = ["category", "title"]
        verbose_name = _("standard answer")
        verbose_name_plural = _("standard answers")

    def __str__(self) -> str:
        return self.title


class SlaPolicy(models.Model):
    """Deadlines per category. Acknowledgement and resolution also have a tier limit
    (grading's service policy); the stricter of the two applies."""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices, unique=True)
    acknowledge_minutes = models.PositiveSmallIntegerField(_("acknowledge within (minutes)"), default=30)
    verify_hours = models.PositiveSmallIntegerField(_("verify within (hours)"), default=8)
    resolve_hours = models.PositiveSmallIntegerField(_("resolve within (hours)"), default=24)
    reply_hours = models.PositiveSmallIntegerField(_("reply within (hours)"), default=8)
    follow_up_hours = models.PositiveSmallIntegerField(_("follow up within (hours)"), default=48)
    working_hours = models.BooleanField(
        _("clock runs on working hours"),
        default=True,
        help_text=_("Off: calendar hours, around the clock."),
    )
    due_soon_percent = models.PositiveSmallIntegerField(
        _("warn when this share of the time is used (%)"), default=80, validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["category"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.get_category_display()


class TicketCounter(models.Model):
    """The last ticket number issued per year (TS-2026-000123), incremented under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
