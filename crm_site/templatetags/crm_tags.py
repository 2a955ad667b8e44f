from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def select_options(bound_field) -> SafeString:
    """The <option>s of a choice field, rendered in Python: a filter with a thousand service
    areas would otherwise spend most of the page's time in the template loop."""
    value = bound_field.value()
    current = {str(item) for item in (value if isinstance(value, list) else [value])}
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((choice, " selected" if str(choice) in current else "", label) for choice, label in bound_field.field.choices),
    )
