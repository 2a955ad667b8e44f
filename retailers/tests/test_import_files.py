"""Files an admin may be sent: each broken one refused with the reason, workbooks that unpack to
far more than they weigh refused before they are read, and a stray far cell read cheaply."""

import io
import resource
import time
import zipfile

import pytest
import xlsxwriter

from retailers.imports import IMPORT_KINDS, ImportRefused, import_check, read_sheet
from retailers.tests.test_imports import HEADER, row, write_sheet

pytestmark = pytest.mark.django_db
RETAILERS = IMPORT_KINDS["retailers"]


def refusal(path) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        read_sheet(path, RETAILERS)
    return caught.value


def rezipped(source, target, replace: dict[str, bytes]) -> str:
    """A copy of the workbook with some parts replaced (deflated, as Excel does)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            copy.writestr(item.filename, replace.get(item.filename, original.read(item.filename)))
    return str(target)


def good_workbook(prefecture, tmp_path) -> str:
    return write_sheet(tmp_path / "good.xlsx", [row(prefecture["areas"]["a"])])


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", "file_empty", "文件是空的"),
        ("许可证号,店名\n320102100123,王记\n".encode(), "file_text", "CSV"),
        ("许可证号,店名\n320102100123,王记\n".encode("gb18030"), "file_text", "CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file_unknown", "不是电子表格"),
    ],
)
def test_a_file_that_is_no_workbook_says_what_it_is(tmp_path, content, code, words):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    error = refusal(path)
    assert error.code == code and words in str(error)


def test_a_zip_without_a_workbook_is_told_apart(tmp_path):
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("名单.csv", "许可证号,店名\n")
    error = refusal(path)
    assert error.code == "file_zip_no_workbook" and "没有工作簿" in str(error)


def test_a_truncated_workbook_is_told_apart(prefecture, tmp_path):
    whole = open(good_workbook(prefecture, tmp_path), "rb").read()  # noqa: SIM115
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])
    error = refusal(cut)
    assert error.code == "file_damaged" and "不完整或已损坏" in str(error)


def test_a_workbook_with_a_damaged_sheet_is_told_apart(prefecture, tmp_path):
    path = rezipped(
        good_workbook(prefecture, tmp_path), tmp_path / "bad.xlsx", {"xl/worksheets/sheet1.xml": b"<worksheet><sheetD"}
    )
    assert refusal(path).code == "file_damaged"


def test_a_password_protected_workbook_is_told_apart(prefecture, tmp_path):
    import msoffcrypto.format.ooxml

    locked = tmp_path / "locked.xlsx"
    with open(good_workbook(prefecture, tmp_path), "rb") as source, open(locked, "wb") as target:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("secret", target)
    error = refusal(locked)
    assert error.code == "file_password" and "密码" in str(error)


def test_the_no_header_message_says_the_first_ten_rows(tmp_path):
    error = refusal(write_sheet(tmp_path / "nohead.xlsx", [["a", "b"]], header=["1", "2"]))
    assert str(error) == "找不到表头：模板的列名必须在前 10 行之内。"


def test_messages_are_said_in_the_readers_language(tmp_path):
    from django.utils import translation

    path = tmp_path / "x.xlsx"
    path.write_bytes(b"")
    error = refusal(path)
    with translation.override("en"):
        assert str(error) == "The file is empty (0 bytes); upload the saved workbook."


# ------------------------------------------------------------------------------ limits


def padded_sheet(source, target, padding: int) -> str:
    """The workbook with `padding` bytes of blanks inside its sheet: it packs to a few kilobytes."""
    with zipfile.ZipFile(source) as original:
        sheet = original.read("xl/worksheets/sheet1.xml")
    at = sheet.index(b"<sheetData")
    return rezipped(source, target, {"xl/worksheets/sheet1.xml": sheet[:at] + b" " * padding + sheet[at:]})


def test_a_zip_bomb_is_refused_before_it_is_read(prefecture, tmp_path, monkeypatch):
    from retailers import imports

    bomb = padded_sheet(good_workbook(prefecture, tmp_path), tmp_path / "bomb.xlsx", 5 * 1024 * 1024)
    assert (tmp_path / "bomb.xlsx").stat().st_size < 60_000
    monkeypatch.setattr(imports, "_rows_whole", lambda path: pytest.fail("the workbook was read"))
    error = refusal(bomb)
    assert error.code == "file_bomb" and "压缩炸弹" in str(error)


def test_a_workbook_that_unpacks_beyond_the_limits_is_refused(prefecture, tmp_path, settings):
    settings.IMPORT_MAX_INFLATE_RATIO = 100_000
    settings.IMPORT_MAX_UNPACKED_BYTES = 2 * 1024 * 1024
    big = padded_sheet(good_workbook(prefecture, tmp_path), tmp_path / "big.xlsx", 3 * 1024 * 1024)
    error = refusal(big)
    assert error.code == "file_unpacked_too_big"
    assert str(error) == "工作簿解压后有 4 MB，超过允许的 2 MB，请拆分成较小的文件。"
    settings.IMPORT_MAX_UNPACKED_BYTES = 64 * 1024 * 1024
    settings.IMPORT_MAX_SHEET_BYTES = 1024 * 1024
    assert refusal(big).code == "file_sheet_too_big"


def test_a_sheet_that_declares_too_many_cells_is_refused(prefecture, tmp_path, settings):
    settings.IMPORT_MAX_CELLS = 100
    area = prefecture["areas"]["a"]
    path = write_sheet(tmp_path / "wide.xlsx", [row(area, license_no=f"3301000000{n:02d}") for n in range(20)])
    error = refusal(path)
    assert error.code == "file_too_many_cells"
    assert str(error) == "第一个工作表声明了 210 个单元格（A1:J21），超过允许的 100 个，请拆分成较小的文件。"


def test_a_stray_cell_in_the_last_row_does_not_make_a_six_row_sheet_slow(prefecture, tmp_path):
    area = prefecture["areas"]["a"]
    path = tmp_path / "stray.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, [*HEADER, "备注"])
    for n in range(6):
        sheet.write_row(n + 1, 0, [str(v) for v in row(area, license_no=f"3301000000{n:02d}", expires="2030-06-30")])
    sheet.write_string(1_048_575, len(HEADER), "x")  # a note somebody left in the very last row
    workbook.close()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    checked = import_check(path, RETAILERS)
    seconds = time.monotonic() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert list(checked.row_numbers) == [2, 3, 4, 5, 6, 7]
    assert checked.valid.all()
    assert seconds < 3, seconds  # the whole grid took 15 s
    assert grown_mb < 100, grown_mb  # and 500 MB


def test_a_normal_workbook_is_still_read_whole(prefecture, tmp_path, monkeypatch):
    """The fast reader stays the one for sheets whose cells fill what they declare."""
    from retailers import imports

    monkeypatch.setattr(imports, "_rows_streamed", lambda path: pytest.fail("read row by row"))
    assert len(read_sheet(good_workbook(prefecture, tmp_path), RETAILERS).row_numbers) == 1


def test_limits_leave_a_real_sized_sheet_alone(tmp_path):
    """A 20,000-line order sheet as the project's own writer makes it passes the default limits."""
    from crm_site.excel import Column, Sheet, write_xlsx
    from retailers.imports import _inspect

    path = tmp_path / "orders.xlsx"
    columns = [Column(title) for title in ("订单号", "许可证号", "订货日期", "卷烟编码", "数量（条）")]
    lines = ([f"DD{n:014d}", "320102100123", "2025-03-01", "6901028001001", "2"] for n in range(20_000))
    write_xlsx(str(path), [Sheet("订单", columns, lines)])
    assert _inspect(path) is False
    assert io.BytesIO(path.read_bytes()).getbuffer().nbytes < 1_000_000
