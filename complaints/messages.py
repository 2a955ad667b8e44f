"""The sentences complaints writes into ticket events and notifications, said in the reader's
language when shown (see crm_site.stored_messages). Imported by ComplaintsConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from complaints.models import Status
from crm_site import stored_messages as sm

DUE_SOON = sm.register(
    "complaints.due_soon",
    _("%(number)s: “%(step)s” is due at %(due)s."),
    number=sm.TEXT,
    step=sm.Choice(Status),
    due=sm.DATETIME,
)
ESCALATED = sm.register(
    "complaints.escalated",
    _("%(number)s is overdue at “%(step)s” (due %(due)s); escalated to the supervisor."),
    number=sm.TEXT,
    step=sm.Choice(Status),
    due=sm.DATETIME,
)
ASSIGNED = sm.register("complaints.assigned", _("Assigned to %(owner)s."), owner=sm.TEXT)
RATED = sm.register(
    "complaints.rated",
    _("Satisfaction %(score)s/5: %(comment)s"),
    score=sm.COUNT,
    comment=sm.TEXT,
)
