"""Visits (拜访): a planned or logged contact of a sales manager with a shop."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from retailers.models import Retailer


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
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.retailer_id} @ {self.planned_on} ({self.get_status_display()})"
