from django import template

from analytics.selectors import format_change

register = template.Library()


@register.filter
def change(value):
    """{{ figure.change_previous|change }} -> +12.5% / −3.0% / —."""
    return format_change(value)
