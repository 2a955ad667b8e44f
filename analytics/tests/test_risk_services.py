"""The compliance risk rules on hand-made data: a spike, a peer outlier, ordering with an expired
licence or while closed, repeated findings, a 串货 pattern; the refresh is idempotent."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from analytics.models import RiskFinding, RiskRule
from analytics.risk import finding_explanation
from analytics.risk_services import risk_finding_review, risk_refresh, risk_window
from grading.tests.allocation_helpers import grade
from retailers.models import OrderLine
from retailers.tests.factories import ComplianceRecordFactory, OrderFactory, ProductFactory, RetailerFactory

TODAY = datetime.date(2026, 12, 2)  # the rules judge 2 to 29 November 2026
IN_WINDOW = datetime.date(2026, 11, 16)


def findings(rule):
    return list(RiskFinding.objects.filter(rule=rule).order_by("retailer_id", "period_start"))


def test_the_window_is_the_last_four_full_weeks():
    assert risk_window(TODAY) == (datetime.date(2026, 11, 2), datetime.date(2026, 11, 29))


@pytest.mark.django_db
def test_an_order_above_2_2_times_the_last_three_is_a_spike(prefecture):
    shop = prefecture["shops"]["a"]
    for day, amount in ((20, 1000), (27, 1200), (3, 800)):
        month = 10 if day > 10 else 11
        OrderFactory(retailer=shop, ordered_on=datetime.date(2026, month, day), amount=Decimal(amount))
    OrderFactory(retailer=shop, ordered_on=IN_WINDOW, amount=Decimal(2300))  # 2.3 × 1,000
    calm = prefecture["shops"]["b"]
    for day, amount in ((2, 1000), (9, 1000), (16, 1000), (23, 2100)):  # 2.1 × 1,000: below the level
        OrderFactory(retailer=calm, ordered_on=datetime.date(2026, 11, day), amount=Decimal(amount))

    risk_refresh(today=TODAY)
    [spike] = findings(RiskRule.SPIKE)
    assert spike.retailer == shop and spike.period_start == IN_WINDOW
    assert spike.numbers == {"ordered_on": "2026-11-16", "amount": 2300.0, "previous_mean": 1000.0, "ratio": 2.3}
    with translation.override("en"):
        text = finding_explanation(spike.rule, spike.numbers)
    assert "2,300.00 yuan, 2.30 times the mean" in text and "(1,000.00 yuan)" in text
    with translation.override("zh-hans"):
        assert "2.30" in finding_explanation(spike.rule, spike.numbers)


def _peers(prefecture, amounts, **fields):
    """Shops of area A (region 1), all convenience stores of 档位 10, with these 4-week amounts."""
    shops = [RetailerFactory(service_area=prefecture["areas"]["a"], **fields) for _ in amounts]
    for shop, amount in zip(shops, amounts, strict=True):
        OrderFactory(retailer=shop, ordered_on=IN_WINDOW, amount=Decimal(amount))
    grade(dict.fromkeys(shops, 10))
    return shops


@pytest.mark.django_db
def test_a_shop_far_above_its_peers_is_a_robust_z_outlier(prefecture):
    shops = _peers(prefecture, [1000, 1100, 900, 1050, 950, 9000])
    risk_refresh(today=TODAY)
    [outlier] = findings(RiskRule.PEER_OUTLIER)
    assert outlier.retailer == shops[-1]
    # median 1,025; |deviations| 25, 75, 125, 25, 75, 7,975: MAD 75; z = 7,975 / (1.4826 × 75)
    assert outlier.numbers["peer_median"] == 1025.0 and outlier.numbers["peers"] == 6
    assert outlier.numbers["z"] == pytest.approx(71.72, abs=0.01)


@pytest.mark.django_db
def test_ordering_with_an_expired_licence_or_while_closed(prefecture):
    expired = RetailerFactory(license_expires_on=datetime.date(2026, 11, 10), license_issued_on=None)
    closed = RetailerFactory(status="closed")
    OrderFactory(retailer=expired, ordered_on=datetime.date(2026, 11, 9))  # still licensed that day
    OrderFactory(retailer=expired, ordered_on=IN_WINDOW)
    OrderFactory(retailer=closed, ordered_on=IN_WINDOW)
    risk_refresh(today=TODAY)
    found = {finding.retailer: finding for finding in findings(RiskRule.UNLICENSED)}
    assert set(found) == {expired, closed}
    assert found[expired].numbers["license_expires_on"] == "2026-11-10" and not found[expired].numbers["closed"]
    with translation.override("en"):
        assert "after the licence expired on 2026-11-10" in finding_explanation("unlicensed", found[expired].numbers)
        assert "recorded as closed" in finding_explanation("unlicensed", found[closed].numbers)


@pytest.mark.django_db
def test_two_findings_within_twelve_months_are_repeated_findings(prefecture):
    shop, once = prefecture["shops"]["a"], prefecture["shops"]["b"]
    ComplianceRecordFactory(retailer=shop, found_on=datetime.date(2026, 3, 1), kind="counterfeit")
    ComplianceRecordFactory(retailer=shop, found_on=datetime.date(2026, 10, 5))
    ComplianceRecordFactory(retailer=shop, found_on=datetime.date(2025, 6, 1))  # more than 12 months ago
    ComplianceRecordFactory(retailer=once, found_on=datetime.date(2026, 10, 5))
    risk_refresh(today=TODAY)
    [repeated] = findings(RiskRule.REPEATED_FINDINGS)
    assert repeated.retailer == shop and repeated.period_start == datetime.date(2026, 10, 5)
    assert repeated.numbers == {"count": 2, "first": "2026-03-01", "last": "2026-10-05", "kinds": 2, "months": 12}


@pytest.mark.django_db
def test_a_shop_buying_far_more_scarce_cartons_than_its_level_is_a_cross_territory_signal(prefecture):
    shops = _peers(prefecture, [1000] * 6)
    scarce, ordinary = ProductFactory(is_scarce=True), ProductFactory()
    for shop, cartons in zip(shops, [2, 3, 2, 0, 3, 40], strict=True):
        order = shop.orders.get()
        OrderLine.objects.create(order=order, product=ordinary, quantity=10, unit_price=100, amount=1000)
        if cartons:
            OrderLine.objects.create(order=order, product=scarce, quantity=cartons, unit_price=100, amount=100)
    risk_refresh(today=TODAY)
    [signal] = findings(RiskRule.CROSS_TERRITORY)
    assert signal.retailer == shops[-1]
    assert signal.numbers["value"] == 40 and signal.numbers["peer_median"] == 2.5


@pytest.mark.django_db
def test_the_refresh_is_idempotent_and_keeps_reviews(prefecture, users):
    closed = RetailerFactory(status="closed")
    OrderFactory(retailer=closed, ordered_on=IN_WINDOW)
    assert risk_refresh(today=TODAY) == 1
    finding = RiskFinding.objects.get()
    risk_finding_review(finding=finding, reviewed_by=users["supervisor"], note="  已核实：店主已停业  ")
    assert risk_refresh(today=TODAY) == 0
    finding.refresh_from_db()
    assert finding.reviewed_by == users["supervisor"] and finding.review_note == "已核实：店主已停业"
    assert finding.reviewed_at is not None


@pytest.mark.django_db
def test_a_review_note_longer_than_the_field_is_refused(prefecture, users):
    closed = RetailerFactory(status="closed")
    OrderFactory(retailer=closed, ordered_on=IN_WINDOW)
    risk_refresh(today=TODAY)
    with pytest.raises(ValidationError):
        risk_finding_review(finding=RiskFinding.objects.get(), reviewed_by=users["supervisor"], note="x" * 501)
    assert RiskFinding.objects.get().reviewed_at is None
