"""What a grading run's note says, said in the reader's language when shown (see
crm_site.stored_messages). Imported by GradingConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from crm_site import stored_messages as sm

SPLIT_AS_TARGETED = sm.register("grading.split_as_targeted", _("Split as targeted."))
SPLIT_OFF = sm.register(
    "grading.split_off",
    _(
        "Overrides push the split outside the tolerance: %(key)s key accounts against a target of "
        "%(key_target)s, %(special)s special accounts against %(special_target)s."
    ),
    key=sm.COUNT,
    key_target=sm.COUNT,
    special=sm.COUNT,
    special_target=sm.COUNT,
)
FAILED = sm.register("grading.failed", _("The run failed: %(error)s"), error=sm.TEXT)
NOT_QUEUED = sm.register(
    "grading.not_queued", _("The run could not be queued (is the task queue running?): %(error)s"), error=sm.TEXT
)
ABANDONED = sm.register("grading.abandoned", _("Abandoned: no progress for %(hours)s hours."), hours=sm.COUNT)
