from django.core.wsgi import get_wsgi_application

from crm_site.settings_loader import configure_settings_module

configure_settings_module()
application = get_wsgi_application()
