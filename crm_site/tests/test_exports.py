import io
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from crm_site.models import ExportJob, ExportLog
from crm_site.roles import Role

pytestmark = pytest.mark.django_db


def test_a_long_list_offers_a_background_export(client_for, users, monkeypatch):
    monkeypatch.setattr("crm_site.pagination.COUNT_LIMIT", 1)
    page = client_for(users[Role.SUPERVISOR]).get(reverse("retailers:retailer-list")).content.decode()
    assert 'id="export-job-button"' in page and 'id="export-link"' not in page


def test_background_export_writes_the_filtered_scoped_list_for_its_owner_only(
    client_for, users, prefecture, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    supervisor = users[Role.SUPERVISOR]
    client = client_for(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("export-job-create"), {"kind": "retailers", "query": "q=%E8%B6%85%E5%B8%82&after=x"}
        )
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.SUCCEEDED and job.row_count == 1
    assert ExportLog.objects.get().filters["q"] == "超市"
    page = client.get(reverse("export-jobs")).content.decode()
    assert "download-link" in page
    download = client.get(reverse("export-job-download", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["李家超市"]
    other = client_for(users[Role.ADMIN]).get(reverse("export-job-download", args=[job.pk]))
    assert other.status_code == 404


def test_background_export_needs_the_export_permission(client_for, users):
    response = client_for(users[Role.SALES_MANAGER]).post(
        reverse("export-job-create"), {"kind": "retailers", "query": ""}
    )
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_old_export_files_are_cleaned(users, settings, tmp_path):
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from crm_site.exports import export_jobs_clean

    settings.MEDIA_ROOT = tmp_path
    job = ExportJob.objects.create(user=users[Role.ADMIN], kind="retailers", status=ExportJob.Status.SUCCEEDED)
    job.file.save("old.xlsx", ContentFile(b"x"))
    path = job.file.path
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    assert export_jobs_clean() == 1
    assert not ExportJob.objects.exists()
    assert not Path(path).exists()


def test_my_exports_names_each_export_and_says_its_failure_in_the_pages_language(client_for, users):
    admin = users[Role.ADMIN]
    ExportJob.objects.create(user=admin, kind="retailers", status=ExportJob.Status.SUCCEEDED, row_count=12345)
    ExportJob.objects.create(
        user=admin,
        kind="orders",
        status=ExportJob.Status.FAILED,
        message={"code": "crm_site.export_failed", "params": {"error": "OSError: disk full"}},
    )
    client = client_for(admin)
    page = client.get(reverse("export-jobs")).content.decode()
    assert "<td>零售客户</td>" in page and "<td>订单</td>" in page and "<td>retailers</td>" not in page
    assert "12,345" in page and "导出失败：OSError: disk full" in page
    client.cookies["django_language"] = "en"
    page = client.get(reverse("export-jobs")).content.decode()
    assert "<td>Retailers</td>" in page and "The export failed: OSError: disk full" in page


def test_an_export_job_records_its_rows_as_it_writes_them_and_the_page_polls_them(
    client_for, users, settings, tmp_path, monkeypatch
):
    from crm_site import excel, exports

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(excel, "PROGRESS_EVERY", 1)
    seen = []

    def spy(job_id):
        record = real_recorder(job_id)

        def recorded(rows):
            record(rows)
            seen.append(ExportJob.objects.get(pk=job_id).row_count)

        return recorded

    real_recorder = exports._progress_recorder
    monkeypatch.setattr(exports, "_progress_recorder", spy)
    job = ExportJob.objects.create(user=users[Role.ADMIN], kind="retailers")
    client = client_for(users[Role.ADMIN])
    assert 'hx-trigger="every 2s"' in client.get(reverse("export-jobs")).content.decode()
    job = exports.export_job_run(job_id=job.pk)
    assert job.status == ExportJob.Status.SUCCEEDED and job.row_count == 3
    assert seen == [1, 2, 3]  # rows written so far, recorded while the file is written
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, row_count=5000)
    partial = client.get(reverse("export-jobs"), HTTP_HX_REQUEST="true").content.decode()
    assert "5,000" in partial and 'hx-trigger="every 2s"' in partial


def test_a_failed_export_keeps_its_message_as_a_code_and_its_words_in_the_sites_language(users, monkeypatch):
    from crm_site import exports

    refused = ExportJob.objects.create(user=users[Role.SALES_MANAGER], kind="retailers")
    refused = exports.export_job_run(job_id=refused.pk)
    assert refused.status == ExportJob.Status.FAILED
    assert refused.message == {"code": "crm_site.export_not_permitted", "params": {}}
    assert refused.text == "您已无权导出该列表。"

    def broken(user, params):
        raise OSError("disk full " * 50)

    monkeypatch.setitem(exports._builders, "retailers", exports._builders["retailers"]._replace(builder=broken))
    failed = ExportJob.objects.create(user=users[Role.ADMIN], kind="retailers")
    failed = exports.export_job_run(job_id=failed.pk)
    assert failed.message["code"] == "crm_site.export_failed"
    assert failed.text.startswith("导出失败：OSError: disk full") and len(failed.text) <= 300


def test_an_exports_list_state_drops_the_cursor_and_nul_characters():
    from django.http import QueryDict

    from crm_site.exports import list_state

    query = QueryDict("q=%E7%8E%8B%00&after=abc&sort=name&tier=key")
    assert list_state(query) == {"q": "王", "sort": "name", "tier": "key"}
    assert list_state(query, without=("after", "sort")) == {"q": "王", "tier": "key"}


@pytest.mark.parametrize(
    ("language", "notice"),
    [
        ("zh-hans", "正在生成导出文件，完成后将显示在下方。"),
        ("en", "The export is being written; it appears below when ready."),
    ],
)
def test_the_export_notice_is_part_of_the_polled_list_and_goes_when_the_export_is_done(
    client_for, users, language, notice
):
    client = client_for(users[Role.SUPERVISOR])
    client.cookies["django_language"] = language
    page = client.post(reverse("export-job-create"), {"kind": "retailers", "query": ""}, follow=True).content.decode()
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.PENDING  # the worker has not run it yet (no commit in the test)
    before, polled = page.split('id="jobs"')
    assert notice not in before and notice in polled  # the poll refreshes it with the list
    partial = client.get(reverse("export-jobs"), HTTP_HX_REQUEST="true").content.decode()
    assert notice in partial
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.SUCCEEDED, row_count=3)
    partial = client.get(reverse("export-jobs"), HTTP_HX_REQUEST="true").content.decode()
    assert notice not in partial and "download-link" in partial
    assert notice not in client.get(reverse("export-jobs")).content.decode()
