import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils.translation import gettext_lazy
from openpyxl.utils.escape import unescape

from crm_site.excel import FORMULA_PREFIXES, MAX_TEXT, Column, Sheet, write_xlsx

FORMULA_LIKE = ['=HYPERLINK("http://x")', "+86 139", "@SUM(A1)", "-1+2", "\tcmd", "\r=1+1", "=1+1"]


@pytest.fixture
def workbook(tmp_path):
    def write(sheets):
        path = str(tmp_path / "out.xlsx")
        count = write_xlsx(path, sheets)
        return count, openpyxl.load_workbook(path)

    return write


def test_cells_are_typed_headers_frozen_and_formulas_defused(workbook):
    columns = [Column("店名", 24), Column("金额", kind="money"), Column("日期", kind="date"), Column("备注", 40)]
    rows = [
        ("王记便利店", Decimal("1234.50"), datetime.date(2026, 3, 1), FORMULA_LIKE[0]),
        ("李家超市", 7, None, FORMULA_LIKE[1]),
        ("张老烟酒店", 0.5, datetime.date(2026, 1, 2), FORMULA_LIKE[2]),
        ("赵家", 1, None, FORMULA_LIKE[3]),
        ("钱家", 1, None, FORMULA_LIKE[4]),
        ("孙家", 1, None, FORMULA_LIKE[5]),
        ("周家", 1, None, FORMULA_LIKE[6]),
    ]
    count, book = workbook([Sheet("零售客户", columns, iter(rows)), Sheet("第二页", columns[:1], [("x",)])])
    assert count == 8
    assert book.sheetnames == ["零售客户", "第二页"]
    sheet = book["零售客户"]
    assert [cell.value for cell in sheet[1]] == ["店名", "金额", "日期", "备注"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D8"
    assert round(sheet.column_dimensions["A"].width) == 25 and round(sheet.column_dimensions["D"].width) == 41
    assert sheet["B2"].value == 1234.5 and sheet["B2"].data_type == "n" and sheet["B2"].number_format == "#,##0.00"
    assert sheet["B3"].value == 7
    assert sheet["C2"].is_date and sheet["C2"].value.date() == datetime.date(2026, 3, 1)
    assert sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["C3"].value is None
    for row, text in enumerate(FORMULA_LIKE, start=2):
        cell = sheet.cell(row=row, column=4)
        assert text.startswith(FORMULA_PREFIXES)
        assert unescape(cell.value) == text  # a carriage return is stored as _x000D_, as OOXML says
        assert cell.data_type == "s"  # a string, never a formula
        assert cell.quotePrefix  # kept as text by Excel, even when the cell is edited
    second = book["第二页"]
    assert second.freeze_panes == "A2" and second.auto_filter.ref == "A1:A2" and second["A2"].value == "x"


def test_datetimes_are_localised_and_kinds_decide_the_format(workbook, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    received = datetime.datetime(2026, 3, 1, 1, 30, tzinfo=datetime.UTC)
    columns = [
        Column("受理时间", kind="datetime"), Column("档位", kind="number"), Column("占比", kind="percent"),
        Column("备注"), Column("日期", kind="date"),
    ]  # fmt: skip
    rows = [(received, 12, 0.25, datetime.date(2026, 3, 1), received.astimezone(ZoneInfo("Asia/Shanghai")))]
    _count, book = workbook([Sheet("投诉", columns, rows)])
    sheet = book.active
    assert sheet["A2"].value == datetime.datetime(2026, 3, 1, 9, 30) and sheet["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["B2"].value == 12 and sheet["B2"].number_format == "0"
    assert sheet["C2"].value == 0.25 and sheet["C2"].number_format == "0.0%"
    assert sheet["D2"].value == "2026-03-01"  # a date in a text column reads as it does on the page
    assert sheet["E2"].is_date and sheet["E2"].value == datetime.datetime(2026, 3, 1, 9, 30)


def test_empty_sheets_repeated_headers_lazy_text_and_long_text(workbook):
    columns = [Column(""), Column(""), Column(gettext_lazy("Shop name"))]
    _count, book = workbook([Sheet("空", columns, []), Sheet("错误", columns, [("a", "b", gettext_lazy("Status"))])])
    empty = book["空"]
    assert [cell.value for cell in empty[1]][2] == str(gettext_lazy("Shop name")) and empty.max_row <= 2
    assert empty.freeze_panes == "A2" and empty.auto_filter.ref == "A1:C2"
    errors = book["错误"]
    # two blank headers keep two columns
    assert [cell.value for cell in errors[2]] == ["a", "b", str(gettext_lazy("Status"))]
    count, book = workbook([Sheet("长", [Column("描述")], [("x" * (MAX_TEXT + 10),), ("",)])])
    assert count == 2
    assert len(book.active["A2"].value) == MAX_TEXT and book.active["A3"].value is None


def test_a_row_of_the_wrong_width_fails(workbook):
    with pytest.raises(ValueError):
        workbook([Sheet("x", [Column("a"), Column("b")], [("only one",)])])
