from crm_site.navigation import areas_for
from crm_site.roles import user_roles


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_areas": [], "nav_roles": []}
    return {"nav_areas": areas_for(user), "nav_roles": user_roles(user)}
