"""Every URL of the site × every kind of user: who may open it, and nobody sees another's objects.

The URLs come from the URLconf (crm_site/tests/url_walk.py), so a new view is tested the day it is
added; it must have a line in ACCESS below, or this test fails saying which line to add. Each URL is
requested with GET and with POST (empty data) by eight users, with every path parameter filled by
an object of the user's scope, one outside it and one that does not exist, and the answer must be:

- anonymous: a redirect to the log-in page (405 where the method is not accepted), unless PUBLIC;
- a user whose role may not open it: 403 (404 for an object they could not see anyway);
- a user who may open it: 200 or 302 (400 for an empty POST a form refuses), 404 for an object
  outside their scope or one that does not exist;
- 405 for a method the view does not accept; never a 500.

The table is checked against crm_site/navigation.py: a URL of an area is open to no role the area
is closed to, and the area's own page to exactly the area's roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from crm_site.models import ExportJob
from crm_site.navigation import AREAS, AREAS_BY_KEY
from crm_site.roles import Role
from crm_site.tests.factories import UserFactory
from crm_site.tests.url_walk import site_patterns

ADMIN, SUPERVISOR, MANAGER, CLERK = Role.ADMIN, Role.SUPERVISOR, Role.SALES_MANAGER, Role.COMPLAINT_CLERK
EVERY_ROLE = frozenset(Role)
GRADING_ROLES = AREAS_BY_KEY["grading"].roles
NO_ROLE = "no_role"  # a logged-in user in no group
ANY_USER = frozenset({*Role, NO_ROLE})  # log-in required, no role needed (the home page, one's own exports)
ANONYMOUS = "anonymous"
PUBLIC = frozenset({*ANY_USER, ANONYMOUS})  # no log-in at all (e.g. a survey answered by link)


@dataclass(frozen=True)
class Access:
    """Who may open a URL, and what its path parameters are when the parameter's name does not say."""

    roles: frozenset
    objects: dict[str, str] = field(default_factory=dict)


def access(roles, **objects: str) -> Access:
    return Access(frozenset(roles), objects)


# Which roles may open each URL (with GET, or POST with empty data). One line per URL name; a path
# parameter called `pk` names its object here (pk="ticket"), others are looked up in PARAMETERS.
ACCESS: dict[str, Access] = {
    "home": access(ANY_USER),
    "favicon": access(PUBLIC),
    "export-jobs": access(ANY_USER),
    "export-job-create": access(ANY_USER),
    "export-job-download": access(ANY_USER, pk="export_job"),
    "notifications": access(ANY_USER),
    "notifications-read": access(ANY_USER),
    "retailers:retailer-list": access(EVERY_ROLE),
    "retailers:retailer-create": access({ADMIN, SUPERVISOR}),
    "retailers:retailer-export": access({ADMIN, SUPERVISOR}),
    "retailers:order-list": access(EVERY_ROLE),
    "retailers:order-export": access({ADMIN, SUPERVISOR}),
    "retailers:retailer-duplicates": access({ADMIN, SUPERVISOR}),
    "retailers:retailer-merge": access({ADMIN, SUPERVISOR}),
    "retailers:retailer-distinct": access({ADMIN, SUPERVISOR}),
    "retailers:import-list": access({ADMIN}),
    "retailers:import-template": access({ADMIN}),
    "retailers:import-detail": access({ADMIN}, pk="import_job"),
    "retailers:import-confirm": access({ADMIN}, pk="import_job"),
    "retailers:import-errors": access({ADMIN}, pk="import_job"),
    "retailers:retailer-detail": access(EVERY_ROLE, pk="retailer"),
    "retailers:retailer-update": access({ADMIN, SUPERVISOR, MANAGER}, pk="retailer"),
    "grading:index": access(GRADING_ROLES),
    "grading:export": access(GRADING_ROLES),
    "grading:run-start": access({ADMIN}),
    "grading:run-detail": access(GRADING_ROLES, pk="run"),
    "grading:run-export": access(GRADING_ROLES, pk="run"),
    "grading:policy": access({ADMIN}),
    "grading:service-policy": access({ADMIN}),
    "grading:retailer-panel": access(GRADING_ROLES),
    "grading:override-create": access(GRADING_ROLES),  # an empty form is refused before the permission
    "grading:override-revoke": access({ADMIN, SUPERVISOR}, pk="override"),
    "grading:allocation-list": access(GRADING_ROLES),
    "grading:allocation-create": access({ADMIN, SUPERVISOR}),
    "grading:allocation-detail": access(GRADING_ROLES, pk="allocation"),  # managers: their shops' lines
    "grading:allocation-compute": access({ADMIN, SUPERVISOR}, pk="allocation"),
    "grading:allocation-publish": access({ADMIN, SUPERVISOR}, pk="allocation"),
    "grading:allocation-correct": access({ADMIN, SUPERVISOR}, pk="allocation"),
    "grading:allocation-uptake": access({ADMIN, SUPERVISOR}, pk="allocation"),
    "grading:allocation-export": access(GRADING_ROLES, pk="allocation"),
    "grading:allocation-export-csv": access(GRADING_ROLES, pk="allocation"),
    "grading:allocation-rules": access({ADMIN, SUPERVISOR}),
    "grading:allocation-rules-create": access({ADMIN, SUPERVISOR}),
    "grading:allocation-rules-edit": access({ADMIN, SUPERVISOR}, pk="rule_set"),
    "grading:allocation-retailer-panel": access(GRADING_ROLES),
    "complaints:index": access(EVERY_ROLE),
    "complaints:ticket-export": access(EVERY_ROLE),
    "complaints:ticket-create": access(EVERY_ROLE),
    "complaints:retailer-lookup": access(EVERY_ROLE),
    "complaints:report": access({ADMIN, SUPERVISOR, CLERK}),
    "complaints:report-export": access({ADMIN, SUPERVISOR, CLERK}),
    "complaints:ticket-detail": access(EVERY_ROLE, pk="ticket"),
    "complaints:ticket-move": access({ADMIN, SUPERVISOR, CLERK}, pk="ticket"),  # working a ticket
    "complaints:ticket-note": access(EVERY_ROLE, pk="ticket"),
    "complaints:ticket-assign": access(EVERY_ROLE, pk="ticket"),
    "complaints:ticket-attach": access(EVERY_ROLE, pk="ticket"),
    "complaints:attachment-download": access(EVERY_ROLE, pk="attachment"),
    "complaints:retailer-tickets": access(EVERY_ROLE),
    "visits:index": access(AREAS_BY_KEY["visits"].roles),
    # The visit log (a visit of the probe's area: its manager, the region's supervisor, admins), the
    # dossier's visits tab and the KPIs (a manager reads their own line).
    "visits:visit-new": access({ADMIN, SUPERVISOR, MANAGER}),
    "visits:visit-detail": access({ADMIN, SUPERVISOR, MANAGER}, pk="visit"),
    "visits:visit-check-in": access({ADMIN, SUPERVISOR, MANAGER}, pk="visit"),
    "visits:visit-log": access({ADMIN, SUPERVISOR, MANAGER}, pk="visit"),
    "visits:visit-miss": access({ADMIN, SUPERVISOR, MANAGER}, pk="visit"),
    "visits:visit-photo": access({ADMIN, SUPERVISOR, MANAGER}, pk="visit"),
    "visits:retailer-visits": access({ADMIN, SUPERVISOR, MANAGER}),
    "visits:kpis": access({ADMIN, SUPERVISOR, MANAGER}),
    "visits:kpis-export": access({ADMIN, SUPERVISOR, MANAGER}),
    # The agenda's route sheet and its care reminders (planned or dismissed by POST).
    "visits:route-sheet": access({ADMIN, SUPERVISOR, MANAGER}),
    "visits:reminders-plan-all": access({ADMIN, SUPERVISOR, MANAGER}),  # an empty POST plans nothing
    "visits:reminder-plan": access({ADMIN, SUPERVISOR, MANAGER}, pk="care_reminder"),
    "visits:reminder-dismiss": access({ADMIN, SUPERVISOR, MANAGER}, pk="care_reminder"),
    "visits:campaign-list": access({ADMIN, SUPERVISOR}),
    "visits:campaign-create": access({ADMIN, SUPERVISOR}),
    "visits:campaign-detail": access({ADMIN, SUPERVISOR}, pk="campaign"),
    "visits:surveys": access(AREAS_BY_KEY["visits"].roles),
    "visits:survey-export": access(AREAS_BY_KEY["visits"].roles),
    "visits:survey-invitations": access(AREAS_BY_KEY["visits"].roles),
    "visits:questionnaires": access({ADMIN}),
    "visits:retailer-surveys": access(AREAS_BY_KEY["visits"].roles),
    "survey-answer": access(PUBLIC),  # the survey answered by link (visits.views.public)
    "loyalty:index": access(AREAS_BY_KEY["loyalty"].roles),
    # Points (issue 12): managers file redemptions for their shops, supervisors of the region approve
    # them and adjust points, admins edit the rules and rewards and read the ledger overview.
    "loyalty:retailer-points": access({ADMIN, SUPERVISOR, MANAGER}),
    "loyalty:retailer-points-export": access({ADMIN, SUPERVISOR, MANAGER}),
    "loyalty:redemption-file": access({ADMIN, SUPERVISOR, MANAGER}),
    "loyalty:adjust": access({ADMIN, SUPERVISOR}),
    "loyalty:rewards": access({ADMIN, SUPERVISOR, MANAGER}),
    "loyalty:reward-create": access({ADMIN}),
    "loyalty:reward-update": access({ADMIN}, pk="reward"),
    "loyalty:rules": access({ADMIN}),
    "loyalty:rule-create": access({ADMIN}),
    "loyalty:rule-update": access({ADMIN}, pk="earn_rule"),
    "loyalty:queue": access({ADMIN, SUPERVISOR}),
    "loyalty:redemption-detail": access({ADMIN, SUPERVISOR, MANAGER}, pk="redemption"),
    "loyalty:redemption-move": access({ADMIN, SUPERVISOR}, pk="redemption"),
    "loyalty:overview": access({ADMIN}),
    "loyalty:overview-export": access({ADMIN}),
    "analytics:index": access(AREAS_BY_KEY["analytics"].roles),
    # Forecast and compliance risk: managers read their shops' forecast; the risk list is for
    # supervisors and admins (there is no 专卖 role).
    "analytics:forecast": access({ADMIN, SUPERVISOR, MANAGER}),
    "analytics:risk": access({ADMIN, SUPERVISOR}),
    "analytics:risk-review": access({ADMIN, SUPERVISOR}),
    # analytics: every page reads the user's own areas; the refresh is the admins'
    "analytics:refresh": access({ADMIN}),
    "analytics:churn": access(AREAS_BY_KEY["analytics"].roles),
    "analytics:churn-plan-visit": access(AREAS_BY_KEY["analytics"].roles, pk="retailer"),
    "analytics:brands": access(AREAS_BY_KEY["analytics"].roles),
    "analytics:measures": access(AREAS_BY_KEY["analytics"].roles),
}

# What a path parameter holds, by its name (a `pk` says it in its ACCESS line instead).
PARAMETERS = {
    "retailer_pk": "retailer",
    "ticket_pk": "ticket",
    "run_pk": "run",
    "job_pk": "export_job",
    "kind": "import_kind",
    "move": "ticket_move",
    "token": "survey_token",
}


@dataclass(frozen=True)
class Probe:
    """One of the eight users: who they are and where their scope lies."""

    key: str
    role: Role | None
    home: str  # the service area ("a" or "c") whose objects are theirs
    sees_everything: bool = False  # admins and clerks: no object is outside their scope


PROBES = (
    Probe("admin", ADMIN, "a", sees_everything=True),
    Probe("supervisor", SUPERVISOR, "a"),
    Probe("other_supervisor", SUPERVISOR, "c"),
    Probe("sales_manager", MANAGER, "a"),
    Probe("other_manager", MANAGER, "c"),
    Probe("complaint_clerk", CLERK, "a", sees_everything=True),
    Probe(NO_ROLE, None, "a"),
    Probe(ANONYMOUS, None, "a"),
)
MISSING_PK = 987_654_321


class World:
    """The objects the probes ask for: one of each in area A (region 1) and in area C (region 2)."""

    def __init__(self, prefecture) -> None:
        from django.utils import timezone

        from complaints.services import ticket_create
        from complaints.tests.factories import ticket_data
        from grading.models import Allocation, AllocationRuleSet, GradingRun, TierOverride
        from retailers.models import ImportJob
        from retailers.tests.factories import ProductFactory

        self.prefecture = prefecture
        users = prefecture["users"]
        other_supervisor = UserFactory(username="other_supervisor", role=SUPERVISOR)
        prefecture["regions"][1].supervisors.add(other_supervisor)
        self.users = {
            "admin": users[ADMIN],
            "supervisor": users[SUPERVISOR],
            "other_supervisor": other_supervisor,
            "sales_manager": users[MANAGER],
            "other_manager": prefecture["other_manager"],
            "complaint_clerk": users[CLERK],
            NO_ROLE: UserFactory(username=NO_ROLE),
        }
        self.by_area: dict[str, dict[str, int]] = {}
        for area in ("a", "c"):
            shop = prefecture["shops"][area]
            ticket = ticket_create(retailer=shop, data=ticket_data(), created_by=users[CLERK])
            attachment = ticket.attachments.create(
                file=ContentFile(b"%PDF-1.4 test", name="note.pdf"), size=13, uploaded_by=users[CLERK]
            )
            override = TierOverride.objects.create(
                retailer=shop, tier="key", reason="test", expires_on="2099-12-31", created_by=users[ADMIN]
            )
            visit = self._visit(shop, users[MANAGER] if area == "a" else prefecture["other_manager"])
            redemption = self._redemption(shop, users[MANAGER])
            self.by_area[area] = {
                "retailer": shop.pk,
                "ticket": ticket.pk,
                "attachment": attachment.pk,
                "override": override.pk,
                "visit": visit.pk,
                "care_reminder": self._care_reminder(shop).pk,
                "campaign": self._campaign(users[ADMIN], visit).pk,
                "redemption": redemption.pk,
            }
        from loyalty.models import EarnRule, Reward

        self.reward = Reward.objects.get().pk
        self.earn_rule = EarnRule.objects.create(kind="purchase", points="0.1", valid_from="2020-01-01").pk
        self.run = GradingRun.objects.create(as_of="2026-01-01", status="succeeded").pk
        rule_set = AllocationRuleSet.objects.order_by("pk").first()  # the default of grading's migration
        self.rule_set = rule_set.pk
        self.allocation = Allocation.objects.create(
            product=ProductFactory(is_scarce=True), period_start="2026-12-07", period_end="2026-12-13", cartons=10,
            rule_set=rule_set, status="published", published_at=timezone.now(), computed_count=1,
        ).pk  # fmt: skip
        job = ImportJob.objects.create(
            file=ContentFile(b"x", name="in.xlsx"), original_name="in.xlsx", created_by=users[ADMIN], status="checked"
        )
        job.error_report.save("errors.xlsx", ContentFile(b"x"))
        self.import_job = job.pk
        self.survey_token = _survey_link(prefecture["shops"]["a"])
        self.export_jobs = {
            key: ExportJob.objects.create(
                user=user, kind="retailers", status=ExportJob.Status.SUCCEEDED, file=ContentFile(b"x", name="e.xlsx")
            ).pk
            for key, user in self.users.items()
        }

    @staticmethod
    def _redemption(shop, filed_by):
        """A filed redemption of the shop (written directly: the probes need one in each area)."""
        from loyalty.models import PointsAccount, Redemption, Reward

        defaults = {"points_price": 10, "valid_from": "2020-01-01"}
        reward = Reward.objects.get_or_create(name="陈列柜", defaults=defaults)[0]
        account = PointsAccount.objects.get_or_create(retailer=shop)[0]
        return Redemption.objects.create(account=account, reward=reward, points=10, filed_by=filed_by)

    @staticmethod
    def _visit(shop, manager):
        """A planned care visit of the shop by its area's manager, with a photo (for visits:visit-photo)."""
        import datetime

        from complaints.tests.files import png_bytes
        from visits.models import Visit

        visit = Visit.objects.create(
            retailer=shop, manager=manager, kind="care", planned_on=datetime.date.today() + datetime.timedelta(days=3)
        )
        visit.photo.save("shelf.png", ContentFile(png_bytes()))
        return visit

    @staticmethod
    def _campaign(admin, visit):
        """A campaign planning the area's visit (for visits:campaign-detail: seen by its region's supervisor)."""
        import datetime

        from visits.models import Campaign

        day = datetime.date.today()
        campaign = Campaign.objects.create(
            name="新品", purpose="new_product", starts_on=day, ends_on=day, created_by=admin
        )
        visit.campaign = campaign
        visit.save(update_fields=["campaign"])
        return campaign

    @staticmethod
    def _care_reminder(shop):
        """An open birthday reminder of the shop (for visits:reminder-plan and -dismiss)."""
        import datetime

        from visits.models import CareReminder

        day = datetime.date.today() + datetime.timedelta(days=2)
        return CareReminder.objects.create(retailer=shop, occasion="birthday", occurs_on=day, remind_from=day)

    def value(self, kind: str, probe: Probe, where: str):
        """The parameter for `probe`: `where` is "inside" its scope, "outside" it or "missing"
        (None: no such object for this probe, e.g. nothing is outside an admin's scope)."""
        return OBJECTS[kind](self, probe, where)


def _scoped(kind: str) -> Callable:
    def build(world: World, probe: Probe, where: str):
        if where == "missing":
            return MISSING_PK
        if where == "outside" and probe.sees_everything:
            return None
        area = probe.home if where == "inside" else {"a": "c", "c": "a"}[probe.home]
        return world.by_area[area][kind]

    return build


def _global(attribute: str) -> Callable:
    """Objects that are not anyone's (grading runs, import jobs): nothing is outside a scope."""
    return lambda world, probe, where: {"inside": getattr(world, attribute), "missing": MISSING_PK}.get(where)


def _literal(value: str, unknown: str | None = None) -> Callable:
    """A word in the path (a kind, a move); `unknown` is one the view must answer with 404."""
    return lambda world, probe, where: {"inside": value, "missing": unknown}.get(where)


def _own_export_job(world: World, probe: Probe, where: str):
    if where == "missing":
        return MISSING_PK
    mine = world.export_jobs.get(probe.key, world.export_jobs["admin"])
    if where == "inside":
        return mine
    return next(pk for key, pk in world.export_jobs.items() if pk != mine)  # someone else's


def _survey_link(retailer) -> str:
    """A working survey link's token for `retailer` (an invitation queued, its token's hash stored)."""
    from visits.models import SurveyToken
    from visits.surveys import survey_invitations_create, token_new

    survey_invitations_create()
    token, hashed = token_new()
    SurveyToken.objects.create(invitation=retailer.survey_invitations.get(), token_hash=hashed)
    return token


def _survey_token(world: World, probe: Probe, where: str):
    """Links are nobody's: a working one, or one that was never sent (forged)."""
    return {"inside": world.survey_token, "missing": "forged-" + "x" * 36}.get(where)


# How to make each kind of object (add one here when a parameter holds something new).
OBJECTS: dict[str, Callable] = {
    "retailer": _scoped("retailer"),
    "ticket": _scoped("ticket"),
    "attachment": _scoped("attachment"),
    "override": _scoped("override"),
    "visit": _scoped("visit"),
    "care_reminder": _scoped("care_reminder"),
    "redemption": _scoped("redemption"),
    "reward": _global("reward"),
    "earn_rule": _global("earn_rule"),
    "run": _global("run"),
    "allocation": _global("allocation"),
    "campaign": _scoped("campaign"),
    "rule_set": _global("rule_set"),
    "import_job": _global("import_job"),
    "export_job": _own_export_job,
    "import_kind": _literal("retailers", "no-such-kind"),
    "ticket_move": _literal("acknowledge"),
    "survey_token": _survey_token,  # an unknown move is refused by the workflow, with a message
}


def test_the_table_lists_every_url_and_nothing_else():
    patterns = {pattern.name: pattern for pattern in site_patterns()}
    missing = [patterns[name] for name in sorted(set(patterns) - set(ACCESS))]
    kinds = "|".join(OBJECTS)
    assert not missing, (
        "These URLs have no line in ACCESS (crm_site/tests/test_access_matrix.py). Add one for each, with the "
        "roles that may open it:\n"
        + "\n".join(
            f'    "{pattern.name}": access({{ADMIN, SUPERVISOR}}'
            + (f', pk="<{kinds}>"' if "pk" in pattern.parameters else "")
            + "),"
            for pattern in missing
        )
    )
    assert not set(ACCESS) - set(patterns), (
        f"ACCESS lines for URLs that no longer exist: {sorted(set(ACCESS) - set(patterns))}"
    )


def test_every_path_parameter_has_a_maker():
    problems = []
    for pattern in site_patterns():
        for parameter in pattern.parameters:
            kind = ACCESS.get(pattern.name, Access(frozenset())).objects.get(parameter) or PARAMETERS.get(parameter)
            if kind is None:
                problems.append(
                    f'{pattern.name} ({pattern.route}): say what `{parameter}` is, as {parameter}="<kind>" in its '
                    f"ACCESS line or in PARAMETERS, with <kind> one of {', '.join(OBJECTS)} (or a new maker in OBJECTS)"
                )
            elif kind not in OBJECTS:
                problems.append(f"{pattern.name}: `{parameter}` is {kind!r}, which OBJECTS cannot make: add a maker")
    assert not problems, "\n".join(problems)


def test_the_table_agrees_with_the_navigation():
    problems = []
    for name, entry in ACCESS.items():
        namespace = name.split(":", 1)[0] if ":" in name else None
        area = AREAS_BY_KEY.get(namespace)
        if area is None:
            continue
        if not entry.roles <= area.roles:
            problems.append(f"{name} is open to {sorted(entry.roles - area.roles)}, whom the {area.key} area refuses")
    for area in AREAS:
        if ACCESS[area.url_name].roles != area.roles:
            problems.append(
                f"{area.url_name}: the table says {sorted(ACCESS[area.url_name].roles)}, "
                f"navigation.py {sorted(area.roles)}"
            )
    assert not problems, "\n".join(problems)


def _expected(probe: Probe, entry: Access, where: str) -> set[int]:
    if probe.key == ANONYMOUS and ANONYMOUS not in entry.roles:
        return {302}
    allowed = (ANONYMOUS if probe.key == ANONYMOUS else probe.role or NO_ROLE) in entry.roles
    if not allowed:
        return {403} if where == "inside" else {403, 404}
    return {200, 302} if where == "inside" else {404}


def _variants(world: World, pattern, probe: Probe):
    """(where, kwargs) for each variant of the path parameters this probe can be given: a parameter
    with nothing for a variant (nothing is outside an admin's scope) keeps its in-scope value, and a
    variant none of the parameters has is skipped."""
    entry = ACCESS[pattern.name]
    kinds = {parameter: entry.objects.get(parameter) or PARAMETERS[parameter] for parameter in pattern.parameters}
    for where in ("inside", "outside", "missing"):
        values = {parameter: world.value(kind, probe, where) for parameter, kind in kinds.items()}
        if where != "inside" and all(value is None for value in values.values()):
            continue
        yield (
            where,
            {
                parameter: world.value(kinds[parameter], probe, "inside") if value is None else value
                for parameter, value in values.items()
            },
        )


@pytest.mark.django_db
def test_every_url_answers_every_user_as_the_table_says(client, prefecture, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = World(prefecture)
    patterns = [pattern for pattern in site_patterns() if pattern.name in ACCESS]
    failures, requests = [], 0
    for probe in PROBES:
        client.logout()
        if probe.key != ANONYMOUS:
            client.force_login(world.users[probe.key])
        for pattern in patterns:
            entry = ACCESS[pattern.name]
            for where, kwargs in _variants(world, pattern, probe):
                url = reverse(pattern.name, kwargs=kwargs)
                expected = _expected(probe, entry, where)
                answers = {}
                for method in ("get", "post"):
                    try:
                        response = getattr(client, method)(url)
                    except Exception as error:
                        failures.append(f"{probe.key:17} {method.upper():4} {url} ({where}): raised {error!r}")
                        continue
                    requests += 1
                    status = response.status_code
                    answers[method] = status
                    to_login = status == 302 and response.url.startswith(reverse("login"))
                    must_log_in = probe.key == ANONYMOUS and ANONYMOUS not in entry.roles
                    ok = (
                        status == 405
                        or (status in expected and (to_login == must_log_in or status != 302))
                        or (status == 400 and method == "post" and 200 in expected)
                    )
                    if not ok:
                        failures.append(
                            f"{probe.key:17} {method.upper():4} {url} ({where}): {status}, expected {sorted(expected)}"
                            + (" (a redirect to log-in)" if to_login else "")
                        )
                if answers and set(answers.values()) == {405}:
                    failures.append(f"{probe.key:17} {url}: neither GET nor POST is accepted")
    assert requests >= len(PROBES) * len(patterns) * 2, "every URL was asked by every user"
    assert not failures, (
        f"{len(failures)} answers differ from ACCESS (crm_site/tests/test_access_matrix.py): fix the view, "
        "or the table if the rule changed\n" + "\n".join(failures)
    )
