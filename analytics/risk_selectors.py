"""Reads of the compliance risk list, scoped to the shops the user may see."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from analytics.models import RiskFinding
from analytics.risk import finding_explanation
from crm_site.pagination import KeysetPage, keyset_paginate
from retailers.selectors import service_areas_visible_to

PAGE_SIZE = 50


def risk_findings_for(*, user, rule: str = "", reviewed: str = "") -> QuerySet[RiskFinding]:
    """The findings of the user's shops, for users who may read the list; `rule` a RiskRule or
    "", `reviewed` "yes", "no" or "" (all)."""
    if not user.has_perm("analytics.view_risk"):
        return RiskFinding.objects.none()
    findings = RiskFinding.objects.all()
    if not user.has_perm("retailers.view_all_retailers"):
        findings = findings.filter(retailer__service_area__in=service_areas_visible_to(user).values("pk"))
    if rule:
        findings = findings.filter(rule=rule)
    if reviewed:
        findings = findings.filter(reviewed_at__isnull=reviewed == "no")
    return findings


def risk_findings_page(findings: QuerySet[RiskFinding], *, cursor: str | None) -> KeysetPage:
    """One page, newest period first, each finding with its shop, area, manager and reviewer (one
    query for the rows, one bounded count)."""
    rows = findings.select_related("retailer__service_area", "retailer__account_manager", "reviewed_by")
    return keyset_paginate(rows, order_by="-period_start", cursor=cursor, size=PAGE_SIZE)


def risk_finding_in_scope(*, user, pk: int) -> RiskFinding | None:
    return risk_findings_for(user=user).filter(pk=pk).first()


RISK_EXPORT_COLUMNS = (
    (gettext_lazy("Period"), 12, "date"),
    (gettext_lazy("Licence number"), 16, "text"),
    (gettext_lazy("Shop name"), 24, "text"),
    (gettext_lazy("Service area"), 14, "text"),
    (gettext_lazy("Account manager"), 12, "text"),
    (gettext_lazy("Rule"), 30, "text"),
    (gettext_lazy("What fired it"), 60, "text"),
    (gettext_lazy("Reviewed at"), 16, "datetime"),
    (gettext_lazy("Reviewed by"), 12, "text"),
    (gettext_lazy("Review note"), 30, "text"),
)


def risk_export_rows(findings: QuerySet[RiskFinding]) -> Iterator[tuple]:
    rows = findings.select_related("retailer__service_area", "retailer__account_manager", "reviewed_by").order_by(
        "-period_start", "-id"
    )
    for finding in rows.iterator(chunk_size=2000):
        yield (
            finding.period_start,
            finding.retailer.license_no,
            finding.retailer.name,
            finding.retailer.service_area.name,
            str(finding.retailer.account_manager or ""),
            finding.get_rule_display(),
            finding_explanation(finding.rule, finding.numbers),
            finding.reviewed_at,
            str(finding.reviewed_by or ""),
            finding.review_note,
        )
