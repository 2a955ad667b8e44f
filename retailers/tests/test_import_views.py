import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from crm_site.roles import Role
from retailers.import_jobs import import_job_check, import_job_message
from retailers.imports import IMPORT_KINDS, read_sheet
from retailers.models import ImportJob, Retailer
from retailers.tests.factories import RetailerFactory
from retailers.tests.test_imports import HEADER, row, write_sheet

pytestmark = pytest.mark.django_db


def upload(path, name="retailers.xlsx") -> SimpleUploadedFile:
    with open(path, "rb") as handle:
        return SimpleUploadedFile(name, handle.read())


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.SUPERVISOR, 403), (Role.SALES_MANAGER, 403), (Role.COMPLAINT_CLERK, 403)],
)
def test_imports_page_is_for_admins(client_for, users, role, status):
    assert client_for(users[role]).get(reverse("retailers:import-list")).status_code == status


def test_template_has_the_chinese_headers_and_an_example(client_for, users):
    response = client_for(users[Role.ADMIN]).get(reverse("retailers:import-template", args=["retailers"]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A1"].value == "许可证号" and sheet["A2"].value == "320102100123"


@pytest.mark.parametrize("kind", list(IMPORT_KINDS))
def test_every_kind_has_a_template_the_importer_reads_back(client_for, users, tmp_path, kind):
    response = client_for(users[Role.ADMIN]).get(reverse("retailers:import-template", args=[kind]))
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    sheet = read_sheet(path, IMPORT_KINDS[kind])
    assert list(sheet.columns) == [column.field for column in IMPORT_KINDS[kind].columns]
    assert sheet.row_numbers == [2]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.SALES_MANAGER, Role.COMPLAINT_CLERK])
def test_templates_reports_and_jobs_are_for_admins_only(client_for, users, role):
    job = ImportJob.objects.create(file="x.xlsx", original_name="x.xlsx", created_by=users[Role.ADMIN])
    client = client_for(users[role])
    assert client.get(reverse("retailers:import-template", args=["orders"])).status_code == 403
    assert client.get(reverse("retailers:import-detail", args=[job.pk])).status_code == 403
    assert client.get(reverse("retailers:import-errors", args=[job.pk])).status_code == 403
    assert client.post(reverse("retailers:import-confirm", args=[job.pk]), {"mode": "all"}).status_code == 403


def test_an_unknown_kind_is_refused(client_for, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(users[Role.ADMIN])
    assert client.get(reverse("retailers:import-template", args=["nonsense"])).status_code == 404
    response = client.post(
        reverse("retailers:import-list"), {"kind": "nonsense", "file": SimpleUploadedFile("a.xlsx", b"PK")}, follow=True
    )
    assert "请选择表格的内容类型" in response.content.decode() and not ImportJob.objects.exists()


def test_upload_check_read_errors_then_skip_invalid_import(
    client_for, prefecture, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    area = prefecture["areas"]["a"]
    path = write_sheet(
        tmp_path / "in.xlsx", [row(area, license_no="330100000001"), row(area, license_no="330100000002", phone="12")]
    )
    client = client_for(prefecture["users"][Role.ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("retailers:import-list"), {"file": upload(path)})
    job = ImportJob.objects.get()
    assert response.url == reverse("retailers:import-detail", args=[job.pk])
    assert (job.status, job.rows_read, job.rows_invalid, job.to_create) == ("checked", 2, 1, 1)
    assert not Retailer.objects.filter(license_no__startswith="3301").exists()  # the check wrote nothing

    report = client.get(reverse("retailers:import-errors", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert sheet.cell(row=3, column=sheet.max_column).value.startswith("电话：")
    english = client.get(reverse("retailers:import-errors", args=[job.pk]), headers={"accept-language": "en"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(english.streaming_content))).active
    assert sheet.cell(row=3, column=sheet.max_column).value.startswith("Phone (电话): a mobile number")
    assert sheet.cell(row=2, column=sheet.max_column).value is None

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("retailers:import-confirm", args=[job.pk]), {"mode": "all"})
    job.refresh_from_db()
    assert job.status == "failed" and not Retailer.objects.filter(license_no__startswith="3301").exists()

    job2 = ImportJob.objects.create(
        file=job.file.name, original_name="again.xlsx", created_by=job.created_by, status="checked",
        rows_read=2, rows_invalid=1,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("retailers:import-confirm", args=[job2.pk]), {"mode": "skip"})
    job2.refresh_from_db()
    assert (job2.status, job2.created, job2.skipped) == ("succeeded", 1, 1)
    assert Retailer.objects.filter(license_no="330100000001").exists()
    page = client.get(reverse("retailers:import-detail", args=[job2.pk])).content.decode()
    assert 'id="touched"' in page and "330100000001" in page


@pytest.mark.parametrize(
    ("name", "content", "message"), [("notes.txt", b"hello", "Excel"), ("big.xlsx", b"0" * 2048, "MB")]
)
def test_wrong_files_are_refused_at_upload(client_for, users, settings, tmp_path, name, content, message):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_MAX_BYTES = 1024
    response = client_for(users[Role.ADMIN]).post(
        reverse("retailers:import-list"), {"file": SimpleUploadedFile(name, content)}, follow=True
    )
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_corrupt_spreadsheet_is_refused_by_the_check(
    client_for, users, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        client_for(users[Role.ADMIN]).post(
            reverse("retailers:import-list"), {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04 broken")}
        )
    job = ImportJob.objects.get()
    assert job.status == "refused" and "损坏" in import_job_message(job)


def test_two_checks_of_the_same_kind_cannot_run_at_once(client_for, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ImportJob.objects.create(file="x.xlsx", original_name="x.xlsx", created_by=users[Role.ADMIN], status="importing")
    response = client_for(users[Role.ADMIN]).post(
        reverse("retailers:import-list"), {"file": SimpleUploadedFile("y.xlsx", b"PK")}, follow=True
    )
    assert "正在进行" in response.content.decode()


def test_the_import_reuses_the_checked_rows_and_plans_them_again(prefecture, settings, tmp_path):
    """Between the dry run and the confirmation somebody created one of the shops: the import
    updates it instead of failing on a duplicate licence, and then drops the kept rows."""
    from django.core.files import File

    from retailers.import_jobs import import_job_apply, import_job_check
    from retailers.tests.factories import RetailerFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    area = prefecture["areas"]["a"]
    path = write_sheet(
        tmp_path / "in.xlsx", [row(area, license_no="330100000001"), row(area, license_no="330100000002")]
    )
    with open(path, "rb") as handle:
        job = ImportJob.objects.create(
            file=File(handle, name="in.xlsx"), original_name="in.xlsx", created_by=prefecture["users"][Role.ADMIN]
        )
    job = import_job_check(job_id=job.pk)
    assert (job.to_create, bool(job.checked_rows)) == (2, True)
    RetailerFactory(license_no="330100000002", service_area=area, name="先到的店")
    ImportJob.objects.filter(pk=job.pk).update(status="importing", mode="all")
    job = import_job_apply(job_id=job.pk)
    assert (job.status, job.created, job.updated) == ("succeeded", 1, 1)
    assert Retailer.objects.get(license_no="330100000002").name == "周记便利店"
    assert not job.checked_rows


def test_an_unexpected_error_ends_the_job_instead_of_blocking_the_kind(prefecture, settings, tmp_path, monkeypatch):
    from retailers import import_jobs

    settings.MEDIA_ROOT = tmp_path / "media"
    job = ImportJob.objects.create(file="x.xlsx", original_name="x.xlsx", created_by=prefecture["users"][Role.ADMIN])

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_jobs, "read_sheet", broken)
    job = import_jobs.import_job_check(job_id=job.pk)
    assert job.status == "refused" and "意外错误" in import_job_message(job)
    ImportJob.objects.create(file="y.xlsx", original_name="y.xlsx", created_by=job.created_by)  # the kind is free


# ------------------------------------------------------------------------------ the template (items 10, 12)


def template_workbook(client, kind="retailers"):
    response = client.get(reverse("retailers:import-template", args=[kind]))
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.mark.parametrize("kind", list(IMPORT_KINDS))
def test_the_unedited_template_passes_the_check(client_for, prefecture, tmp_path, kind):
    from retailers.imports import import_check
    from retailers.tests.factories import ProductFactory

    ProductFactory(code="6901028009009")
    response = client_for(prefecture["users"][Role.ADMIN]).get(reverse("retailers:import-template", args=[kind]))
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    checked = import_check(path, IMPORT_KINDS[kind])
    assert checked.valid.all(), checked.error_texts(0)


def test_the_template_lists_the_service_areas_the_user_may_import_into(client_for, prefecture):
    workbook = template_workbook(client_for(prefecture["users"][Role.ADMIN]))
    sheet, areas, notes = workbook.worksheets
    codes = {area.code for area in prefecture["areas"].values()}
    headers = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=headers.index("营销片区") + 1).value in codes
    assert areas.title == "营销片区"
    assert [cell.value for cell in areas[1]] == ["编码", "名称", "区域"]
    listed = {(code, name, region) for code, name, region in areas.iter_rows(min_row=2, values_only=True)}
    assert listed == {(a.code, a.name, a.region.name) for a in prefecture["areas"].values()}
    assert notes.title == "列说明"


def test_the_template_marks_which_columns_are_required(client_for, prefecture):
    workbook = template_workbook(client_for(prefecture["users"][Role.ADMIN]))
    sheet, notes = workbook.worksheets[0], workbook.worksheets[2]
    need = {name: value for name, _english, value, _takes in notes.iter_rows(min_row=2, max_row=16, values_only=True)}
    assert need["许可证号"] == need["营销片区"] == need["市场类型"] == "必填"
    assert need["商圈"] == need["电话"] == "新建记录时必填"
    assert need["信用等级"] == "选填"
    fills = {cell.value: cell.fill.fgColor.rgb for cell in sheet[1]}
    assert fills["许可证号"] != fills["商圈"] != fills["信用等级"]
    assert sheet["A1"].comment.text.startswith("必填")


# ------------------------------------------------------------------------------ the check's page (items 3, 4, 11)


def checked_job(prefecture, tmp_path, rows) -> ImportJob:
    from django.core.files import File

    from retailers.import_jobs import import_job_check

    with open(write_sheet(tmp_path / "in.xlsx", rows), "rb") as handle:
        job = ImportJob.objects.create(
            file=File(handle, name="in.xlsx"), original_name="in.xlsx", created_by=prefecture["users"][Role.ADMIN]
        )
    return import_job_check(job_id=job.pk)


def test_the_preview_shows_late_errors_first(prefecture, settings, tmp_path, client_for):
    settings.MEDIA_ROOT = tmp_path / "media"
    area = prefecture["areas"]["a"]
    rows = [row(area, license_no=f"3301000{n:05d}") for n in range(250)]
    rows.append(row(area, license_no="330100099999", phone="12"))
    job = checked_job(prefecture, tmp_path, rows)
    assert (job.rows_invalid, job.to_create) == (1, 250)
    assert job.preview[0]["row"] == 252 and job.preview[0]["errors"] == [["phone", "phone", {}]]
    assert len(job.preview) == 200
    page = client_for(prefecture["users"][Role.ADMIN]).get(reverse("retailers:import-detail", args=[job.pk]))
    first = page.content.decode().split('id="preview"')[1].split("</tr>")[1]
    assert "252" in first and "电话：应为手机号" in first


def test_no_import_is_offered_when_no_row_is_valid(prefecture, settings, tmp_path, client_for):
    from retailers.import_jobs import import_job_confirm

    settings.MEDIA_ROOT = tmp_path / "media"
    area = prefecture["areas"]["a"]
    job = checked_job(prefecture, tmp_path, [row(area, phone="12"), row(area, license_no="330100000002", phone="1")])
    assert (job.status, job.rows_valid) == ("checked", 0)
    page = client_for(prefecture["users"][Role.ADMIN]).get(reverse("retailers:import-detail", args=[job.pk]))
    html = page.content.decode()
    assert 'id="confirm-button"' not in html and 'id="nothing-valid"' in html
    with pytest.raises(ValidationError, match="没有可导入"):
        import_job_confirm(job=job, mode="skip", user=prefecture["users"][Role.ADMIN])
    job.refresh_from_db()
    assert job.status == "checked"


def test_the_check_page_speaks_english_on_the_english_ui(prefecture, settings, tmp_path, client_for):
    settings.MEDIA_ROOT = tmp_path / "media"
    shop = prefecture["shops"]["a"]
    job = checked_job(
        prefecture, tmp_path,
        [row(shop.service_area, license_no="330100000001", phone="12"),
         row(shop.service_area, license_no=shop.license_no, business="超市", zone="学校周边")],
    )  # fmt: skip
    client = client_for(prefecture["users"][Role.ADMIN])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("retailers:import-detail", args=[job.pk])).content.decode()
    assert "Phone (电话): a mobile number" in html
    assert "<th>Licence number (许可证号)</th><th>Shop name (店名)</th>" in html
    assert "Business type (业态):" in html and "→ Supermarket" in html and "→ Near schools" in html
    assert "电话：" not in html and "business_type" not in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("retailers:import-detail", args=[job.pk])).content.decode()
    assert "电话：应为手机号" in html and "业态: " not in html and "→ 超市" in html


def test_jobs_stored_before_the_codes_still_show_their_words(prefecture, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    job = ImportJob.objects.create(
        file="x.xlsx", original_name="x.xlsx", created_by=prefecture["users"][Role.ADMIN], status="refused",
        text="文件已损坏。", rows_read=1, rows_invalid=1,
        preview=[{"row": 2, "action": "invalid", "key": "1", "label": "店", "changes": {}, "errors": ["电话：错"]}],
    )  # fmt: skip
    html = client_for(prefecture["users"][Role.ADMIN]).get(reverse("retailers:import-detail", args=[job.pk]))
    assert "文件已损坏。" in html.content.decode() and "<div>电话：错</div>" in html.content.decode()


def test_counts_on_the_import_pages_have_thousands_separators_and_no_inline_style(prefecture, client_for):
    job = ImportJob.objects.create(
        file="x.xlsx", original_name="x.xlsx", created_by=prefecture["users"][Role.ADMIN], status="succeeded",
        rows_read=123456, rows_invalid=1234, created=100000, updated=12222,
    )  # fmt: skip
    client = client_for(prefecture["users"][Role.ADMIN])
    detail = client.get(reverse("retailers:import-detail", args=[job.pk])).content.decode()
    assert "123,456" in detail and "122,222" in detail and "1,234" in detail
    assert 'style="' not in detail.split('id="job-status"')[1] and '<progress class="job-progress' in detail
    listing = client.get(reverse("retailers:import-list")).content.decode()
    assert "123,456" in listing and "100,000" in listing and "12,222" in listing


def test_a_job_checked_before_the_codes_serves_the_report_written_then(prefecture, client_for, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path / "media"
    job = ImportJob(file="x.xlsx", original_name="old.xlsx", created_by=prefecture["users"][Role.ADMIN])
    job.error_report.save("errors-old.xlsx", ContentFile(b"PK old report"), save=False)
    job.save()
    response = client_for(prefecture["users"][Role.ADMIN]).get(reverse("retailers:import-errors", args=[job.pk]))
    assert b"".join(response.streaming_content) == b"PK old report"
    assert "errors-old.xlsx" in response["Content-Disposition"]


def test_a_refused_jobs_message_is_stored_as_a_code_and_said_with_the_kinds_column_titles(
    prefecture, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    path = write_sheet(tmp_path / "short.xlsx", [row(prefecture["areas"]["a"])[:9]], HEADER[:9])
    with open(path, "rb") as handle:
        job = ImportJob.objects.create(
            file=SimpleUploadedFile("short.xlsx", handle.read()),
            original_name="short.xlsx",
            created_by=prefecture["users"][Role.ADMIN],
        )
    job = import_job_check(job_id=job.pk)
    assert job.status == "refused"
    assert job.message == {"code": "retailers.import.missing_columns", "params": {"columns": ["service_area"]}}
    assert job.text == "缺少必填列：营销片区"  # the site's language, for the admin and old readers
    with translation.override("en"):
        assert import_job_message(job) == "Missing columns: Service area (营销片区)"


@pytest.mark.parametrize(
    ("language", "words", "touched"),
    [
        ("zh-hans", ["<td>新增</td>", '<span class="text-danger">有误</span>'], "王记便利店（330100000001）"),
        ("en", ["<td>Create</td>", '<span class="text-danger">Invalid</span>'], "王记便利店 (330100000001)"),
    ],
)
def test_the_preview_actions_and_the_touched_shops_read_well_in_both_languages(
    prefecture, settings, tmp_path, client_for, language, words, touched
):
    settings.MEDIA_ROOT = tmp_path / "media"
    area = prefecture["areas"]["a"]
    job = checked_job(
        prefecture, tmp_path, [row(area, license_no="330100000001"), row(area, license_no="330100000002", phone="12")]
    )
    client = client_for(prefecture["users"][Role.ADMIN])
    client.cookies["django_language"] = language
    preview = client.get(reverse("retailers:import-detail", args=[job.pk])).content.decode().split('id="preview"')[1]
    for word in words:
        assert word in preview
    shop = RetailerFactory(service_area=area, name="王记便利店", license_no="330100000001")
    ImportJob.objects.filter(pk=job.pk).update(status="succeeded", touched_ids=[shop.pk], created=1)
    page = client.get(reverse("retailers:import-detail", args=[job.pk])).content.decode()
    assert touched in page.split('id="touched"')[1].split("</div>")[0]


@pytest.mark.parametrize(
    ("language", "nothing", "waiting"),
    [
        ("zh-hans", "已校验：没有可导入的行", "已校验，待确认"),
        ("en", "Checked: no valid rows to import", "Checked: waiting for confirmation"),
    ],
)
def test_a_check_without_valid_rows_says_nothing_can_be_imported_on_the_job_and_the_list(
    prefecture, settings, tmp_path, client_for, language, nothing, waiting
):
    settings.MEDIA_ROOT = tmp_path / "media"
    area = prefecture["areas"]["a"]
    job = checked_job(prefecture, tmp_path, [row(area, phone="12")])
    assert (job.status, job.rows_valid) == ("checked", 0)
    client = client_for(prefecture["users"][Role.ADMIN])
    client.cookies["django_language"] = language
    detail = client.get(reverse("retailers:import-detail", args=[job.pk])).content.decode()
    state = detail.split('id="job-state"')[1].split("</span>")[0]
    assert nothing in state and waiting not in state
    listing = client.get(reverse("retailers:import-list")).content.decode()
    assert nothing in listing and waiting not in listing
    ImportJob.objects.filter(pk=job.pk).update(rows_invalid=0)  # one valid row: there is something to confirm
    assert waiting in client.get(reverse("retailers:import-list")).content.decode()


def test_a_jobs_status_label_says_when_a_check_left_nothing_to_import(db):
    job = ImportJob(status=ImportJob.Status.CHECKED, rows_read=2, rows_invalid=2)
    with translation.override("en"):
        assert job.status_label == "Checked: no valid rows to import"
        job.rows_invalid = 1
        assert job.status_label == "Checked: waiting for confirmation"
        job.status = ImportJob.Status.SUCCEEDED
        assert job.status_label == "Imported"
