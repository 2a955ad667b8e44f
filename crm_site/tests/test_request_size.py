"""A request larger than its URL accepts is refused with a 413 page before its body is read
(issue 15, item 22); the Excel import keeps its own, larger limit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.services import ticket_create
from complaints.tests.factories import ticket_data
from crm_site.roles import Role

pytestmark = pytest.mark.django_db


class UnreadableBody:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args):
        raise AssertionError("the body of an oversized request was read")

    readline = read


@pytest.fixture
def ticket(prefecture, users):
    return ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=users[Role.COMPLAINT_CLERK])


def test_an_oversized_upload_is_refused_before_it_is_read(client_for, users, ticket, settings):
    client = client_for(users[Role.COMPLAINT_CLERK])
    response = client.post(
        reverse("complaints:ticket-attach", args=[ticket.pk]),
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "上传的文件太大" in page and "最大 6 MB" in page
    assert ticket.attachments.count() == 0


def test_the_limit_is_per_url_and_the_import_takes_larger_files(client_for, users, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REQUEST_MAX_BYTES = 2048
    settings.REQUEST_MAX_BYTES_FOR = {"retailers:import-list": 64 * 1024}
    sheet = SimpleUploadedFile("客户.xlsx", b"x" * 4096)
    admin = client_for(users[Role.ADMIN])
    imported = admin.post(reverse("retailers:import-list"), {"kind": "retailers", "file": sheet})
    assert imported.status_code == 302  # taken: the import job is created and reads it
    sheet.seek(0)
    attached = admin.post(reverse("complaints:ticket-attach", args=[ticket.pk]), {"file": sheet})
    assert attached.status_code == 413


def test_ordinary_requests_pass(client_for, users):
    assert client_for(users[Role.ADMIN]).get(reverse("complaints:index")).status_code == 200
