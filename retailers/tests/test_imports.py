"""Reading, checking and applying a retailer sheet, without HTTP."""

import datetime

import pytest
import xlsxwriter

from crm_site.roles import Role
from retailers.imports import ImportRefused, check_rows, parse_date, plan_changes, read_sheet
from retailers.models import ChangeSource, Retailer
from retailers.services import ImportHasErrors, retailer_import_apply

pytestmark = pytest.mark.django_db
HEADER = ["许可证号", "店名", "负责人", "电话", "经营地址", "许可证有效期至", "业态", "市场类型", "商圈", "营销片区"]


def write_sheet(path, rows, header=HEADER) -> str:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write_datetime(
                    r,
                    c,
                    datetime.datetime.combine(value, datetime.time()),
                    workbook.add_format({"num_format": "yyyy-mm-dd"}),
                )
            else:
                sheet.write(r, c, value)
    workbook.close()
    return str(path)


def row(service_area, license_no="330100000001", **overrides):
    values = {
        "license_no": license_no, "name": "周记便利店", "owner": "周杰", "phone": "13800001111",
        "address": "中山路8号", "expires": datetime.date(2030, 6, 30), "business": "便利店", "market": "城镇",
        "zone": "居民区", "area": service_area.code,
    }  # fmt: skip
    values.update(overrides)
    return list(values.values())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2025-03-01", datetime.date(2025, 3, 1)), ("2025/3/1", datetime.date(2025, 3, 1)),
     ("2025年3月1日", datetime.date(2025, 3, 1)), ("２０２５-０３-０１", datetime.date(2025, 3, 1)),
     (45717, datetime.date(2025, 3, 1)), (datetime.datetime(2025, 3, 1, 0, 0), datetime.date(2025, 3, 1))],
)  # fmt: skip
def test_dates_in_every_usual_form(raw, expected):
    assert parse_date(raw) == expected


def test_english_headers_any_order_extra_columns_and_spaces(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    header = ["Extra", " phone ", "Shop name", "Licence number", "Owner", "Address", "Licence expires on",
              "Business type", "Market type", "Business circle", "Service area"]  # fmt: skip
    values = ["x", " 13800001111 ", "周记便利店", "３３０１００００００01", "周杰", "中山路8号", "2030/6/30",
              "convenience", "urban", "residential", area.name]  # fmt: skip
    results = check_rows(read_sheet(write_sheet(tmp_path / "en.xlsx", [values], header)))
    assert results[0].errors == []
    assert results[0].values["license_no"] == "330100000001"
    assert results[0].values["business_type"] == "convenience"


def test_each_bad_cell_is_reported_with_its_column_in_chinese(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    rows = [row(area, license_no="12AB", phone="555", expires="明年", business="网吧", area="无此片区")]
    errors = check_rows(read_sheet(write_sheet(tmp_path / "bad.xlsx", rows)))[0].errors
    columns = {error.split("：")[0] for error in errors}
    assert columns == {"许可证号", "电话", "许可证有效期至", "业态", "营销片区"}
    assert any("许可证号应为12位数字" in error for error in errors)


def test_duplicate_licences_in_one_file_are_refused(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    results = check_rows(read_sheet(write_sheet(tmp_path / "dup.xlsx", [row(area), row(area)])))
    assert results[0].errors == []
    assert results[1].errors[0].startswith("许可证号：") and "2" in results[1].errors[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a spreadsheet", "不是"), (b"PK\x03\x04broken zip", "不是")],
)
def test_files_that_are_not_spreadsheets_are_refused(tmp_path, content, message):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportRefused, match=message):
        read_sheet(path)


def test_missing_header_is_refused(prefecture, tmp_path):
    with pytest.raises(ImportRefused, match=r"表头|缺少"):
        check_rows(read_sheet(write_sheet(tmp_path / "nohead.xlsx", [["a", "b"]], header=["1", "2"])))


def test_dry_run_plans_and_writes_nothing_then_import_and_reimport(prefecture, tmp_path):
    area, shop = prefecture["areas"]["a"], prefecture["shops"]["a"]
    rows = [
        row(area, license_no="330100000001"),
        row(area, license_no=shop.license_no, name=shop.name, owner=shop.owner_name, phone=shop.phone,
            address="新地址9号", expires=shop.license_expires_on, zone="居民区"),
    ]  # fmt: skip
    path = write_sheet(tmp_path / "ok.xlsx", rows)
    results = check_rows(read_sheet(path))
    plan_changes(results)
    assert [r.action for r in results] == ["create", "update"]
    assert results[1].changes == {"address": (shop.address, "新地址9号")}
    assert Retailer.objects.count() == 3  # nothing written by the dry run

    admin = prefecture["users"][Role.ADMIN]
    outcome = retailer_import_apply(results=results, imported_by=admin)
    assert (outcome.created, outcome.updated) == (1, 1)
    created = Retailer.objects.get(license_no="330100000001")
    assert created.name_initials == "zjbld"
    assert created.history.get().change_source == ChangeSource.IMPORT
    assert Retailer.objects.get(pk=shop.pk).history.first().change_source == ChangeSource.IMPORT

    again = check_rows(read_sheet(path))
    plan_changes(again)
    assert [r.action for r in again] == ["unchanged", "unchanged"]
    assert retailer_import_apply(results=again, imported_by=admin).touched_ids == []


def test_all_or_nothing_and_skip_invalid(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    rows = [row(area, license_no="330100000001"), row(area, license_no="330100000002", phone="bad")]
    results = check_rows(read_sheet(write_sheet(tmp_path / "mixed.xlsx", rows)))
    plan_changes(results)
    admin = prefecture["users"][Role.ADMIN]
    with pytest.raises(ImportHasErrors):
        retailer_import_apply(results=results, imported_by=admin)
    assert not Retailer.objects.filter(license_no__startswith="3301").exists()
    outcome = retailer_import_apply(results=results, imported_by=admin, skip_invalid=True)
    assert (outcome.created, outcome.skipped) == (1, 1)
    assert list(Retailer.objects.filter(license_no__startswith="3301").values_list("license_no", flat=True)) == [
        "330100000001"
    ]
