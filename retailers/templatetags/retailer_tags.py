from django import template

register = template.Library()


@register.filter
def masked_phone(phone: str, may_see: bool) -> str:
    """138****5678 for roles that may not see full numbers."""
    if may_see or not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


@register.filter
def star_string(stars: int | None) -> str:
    return "★" * stars + "☆" * (5 - stars) if stars else ""
