from django.utils.translation import gettext as _


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
