from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from crm_site import formatting, stored_messages
from crm_site.forms import ignored_filter_warnings

register = template.Library()


@register.simple_tag
def select_options(bound_field, shown_choices=None) -> SafeString:
    """The <option>s of a choice field, rendered in Python (a template loop over hundreds of
    options costs most of a page's time). `shown_choices` ({field name: [(value, label), …]},
    e.g. a filter's `shown_choices()`) replaces the field's own choices where it names the field."""
    value = bound_field.value()
    current = {str(item) for item in (value if isinstance(value, list) else [value])}
    choices = (shown_choices or {}).get(bound_field.name, bound_field.field.choices)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((choice, " selected" if str(choice) in current else "", label) for choice, label in choices),
    )


@register.filter
def count(value):
    """{{ n|count }} -> 1,234,567 (both languages)."""
    return formatting.format_count(value)


@register.filter
def money(value, decimals=2):
    """{{ amount|money }} -> 12,345.60; {{ amount|money:0 }} -> 12,346."""
    return formatting.format_money(value, int(decimals))


@register.filter
def share(value, decimals=1):
    """{{ 0.1234|share }} -> 12.3%."""
    return formatting.format_share(value, int(decimals))


@register.filter
def duration(value):
    """{{ timedelta|duration }} -> 2小时15分 / 2 h 15 min."""
    return formatting.format_duration(value)


@register.filter
def ignored_filters(filterset) -> list[str]:
    """{% for warning in filter|ignored_filters %}: see crm_site.forms.ignored_filter_warnings."""
    return ignored_filter_warnings(filterset)


@register.filter
def month(value):
    """{{ first_day|month }} -> 2026年3月 / 2026-03."""
    return formatting.format_month(value)


@register.filter
def say(stored, fallback=""):
    """{{ event.message|say:event.text }}: a stored message in the reader's language, or the
    stored text when it has no code (see crm_site.stored_messages)."""
    return stored_messages.render(stored, fallback)
