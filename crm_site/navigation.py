"""What each role may open: one table feeds both the navigation bar and the access checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm_site.roles import Role, user_roles

EVERY_ROLE = frozenset(Role)


@dataclass(frozen=True)
class Area:
    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[Role]
    summary: str | Promise = ""


AREAS: tuple[Area, ...] = (
    Area(
        "retailers",
        _("Retailers"),
        "retailers:retailer-list",
        EVERY_ROLE,
        _("Dossiers of the licensed shops: profile, personal card, purchases and compliance."),
    ),
    Area(
        "grading",
        _("Grading"),
        "grading:index",
        frozenset({Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER}),
        _("Key, ordinary and special accounts (25/70/5), stars and the service policy of each tier."),
    ),
    Area(
        "complaints",
        _("Complaints"),
        "complaints:index",
        EVERY_ROLE,
        _("Complaint tickets from received to closed, with an owner and a deadline on every step."),
    ),
    Area(
        "visits",
        _("Visits"),
        "visits:index",
        frozenset({Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER}),
        _("Planned and logged visits, care reminders and satisfaction surveys."),
    ),
    Area(
        "loyalty",
        _("Points"),
        "loyalty:index",
        frozenset({Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER}),
        _("The points ledger, earn rules, rewards and redemptions."),
    ),
    Area(
        "analytics",
        _("Analytics"),
        "analytics:index",
        # Managers read their own shops' figures: the dashboard, churn, brands, the four measures, the forecast.
        frozenset({Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER}),
        _("Dashboards, risk lists and forecasts."),
    ),
)
AREAS_BY_KEY = {area.key: area for area in AREAS}


@dataclass(frozen=True)
class MenuLink:
    """A page that belongs to no area (or serves several): shown in the navbar's Data menu to
    the users `may_open` admits; the page itself checks the same permission."""

    key: str
    label: str | Promise
    url_name: str
    may_open: Callable[..., bool]


def _may_import(user) -> bool:
    return user.has_perm("retailers.import_master_data")


def _may_export(user) -> bool:
    from crm_site.exports import may_export_anything

    return may_export_anything(user)


DATA_MENU: tuple[MenuLink, ...] = (
    MenuLink("imports", _("Excel imports"), "retailers:import-list", _may_import),
    MenuLink("exports", _("My exports"), "export-jobs", _may_export),
)


def data_links_for(user) -> list[MenuLink]:
    return [link for link in DATA_MENU if link.may_open(user)]


def areas_for(user) -> list[Area]:
    roles = set(user_roles(user))
    return [area for area in AREAS if roles & area.roles]


def may_open(user, area_key: str) -> bool:
    return bool(set(user_roles(user)) & AREAS_BY_KEY[area_key].roles)


def area_required(area_key: str):
    """View decorator: log-in required, then 403 unless one of the user's roles may open the area."""
    from django.contrib.auth.decorators import login_required

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not may_open(request.user, area_key):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
