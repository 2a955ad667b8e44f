from crm_site.navigation import areas_for
from crm_site.notifications import notifications_unread_count
from crm_site.roles import user_roles


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_areas": [], "nav_roles": []}
    roles = user_roles(user)
    # The bell shows for users with a role (the navbar's rule); only then is it counted.
    unread = notifications_unread_count(user=user) if roles else 0
    return {"nav_areas": areas_for(user), "nav_roles": roles, "unread_notifications": unread}
