"""The referrer (推荐人) of a shop, which the referral rule reads: imported like any retailer field
(by the referrer's licence number) and exported."""

import pytest

from crm_site.roles import Role
from retailers.imports import import_check
from retailers.models import Retailer
from retailers.selectors import RETAILER_EXPORT_FIELDS, retailer_export_rows
from retailers.services import import_apply
from retailers.tests.test_imports import HEADER, RETAILERS, errors_of, row, write_sheet

pytestmark = pytest.mark.django_db


def test_the_referrer_is_imported_by_licence_number(prefecture, tmp_path):
    area, referrer = prefecture["areas"]["a"], prefecture["shops"]["b"]
    header = [*HEADER, "推荐人许可证号"]
    rows = [[*row(area, license_no="330100000001"), referrer.license_no], [*row(area, license_no="330100000002"), ""]]
    checked = import_check(write_sheet(tmp_path / "referred.xlsx", rows, header), RETAILERS)
    import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN])
    assert Retailer.objects.get(license_no="330100000001").referred_by == referrer
    assert Retailer.objects.get(license_no="330100000002").referred_by is None


def test_an_unknown_referrer_is_a_row_error(prefecture, tmp_path):
    header = [*HEADER, "推荐人许可证号"]
    rows = [[*row(prefecture["areas"]["a"]), "999999999999"]]
    checked = import_check(write_sheet(tmp_path / "unknown.xlsx", rows, header), RETAILERS)
    assert list(errors_of(checked)) == [2]


def test_the_referrer_is_exported(prefecture):
    shop, referrer = prefecture["shops"]["a"], prefecture["shops"]["b"]
    Retailer.objects.filter(pk=shop.pk).update(referred_by=referrer)
    column = [path for path, *_ in RETAILER_EXPORT_FIELDS].index("referred_by__license_no")
    rows = {values[0]: values for values in retailer_export_rows(retailers=Retailer.objects.all(), may_see_phones=True)}
    assert rows[shop.license_no][column] == referrer.license_no
    assert rows[referrer.license_no][column] is None
