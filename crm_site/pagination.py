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


MAX_PK = 2**63 - 1


def _decode(cursor: str, field) -> tuple[object, int] | None:
    """The (value, id) a cursor carries, or None for a damaged or hand-edited one (the first page).

    Only a cursor this module could have written passes: a two-item list whose value is valid for
    the sort field (type, length, the database's integer range, never null) and whose id is an id.
    """
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(decoded, list) or len(decoded) != 2:
            return None
        raw_value, pk = decoded
        if raw_value is None or not isinstance(raw_value, int | str) or type(pk) is not int or not 0 < pk <= MAX_PK:
            return None
        if isinstance(raw_value, str) and "\x00" in raw_value:
            return None  # PostgreSQL refuses NUL in a string
        value = field.to_python(raw_value)
        field.run_validators(value)  # max_length, and for integers the database's range
        return value, pk
    except (ValueError, TypeError, binascii.Error, ValidationError, OverflowError):
        return None


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
