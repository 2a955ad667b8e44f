"""What the points ledger tells managers, said in the reader's language when shown (see
crm_site.stored_messages). Imported by LoyaltyConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from crm_site import stored_messages as sm

POINTS_EXPIRING = sm.register(
    "loyalty.points_expiring",
    _("Points of %(shops)s of your shops expire soon (the first on %(day)s)."),
    shops=sm.COUNT,
    day=sm.TEXT,
)
