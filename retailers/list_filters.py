"""Filters of the retailer list that other apps contribute ("has open complaints" …).

An app registers a django-filter Filter in its AppConfig.ready(), with a callable `method`
(queryset, name, value) -> queryset built from its own selectors; the list, its URL state and
its exports then treat it as one of the list's own filters, so retailers never imports the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import django_filters


@dataclass(frozen=True)
class RetailerListFilter:
    name: str  # the query-string parameter
    filter: django_filters.Filter
    after: str = ""  # shown after this filter of the list; last when empty or unknown


_filters: list[RetailerListFilter] = []


def register_retailer_filter(entry: RetailerListFilter) -> None:
    if all(existing.name != entry.name for existing in _filters):
        _filters.append(entry)


def with_registered_filters(base_filters: dict[str, django_filters.Filter]) -> dict[str, django_filters.Filter]:
    """The list's own filters with the registered ones placed where they asked to be."""
    items = list(base_filters.items())
    for entry in _filters:
        names = [name for name, _filter in items]
        items.insert(names.index(entry.after) + 1 if entry.after in names else len(items), (entry.name, entry.filter))
    return dict(items)
