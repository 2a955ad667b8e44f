from django import forms
from django.utils.text import Truncator
from django.utils.translation import gettext as _

SHOWN_VALUE_CHARS = 40  # of a refused filter value, in its warning


def form_errors_message(form, *, with_details: bool = False) -> str:
    """One flash message for an invalid form: the fields to correct, by label, and any form-wide
    error. with_details adds each field's own messages, for forms that are not shown again
    (a redirect); a re-rendered form shows them under each field instead."""
    wrong = [(field.label, form.errors[name]) for name, field in form.fields.items() if name in form.errors]
    message = " ".join(form.non_field_errors())
    if with_details:
        return " ".join([*(f"{label}：{' '.join(errors)}" for label, errors in wrong), message]).strip()
    if wrong:
        labels = "、".join(str(label) for label, _errors in wrong)
        message = " ".join([_("Please correct: %(fields)s") % {"fields": labels}, message])
    return message.strip()


def ignored_filter_warnings(filterset) -> list[str]:
    """One warning per filter of a list whose value could not be read (a typed, stale or damaged
    URL), naming the filter and the value. django-filter leaves such a filter out, so the list
    shows the other filters' result; a filter the FilterSet names in `strict_filters` empties
    the list instead, and says so. No query: the list's own filtering has validated the form."""
    form = filterset.form
    strict = getattr(filterset, "strict_filters", ())
    warnings = []
    for name, field in form.fields.items():
        if name not in form.errors:
            continue
        raw = form.data.get(form.add_prefix(name), "")
        value = Truncator(str(raw).replace("\x00", "")).chars(SHOWN_VALUE_CHARS)
        if name in strict:
            pattern = _("%(filter)s: “%(value)s” is not valid; nothing is listed.")
        elif isinstance(field, forms.ChoiceField):
            pattern = _("%(filter)s: “%(value)s” is not one of the choices; this filter was ignored.")
        else:
            pattern = _("%(filter)s: “%(value)s” is not valid; this filter was ignored.")
        warnings.append(pattern % {"filter": field.label, "value": value})
    return warnings
