"""Every URL pattern of the site, read from the URLconf, for the tests that probe them all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Not the site's own pages: Django's admin, the language switch, and the log-in pages (tested on their own).
SKIPPED_PREFIXES = ("admin/", "static/", "media/", "i18n/")
SKIPPED_NAMES = frozenset({"login", "logout", "password_change", "password_change_done"})


@dataclass(frozen=True)
class SitePattern:
    name: str  # namespaced, e.g. "retailers:retailer-detail"
    route: str  # e.g. "retailers/<int:pk>/"
    parameters: tuple[str, ...]  # path parameter names, in order


def site_patterns() -> list[SitePattern]:
    """Every named pattern of the site but the skipped ones; an unnamed one is an error (it cannot be tabled)."""
    found = []
    for route, name, parameters in _walk(get_resolver().url_patterns, "", "", ()):
        if route.startswith(SKIPPED_PREFIXES) or name in SKIPPED_NAMES:
            continue
        if not name or name.endswith(":"):
            raise AssertionError(f"URL pattern {route!r} has no name: give it one so the access tests can table it")
        found.append(SitePattern(name=name, route=route, parameters=parameters))
    return found


def parameterless_url_names() -> list[str]:
    return [pattern.name for pattern in site_patterns() if not pattern.parameters]


def _walk(patterns, prefix: str, namespace: str, outer: tuple[str, ...]) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        # path() and re_path() alike: the named groups of the pattern's regular expression
        parameters = (*outer, *pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if not route.startswith(SKIPPED_PREFIXES):
                yield from _walk(pattern.url_patterns, route, inner, parameters)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name or ''}", parameters
