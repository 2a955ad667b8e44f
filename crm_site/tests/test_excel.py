import datetime
from decimal import Decimal

import openpyxl

from crm_site.excel import Column, Sheet, write_xlsx


def test_cells_are_typed_headers_frozen_and_formulas_defused(tmp_path):
    path = str(tmp_path / "out.xlsx")
    columns = [Column("店名"), Column("金额", kind="money"), Column("日期", kind="date"), Column("备注")]
    rows = [
        ("王记便利店", Decimal("1234.50"), datetime.date(2026, 3, 1), '=HYPERLINK("http://x")'),
        ("李家超市", 7, None, "+86 139"),
        ("张老烟酒店", 0.5, datetime.date(2026, 1, 2), "@SUM(A1)"),
        ("赵家", 1, None, "-1+2"),
        ("钱家", 1, None, "\tcmd"),
    ]
    assert write_xlsx(path, [Sheet("零售客户", columns, rows), Sheet("第二页", columns[:1], [("x",)])]) == 6
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["零售客户", "第二页"]
    sheet = workbook["零售客户"]
    assert [cell.value for cell in sheet[1]] == ["店名", "金额", "日期", "备注"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D6"
    assert sheet["B2"].value == 1234.5 and sheet["B2"].number_format == "#,##0.00"
    assert sheet["C2"].is_date and sheet["C2"].value.date() == datetime.date(2026, 3, 1)
    for row in range(2, 7):
        cell = sheet.cell(row=row, column=4)
        assert cell.data_type == "s"  # a string, never a formula
        assert cell.quotePrefix
    assert sheet["D2"].value == '=HYPERLINK("http://x")'
    assert not sheet["A2"].quotePrefix
