from crm_site.navigation import areas_for, may_open
from crm_site.roles import user_roles


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_areas": [], "nav_roles": []}
    context = {"nav_areas": areas_for(user), "nav_roles": user_roles(user), "unread_notifications": 0}
    if may_open(user, "complaints"):
        from complaints.models import Notification

        context["unread_notifications"] = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return context
