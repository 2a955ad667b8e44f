"""What an export job says, said in the reader's language when shown (see
crm_site.stored_messages). Imported by CrmSiteConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from crm_site import stored_messages as sm

EXPORT_FAILED = sm.register("crm_site.export_failed", _("The export failed: %(error)s"), error=sm.TEXT)
EXPORT_NOT_PERMITTED = sm.register("crm_site.export_not_permitted", _("You may no longer export this list."))
