"""The KPI tables' lines, rendered in Python: a template loop over 2 × 100 lines of 11 cells
(an include, a dozen filters and a loop over the miss reasons per line) cost most of the page."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from crm_site.formatting import format_count, format_money, format_share
from visits.models import MissReason

register = template.Library()

LINE = (
    "<tr><td>{}</td>"
    '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
    '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
    '<td class="text-end">{}</td><td>{}</td></tr>'
)


def _misses(row: dict, labels: list[tuple[str, str]]) -> SafeString:
    if not row["missed"]:
        return SafeString("—")
    counts = ((label, row[f"miss_{code}"]) for code, label in labels)
    badges = ((label, format_count(n)) for label, n in counts if n)
    return format_html_join("", '<span class="badge text-bg-light border me-1">{} {}</span>', badges)


def _line(row: dict, label, labels: list[tuple[str, str]]) -> SafeString:
    return format_html(
        LINE,
        label if label not in (None, "") else "—",
        format_count(row["planned"]),
        format_count(row["done"]),
        format_count(row["on_time"]),
        format_count(row["overdue"]),
        format_share(row["completion"]),
        format_count(row["logged"]),
        format_count(row["unplanned"]),
        format_share(row["strike_rate"]),
        format_money(row["satisfaction"]),
        _misses(row, labels),
    )


@register.simple_tag
def kpi_lines(rows: list[dict], limit: int) -> SafeString:
    """The <tr> of the first `limit` KPI lines (a manager's or an area's), labelled by their name."""
    labels = _reason_labels()
    return mark_safe("".join(_line(row, row["label"], labels) for row in rows[:limit]))  # noqa: S308 (each line escaped)


@register.simple_tag
def kpi_total_line(total: dict) -> SafeString:
    """The <tr> of the total line."""
    return _line(total, gettext("Total"), _reason_labels())


def _reason_labels() -> list[tuple[str, str]]:
    """The miss reasons (code, label), each label translated once per table rather than once per line."""
    return [(code, str(label)) for code, label in MissReason.choices]
