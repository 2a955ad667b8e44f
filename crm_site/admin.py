from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from crm_site.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("CRM"), {"fields": ("display_name", "phone")}))
    list_display = ["username", "display_name", "email", "is_active", "is_staff"]
