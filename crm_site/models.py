from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A member of staff. Roles are groups (see roles.py); service areas and regions hang off
    retailers.ServiceArea.managers and retailers.Region.supervisors."""

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    LABEL_FIELDS = ("display_name", "first_name", "last_name", "username")  # all that __str__ reads

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class ExportLog(models.Model):
    """Who exported what (retailer data is sensitive): one row per Excel download."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="exports", verbose_name=_("user"))
    kind = models.CharField(_("what"), max_length=60)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.row_count}"


class ExportJob(models.Model):
    """A large export written by a worker to a file, downloaded later by the user who asked."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="export_jobs", verbose_name=_("user"))
    kind = models.CharField(_("what"), max_length=60)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    # Rows written: counted up while the file is written, the total once it is done.
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    # What the job has to say (crm_site.messages), said in the reader's language; `text` holds it
    # in the site's language, and is all that jobs from before the codes have (shown as it is).
    message = models.JSONField(_("message"), default=dict, blank=True)
    text = models.CharField(_("message text"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def kind_label(self) -> str:
        from crm_site.exports import export_label

        return export_label(self.kind)


def validate_site_path(value: str) -> None:
    """A link inside this site (/complaints/12/), never to another host or a script."""
    if not value.startswith("/") or value.startswith("//"):
        raise ValidationError(_("Enter a path on this site, starting with a single /."))


class Notification(models.Model):
    """A message for one user in the navbar bell, with a link to what it is about (a ticket, a
    shop …). Any app sends them through crm_site.notifications; the link is the page's path when
    it was sent, so the bell lists and opens notifications without knowing the other apps' models."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient"))
    text = models.CharField(_("text"), max_length=300)
    # The code and parameters of `text` (crm_site.stored_messages), so the bell says it in the
    # reader's language; `text` is the site's language, for e-mail and for rows without a code.
    message = models.JSONField(_("message"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, validators=[validate_site_path])
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="crm_notification_user_unread")]

    def __str__(self) -> str:
        return self.text
