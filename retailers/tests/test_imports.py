"""Reading, checking and importing master-data sheets, without HTTP: every kind, every refusal,
all or nothing, skip invalid, idempotent re-import."""

import datetime
from decimal import Decimal

import pytest
import xlsxwriter

from crm_site.roles import Role
from retailers.imports import IMPORT_KINDS, ImportRefused, import_check, parse_date, read_sheet
from retailers.models import ChangeSource, ComplianceRecord, Order, OrderLine, Product, Retailer
from retailers.pinyin import pinyin_keys
from retailers.services import ImportHasErrors, import_apply
from retailers.tests.factories import ComplianceRecordFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
HEADER = ["许可证号", "店名", "负责人", "电话", "经营地址", "许可证有效期至", "业态", "市场类型", "商圈", "营销片区"]
RETAILERS, PRODUCTS, ORDERS, COMPLIANCE = (
    IMPORT_KINDS[key] for key in ("retailers", "products", "orders", "compliance")
)


def write_sheet(path, rows, header=HEADER, above=()) -> str:
    """An .xlsx with optional title lines above the header; dates written as Excel dates."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, values in enumerate([*above, header, *rows]):
        for c, value in enumerate(values):
            if isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date_format)
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


def errors_of(checked) -> dict[int, list[str]]:
    """Excel row number -> its messages, for the rows that have any."""
    return {
        int(number): checked.error_texts(position)
        for position, number in enumerate(checked.row_numbers)
        if checked.errors.iat[position]
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2025-03-01", datetime.date(2025, 3, 1)), ("2025/3/1", datetime.date(2025, 3, 1)),
     ("2025年3月1日", datetime.date(2025, 3, 1)), ("２０２５-０３-０１", datetime.date(2025, 3, 1)),
     ("2025.3.1", datetime.date(2025, 3, 1)), ("20250301", datetime.date(2025, 3, 1)),
     (45717, datetime.date(2025, 3, 1)), (datetime.datetime(2025, 3, 1, 0, 0), datetime.date(2025, 3, 1))],
)  # fmt: skip
def test_dates_in_every_usual_form(raw, expected):
    assert parse_date(raw) == expected


def test_english_headers_any_order_extra_columns_spaces_and_full_width(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    header = ["Extra", " phone ", "Shop name", "Licence number", "Owner", "Address", "Licence expires on",
              "Business type", "Market type", "Business circle", "Service area"]  # fmt: skip
    values = ["x", " 13800001111 ", "周记便利店", "３３０１００００００01", "周杰", "中山路8号", "2030/6/30",
              "Convenience store", "urban", "residential", area.name]  # fmt: skip
    checked = import_check(write_sheet(tmp_path / "en.xlsx", [values], header), RETAILERS)
    assert errors_of(checked) == {}
    assert checked.values.at[0, "license_no"] == "330100000001"
    assert checked.values.at[0, "phone"] == "13800001111"
    assert checked.values.at[0, "business_type"] == "convenience"
    assert checked.values.at[0, "license_expires_on"] == datetime.date(2030, 6, 30)


def test_a_title_line_above_the_header_and_blank_rows_keep_excel_row_numbers(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    path = write_sheet(
        tmp_path / "title.xlsx",
        [row(area), ["", "", ""], row(area, license_no="330100000002", phone="5")],
        above=[["2026年零售客户名单"]],
    )
    checked = import_check(path, RETAILERS)
    assert checked.header_row == 2
    assert list(checked.row_numbers) == [3, 5]
    assert list(errors_of(checked)) == [5]


def test_each_bad_cell_is_reported_with_its_column_in_chinese(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    rows = [row(area, license_no="12AB", phone="555", expires="明年", business="网吧", area="无此片区", owner="")]
    errors = errors_of(import_check(write_sheet(tmp_path / "bad.xlsx", rows), RETAILERS))[2]
    assert {error.split("：")[0] for error in errors} == {
        "许可证号",
        "电话",
        "许可证有效期至",
        "业态",
        "营销片区",
        "负责人",
    }
    assert "负责人：必填" in errors
    assert any("“网吧”" in error and "便利店" in error for error in errors)


def test_duplicate_licences_in_one_file_are_refused(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    checked = import_check(write_sheet(tmp_path / "dup.xlsx", [row(area), row(area)]), RETAILERS)
    assert list(errors_of(checked)) == [3]
    assert errors_of(checked)[3][0].startswith("许可证号：") and "2" in errors_of(checked)[3][0]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a spreadsheet", "CSV"), (b"PK\x03\x04broken zip", "损坏"), (b"", "空")],
)
def test_files_that_are_not_spreadsheets_or_are_corrupt_are_refused(tmp_path, content, message):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportRefused, match=message):
        read_sheet(path, RETAILERS)


def test_a_password_protected_workbook_is_refused(prefecture, tmp_path):
    import msoffcrypto.format.ooxml

    plain = write_sheet(tmp_path / "plain.xlsx", [row(prefecture["areas"]["a"])])
    locked = tmp_path / "locked.xlsx"
    with open(plain, "rb") as source, open(locked, "wb") as target:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("secret", target)
    with pytest.raises(ImportRefused, match="密码"):
        read_sheet(locked, RETAILERS)


def test_no_header_row_missing_columns_and_no_data_are_refused(prefecture, tmp_path):
    with pytest.raises(ImportRefused, match="表头"):
        read_sheet(write_sheet(tmp_path / "nohead.xlsx", [["a", "b"]], header=["1", "2"]), RETAILERS)
    with pytest.raises(ImportRefused, match=r"缺少.*营销片区"):
        read_sheet(write_sheet(tmp_path / "short.xlsx", [row(prefecture["areas"]["a"])[:9]], HEADER[:9]), RETAILERS)
    with pytest.raises(ImportRefused, match="没有数据"):
        read_sheet(write_sheet(tmp_path / "empty.xlsx", []), RETAILERS)


def test_dry_run_plans_and_writes_nothing_then_import_and_reimport(prefecture, tmp_path):
    area, shop = prefecture["areas"]["a"], prefecture["shops"]["a"]
    rows = [
        row(area, license_no="330100000001"),
        row(area, license_no=shop.license_no, name=shop.name, owner=shop.owner_name, phone=shop.phone,
            address="新地址9号", expires=shop.license_expires_on, zone="居民区",
            business=shop.get_business_type_display(), market=shop.get_market_type_display(),
            area=shop.service_area.code),
    ]  # fmt: skip
    path = write_sheet(tmp_path / "ok.xlsx", rows)
    checked = import_check(path, RETAILERS)
    assert list(checked.action) == ["create", "update"]
    assert checked.changes(1) == {"address": (shop.address, "新地址9号")}
    assert Retailer.objects.count() == 3  # nothing written by the dry run

    admin = prefecture["users"][Role.ADMIN]
    outcome = import_apply(checked=checked, imported_by=admin)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (1, 1, 0)
    created = Retailer.objects.get(license_no="330100000001")
    assert (created.name_initials, created.status, created.credit_level, created.tier) == ("zjbld", "active", "A", "")
    assert created.history.get().change_source == ChangeSource.IMPORT
    changed = Retailer.objects.get(pk=shop.pk)
    assert changed.address == "新地址9号" and changed.owner_name == shop.owner_name
    latest = changed.history.first()
    assert (latest.history_type, latest.change_source, latest.history_user) == ("~", ChangeSource.IMPORT, admin)
    assert sorted(outcome.touched_ids) == sorted([created.pk, shop.pk])

    again = import_check(path, RETAILERS)
    assert list(again.action) == ["unchanged", "unchanged"]
    outcome = import_apply(checked=again, imported_by=admin)
    assert (outcome.touched_ids, outcome.unchanged) == ([], 2)
    assert changed.history.count() == 2


def test_a_blank_optional_cell_keeps_the_present_value(prefecture, tmp_path):
    shop = prefecture["shops"]["a"]
    Retailer.objects.filter(pk=shop.pk).update(credit_code="91320102MA1XXXXX0X", credit_level="AA")
    header = [*HEADER, "信用等级"]
    values = row(shop.service_area, license_no=shop.license_no, name="王记便利店（新）")
    checked = import_check(write_sheet(tmp_path / "blank.xlsx", [[*values, ""]], header), RETAILERS)
    import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN])
    shop.refresh_from_db()
    assert (shop.name, shop.credit_level) == ("王记便利店（新）", "AA")
    assert shop.name_initials == pinyin_keys("王记便利店（新）")[1]


def test_all_or_nothing_and_skip_invalid(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    rows = [row(area, license_no="330100000001"), row(area, license_no="330100000002", phone="bad")]
    checked = import_check(write_sheet(tmp_path / "mixed.xlsx", rows), RETAILERS)
    admin = prefecture["users"][Role.ADMIN]
    with pytest.raises(ImportHasErrors):
        import_apply(checked=checked, imported_by=admin)
    assert not Retailer.objects.filter(license_no__startswith="3301").exists()
    outcome = import_apply(checked=checked, imported_by=admin, skip_invalid=True)
    assert (outcome.created, outcome.skipped) == (1, 1)
    assert list(Retailer.objects.filter(license_no__startswith="3301").values_list("license_no", flat=True)) == [
        "330100000001"
    ]


PRODUCT_HEADER = [
    "卷烟编码",
    "品牌",
    "规格名称",
    "价类",
    "批发价（元/条）",
    "零售价（元/条）",
    "焦油量（mg）",
    "高端",
    "紧俏",
]


def test_products_upsert_on_code_with_prices_and_flags(prefecture, tmp_path):
    existing = ProductFactory(code="6901028001001", wholesale_price=Decimal("400.00"), retail_price=Decimal("450.00"))
    rows = [
        ["6901028001001", "中华", "中华（硬）", "一类", 450, "500.00", 11, "是", "否"],
        ["6901028002002", "南京", "南京（炫赫门）", "Class 2", "¥180.5", 200, 8, "否", "是"],
        ["6901028003003", "黄鹤楼", "黄鹤楼（1916）", "六类", 0, 100, "abc", "也许", ""],
        ["6901028004004", "利群", "利群（新版）", "三类", 300, 250, 10, "", ""],
    ]
    path = write_sheet(tmp_path / "products.xlsx", rows, PRODUCT_HEADER)
    checked = import_check(path, PRODUCTS)
    errors = errors_of(checked)
    assert set(errors) == {4, 5}
    assert {e.split("：")[0] for e in errors[4]} == {"价类", "批发价（元/条）", "焦油量（mg）", "高端"}
    assert errors[5] == ["零售价（元/条）：低于批发价"]
    assert list(checked.action[:2]) == ["update", "create"]

    outcome = import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN], skip_invalid=True)
    assert (outcome.created, outcome.updated, outcome.skipped) == (1, 1, 2)
    existing.refresh_from_db()
    assert (existing.wholesale_price, existing.is_high_end, existing.is_scarce) == (Decimal("450.00"), True, False)
    new = Product.objects.get(code="6901028002002")
    assert (new.price_class, new.wholesale_price, new.tar_mg, new.is_scarce, new.is_active) == (
        2, Decimal("180.50"), Decimal("8.0"), True, True,
    )  # fmt: skip
    assert new.history.get().history_type == "+" and existing.history.first().history_type == "~"
    assert set(import_check(path, PRODUCTS).action) == {"unchanged", ""}


ORDER_HEADER = ["订单号", "许可证号", "订货日期", "卷烟编码", "数量（条）", "单价（元/条）", "金额（元）"]


@pytest.fixture
def products(db):
    return {
        "high": ProductFactory(
            code="H1", brand="中华", wholesale_price=Decimal("450.00"), retail_price=Decimal("500.00"), is_high_end=True
        ),
        "low": ProductFactory(
            code="L1",
            brand="南京",
            wholesale_price=Decimal("180.00"),
            retail_price=Decimal("200.00"),
            tar_mg=Decimal("6.0"),
        ),
        "other": ProductFactory(code="O1", brand="南京", wholesale_price=Decimal("100.00")),
    }


def test_orders_are_grouped_by_number_with_totals_and_reimported_unchanged(prefecture, products, tmp_path):
    shop = prefecture["shops"]["a"]
    rows = [
        ["DD1", shop.license_no, "2026-11-02", "H1", 2, "", ""],
        ["DD1", shop.license_no, "2026-11-02", "L1", 3, "170.00", 510],
        ["DD1", shop.license_no, "2026-11-02", "O1", 1, "", "100"],
        ["DD2", shop.license_no, "2026/11/9", "O1", 4, "", ""],
    ]
    path = write_sheet(tmp_path / "orders.xlsx", rows, ORDER_HEADER)
    checked = import_check(path, ORDERS)
    assert errors_of(checked) == {}
    assert (checked.records("create"), len(checked.values)) == (2, 4)
    admin = prefecture["users"][Role.ADMIN]
    outcome = import_apply(checked=checked, imported_by=admin)
    assert (outcome.created, outcome.touched_ids) == (2, [shop.pk])
    order = Order.objects.get(order_no="DD1")
    assert (order.amount, order.cartons, order.high_end_amount, order.low_tar_cartons) == (
        Decimal("1510.00"), 6, Decimal("900.00"), 3,
    )  # fmt: skip
    assert (order.line_count, order.brand_count) == (3, 2)
    assert OrderLine.objects.get(order=order, product=products["high"]).unit_price == Decimal("450.00")
    shop.refresh_from_db()
    assert shop.last_order_on == datetime.date(2026, 11, 9)

    again = import_check(path, ORDERS)
    assert set(again.action) == {"unchanged"}
    assert import_apply(checked=again, imported_by=admin).touched_ids == []
    assert OrderLine.objects.count() == 4


def test_a_changed_order_gets_its_lines_replaced(prefecture, products, tmp_path):
    shop = prefecture["shops"]["a"]
    admin = prefecture["users"][Role.ADMIN]
    first = [
        ["DD1", shop.license_no, "2026-11-02", "H1", 2, "", ""],
        ["DD1", shop.license_no, "2026-11-02", "O1", 1, "", ""],
    ]
    import_apply(checked=import_check(write_sheet(tmp_path / "a.xlsx", first, ORDER_HEADER), ORDERS), imported_by=admin)
    assert Order.objects.get(order_no="DD1").updated_at is None  # a new order is not a changed one
    second = [["DD1", shop.license_no, "2026-11-02", "H1", 5, "", ""]]
    checked = import_check(write_sheet(tmp_path / "b.xlsx", second, ORDER_HEADER), ORDERS)
    assert list(checked.action) == ["update"]
    import_apply(checked=checked, imported_by=admin)
    order = Order.objects.get(order_no="DD1")
    assert (order.amount, order.cartons, order.line_count) == (Decimal("2250.00"), 5, 1)
    assert order.updated_at is not None  # its change time (the points ledger corrects by it)
    assert list(order.lines.values_list("product__code", "quantity")) == [("H1", 5)]


def test_orders_without_a_number_match_on_shop_and_date(prefecture, products, tmp_path):
    shop = prefecture["shops"]["a"]
    OrderFactory(retailer=shop, order_no="ERP-77", ordered_on=datetime.date(2026, 11, 2))
    header = ["许可证号", "订货日期", "卷烟编码", "数量（条）"]
    rows = [[shop.license_no, "2026-11-02", "O1", 1], [shop.license_no, "2026-11-09", "O1", 2]]
    checked = import_check(write_sheet(tmp_path / "nonumber.xlsx", rows, header), ORDERS)
    assert list(checked.action) == ["update", "create"]
    import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN])
    assert Order.objects.get(order_no="ERP-77").lines.get().quantity == 1
    assert Order.objects.get(ordered_on=datetime.date(2026, 11, 9)).order_no == f"IM20261109{shop.pk:08d}"


def test_a_bad_line_keeps_its_whole_order_out_and_says_so(prefecture, products, tmp_path):
    shop = prefecture["shops"]["a"]
    rows = [
        ["DD1", shop.license_no, "2026-11-02", "H1", 2, "", ""],
        ["DD1", shop.license_no, "2026-11-02", "NOPE", 1, "", ""],
        ["DD2", shop.license_no, "2026-11-02", "O1", 1, "", "999"],
        ["DD3", shop.license_no, "2026-11-02", "O1", 1, "", ""],
        ["DD3", shop.license_no, "2026-11-02", "O1", 2, "", ""],
        ["DD4", shop.license_no, "2026-11-03", "O1", 0, "", ""],
        ["DD5", "999999999999", "2026-11-03", "O1", 1, "", ""],
        ["DD6", shop.license_no, "2026-11-04", "L1", 1, "", ""],
    ]
    checked = import_check(write_sheet(tmp_path / "bad.xlsx", rows, ORDER_HEADER), ORDERS)
    errors = errors_of(checked)
    assert set(errors) == {2, 3, 4, 5, 6, 7, 8}
    assert "第3行" in errors[2][0] and errors[3] == ["卷烟编码：没有此编码的卷烟规格"]
    assert errors[4] == ["金额（元）：应为 数量 × 单价 = 100.00"]
    assert errors[6][0].startswith("卷烟编码：") and "第5行" in errors[6][0]
    assert "第6行" in errors[5][0]  # DD3's first line is fine, but its order is not
    outcome = import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN], skip_invalid=True)
    assert outcome.skipped == 7 and (outcome.created, outcome.touched_ids) == (1, [shop.pk])
    assert list(Order.objects.values_list("order_no", flat=True)) == ["DD6"]


COMPLIANCE_HEADER = ["许可证号", "发现日期", "违规类型", "严重程度", "来源部门", "说明"]


def test_compliance_findings_upsert_on_shop_date_and_kind(prefecture, tmp_path):
    shop = prefecture["shops"]["a"]
    ComplianceRecordFactory(retailer=shop, found_on=datetime.date(2026, 10, 1), kind="counterfeit", severity="minor")
    rows = [
        [shop.license_no, "2026-10-01", "销售假冒卷烟", "严重", "专卖稽查大队", "复查升级"],
        [shop.license_no, "2026年10月5日", "串货", "轻微", "专卖稽查大队", ""],
        [shop.license_no, "2026年10月5日", "cross_territory", "minor", "专卖稽查大队", ""],
        [shop.license_no, "2026-10-06", "乱扔垃圾", "一般", "", ""],
    ]
    path = write_sheet(tmp_path / "findings.xlsx", rows, COMPLIANCE_HEADER)
    checked = import_check(path, COMPLIANCE)
    errors = errors_of(checked)
    assert set(errors) == {4, 5}
    assert "第3行" in errors[4][0]
    assert {e.split("：")[0] for e in errors[5]} == {"违规类型"}  # 来源部门 is needed only by a new finding
    outcome = import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN], skip_invalid=True)
    assert (outcome.created, outcome.updated, outcome.touched_ids) == (1, 1, [shop.pk])
    counterfeit = ComplianceRecord.objects.get(retailer=shop, kind="counterfeit")
    assert (counterfeit.severity, counterfeit.notes) == ("serious", "复查升级")
    assert set(import_check(path, COMPLIANCE).action) == {"unchanged", ""}


def test_a_sheet_with_only_wrong_rows_imports_nothing_when_skipping(prefecture, products, tmp_path):
    admin = prefecture["users"][Role.ADMIN]
    sheets = [
        (ORDERS, ORDER_HEADER, [["DD1", "999999999999", "2026-11-02", "H1", 2, "", ""]]),
        (RETAILERS, HEADER, [row(prefecture["areas"]["a"], phone="1")]),
        (COMPLIANCE, COMPLIANCE_HEADER, [["999999999999", "2026-10-01", "串货", "轻微", "专卖稽查大队", ""]]),
    ]
    for kind, header, rows in sheets:
        checked = import_check(write_sheet(tmp_path / f"{kind.key}.xlsx", rows, header), kind)
        outcome = import_apply(checked=checked, imported_by=admin, skip_invalid=True)
        assert (outcome.created, outcome.updated, outcome.skipped, outcome.touched_ids) == (0, 0, 1, [])


# ------------------------------------------------------------------------------ optional columns (item 12)


def test_a_roster_without_business_circle_and_phone_updates_and_keeps_them(prefecture, tmp_path):
    """Only the identity and legal columns are required: a sheet without 商圈 and 电话 is read, an
    existing shop keeps its present values, and a new shop is told it needs them."""
    shop = prefecture["shops"]["a"]
    columns = [name for name in HEADER if name not in ("电话", "商圈")]
    keep = [i for i, name in enumerate(HEADER) if name in columns]
    existing = row(shop.service_area, license_no=shop.license_no, address="新地址9号")
    new = row(shop.service_area, license_no="330100000009")
    path = write_sheet(tmp_path / "roster.xlsx", [[r[i] for i in keep] for r in (existing, new)], columns)
    checked = import_check(path, RETAILERS)
    assert errors_of(checked) == {3: ["电话：新建记录时必填", "商圈：新建记录时必填"]}
    assert list(checked.action) == ["update", ""]
    import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN], skip_invalid=True)
    before = (shop.phone, shop.zone_type)
    shop.refresh_from_db()
    assert shop.address == "新地址9号" and (shop.phone, shop.zone_type) == before


def test_a_price_sheet_of_code_and_price_updates_products(prefecture, tmp_path):
    product = ProductFactory(code="6901028001001", wholesale_price=Decimal("400.00"), retail_price=Decimal("450.00"))
    path = write_sheet(tmp_path / "prices.xlsx", [["6901028001001", "420.00"]], ["卷烟编码", "批发价（元/条）"])
    checked = import_check(path, PRODUCTS)
    assert errors_of(checked) == {} and list(checked.action) == ["update"]
    import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN])
    product.refresh_from_db()
    assert (product.wholesale_price, product.retail_price) == (Decimal("420.00"), Decimal("450.00"))


def test_a_finding_sheet_without_department_updates_severity(prefecture, tmp_path):
    shop = prefecture["shops"]["a"]
    record = ComplianceRecordFactory(
        retailer=shop, found_on=datetime.date(2026, 10, 1), kind="counterfeit", severity="minor",
        source_department="稽查科",
    )  # fmt: skip
    rows = [[shop.license_no, "2026-10-01", "销售假冒卷烟", "严重"], [shop.license_no, "2026-10-02", "串货", "一般"]]
    checked = import_check(write_sheet(tmp_path / "f.xlsx", rows, COMPLIANCE_HEADER[:4]), COMPLIANCE)
    assert errors_of(checked) == {3: ["来源部门：新建记录时必填"]}
    import_apply(checked=checked, imported_by=prefecture["users"][Role.ADMIN], skip_invalid=True)
    record.refresh_from_db()
    assert (record.severity, record.source_department) == ("serious", "稽查科")


# ------------------------------------------------------------------------------ stored messages (item 4)


def test_row_errors_are_kept_as_codes_once_per_distinct_message_and_said_in_either_language(prefecture, tmp_path):
    from django.utils import translation

    area = prefecture["areas"]["a"]
    rows = [row(area, license_no=f"3301000000{n:02d}", phone="555", business="网吧") for n in range(50)]
    checked = import_check(write_sheet(tmp_path / "bad.xlsx", rows), RETAILERS)
    assert sorted(checked.messages) == [("business_type", "choice", {"value": "网吧"}), ("phone", "phone", {})]
    assert checked.error_list(0) == [("phone", "phone", {}), ("business_type", "choice", {"value": "网吧"})]
    assert checked.error_texts(0)[0] == "电话：应为手机号（以1开头的11位数字）或固定电话，如 025-84561234"
    with translation.override("en"):
        phone, business = checked.error_texts(0)
    assert phone == "Phone (电话): a mobile number (11 digits starting with 1) or a landline such as 025-84561234"
    assert business.startswith("Business type (业态): “网吧” is not one of: Convenience store")


def test_repeated_keys_name_the_first_row_as_a_parameter(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    checked = import_check(write_sheet(tmp_path / "dup.xlsx", [row(area)] * 3), RETAILERS)
    assert checked.error_list(2) == [("license_no", "same_licence", {"row": 2})]
    assert checked.error_texts(1) == ["许可证号：与第 2 行的许可证号重复"]
