"""Dossier tabs that other apps contribute (grading, complaints, visits, points …).

An app registers a tab in its AppConfig.ready(); the dossier renders the tab header and loads
its body lazily from the app's own URL (htmx), so no app renders another app's templates.
The app's view applies its own access checks, starting from retailers_visible_to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class DossierTab:
    key: str
    label: str | Promise
    url_name: str  # takes the retailer's pk
    area_key: str  # crm_site.navigation area whose roles may see the tab


_tabs: list[DossierTab] = []


def register_dossier_tab(tab: DossierTab) -> None:
    if all(existing.key != tab.key for existing in _tabs):
        _tabs.append(tab)


def dossier_tabs_for(user) -> list[DossierTab]:
    from crm_site.navigation import may_open

    return [tab for tab in _tabs if may_open(user, tab.area_key)]
