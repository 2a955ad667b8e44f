from django import template

from crm_site.navigation import data_links_for

register = template.Library()


@register.simple_tag(takes_context=True)
def data_menu(context) -> dict:
    """The navbar's Data menu for the current user: its links, and whether one of them is open."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"links": [], "active": False}
    links = data_links_for(user)
    current = request.resolver_match.view_name if request.resolver_match else ""
    return {"links": links, "active": any(link.url_name == current for link in links), "current": current}
