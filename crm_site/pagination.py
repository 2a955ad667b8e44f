"""Keyset pagination: page N costs what page 1 costs, at any table size (no OFFSET).

Rows are ordered by (field, id), both ascending or both descending; the cursor carries the
last row's (field, id). Lists also show a bounded count, so no page scans the whole table.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

COUNT_LIMIT = 2_000  # beyond this a list says "more than 2,000": an exact count would scan


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    next_cursor: str | None
    is_first: bool
    count: int
    count_is_exact: bool


def _encode(value, pk: int) -> str:
    raw = json.dumps([value if isinstance(value, int | str) or value is None else str(value), pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, field) -> tuple[object, int] | None:
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return field.to_python(value), int(pk)
    except (ValueError, TypeError, binascii.Error, ValidationError):
        return None  # a damaged or hand-edited cursor shows the first page


def keyset_paginate(queryset: QuerySet, *, order_by: str, cursor: str | None, size: int) -> KeysetPage:
    """One page of `queryset` ordered by `order_by` ("name" or "-name") then id."""
    descending = order_by.startswith("-")
    name = order_by.lstrip("-")
    field = queryset.model._meta.get_field(name)
    ordered = queryset.order_by(order_by, "-pk" if descending else "pk")
    position = _decode(cursor, field) if cursor else None
    if position is not None:
        value, pk = position
        after = "lt" if descending else "gt"
        # The first condition bounds an index range scan; the second skips the rows already shown.
        ordered = ordered.filter(**{f"{name}__{after}e": value}).filter(
            Q(**{f"{name}__{after}": value}) | Q(**{f"pk__{after}": pk})
        )
    rows = list(ordered[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode(getattr(last, field.attname), last.pk)
    count = queryset.order_by()[: COUNT_LIMIT + 1].count()
    return KeysetPage(
        rows=rows,
        next_cursor=next_cursor,
        is_first=position is None,
        count=min(count, COUNT_LIMIT),
        count_is_exact=count <= COUNT_LIMIT,
    )
