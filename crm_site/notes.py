"""Messages that are stored (a run's note, a job's failure) kept as a code and its parameters, and
said in the reader's language when a page shows them: the same run reads in Chinese on the
Chinese pages and in English on the English ones.

An app keeps its texts in a dict {code: gettext_lazy("… %(name)s …")}; numbers among the
parameters are formatted as counts (1,234).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise

from crm_site.formatting import format_count


def note_text(texts: Mapping[str, str | Promise], code: str, params: Mapping, *, fallback: str = "") -> str:
    """The note of `code` in the active language, or `fallback` (the plain text that rows written
    before notes had codes still carry) when there is no code."""
    text = texts.get(code)
    if text is None:
        return fallback
    return str(text) % {
        name: format_count(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        for name, value in params.items()
    }
