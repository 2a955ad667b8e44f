"""Attachments are what they say they are, requests are capped before they are read, and
downloads are never rendered by the browser (issue 15, item 22)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from complaints.attachments import CONTENT_CHECKS, is_jpeg, is_pdf, is_png
from complaints.models import ATTACHMENT_EXTENSIONS
from complaints.services import ticket_attach, ticket_create
from complaints.tests.factories import ticket_data
from complaints.tests.files import jpeg_bytes, pdf_bytes, png_bytes
from crm_site.roles import Role

TEXT = b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(
    ("check", "real"),
    [(is_png, png_bytes), (is_jpeg, jpeg_bytes), (is_pdf, pdf_bytes)],
)
def test_each_check_knows_its_own_type_only(check, real):
    assert check(real())
    assert not check(TEXT)
    assert not check(b"")
    others = {png_bytes, jpeg_bytes, pdf_bytes} - {real}
    assert not any(check(other()) for other in others)


def test_a_cut_off_or_tampered_image_is_not_an_image():
    png = png_bytes()
    assert not is_png(png[:-12])  # no IEND
    assert not is_png(png[:40] + b"x" + png[41:])  # a byte changed: the CRC fails
    assert not is_png(b"\x89PNG\r\n\x1a\n" + TEXT)  # the signature alone is not enough
    jpeg = jpeg_bytes()
    assert not is_jpeg(jpeg[:12])  # cut inside the JFIF header
    assert not is_jpeg(b"\xff\xd8\xff\xe0" + TEXT)
    assert not is_pdf(b"%PDF-1.4\n" + TEXT)  # no %%EOF: truncated


def test_every_allowed_extension_has_a_content_check():
    assert set(ATTACHMENT_EXTENSIONS) == set(CONTENT_CHECKS) == {"jpg", "jpeg", "png", "pdf"}


@pytest.fixture
def ticket(prefecture, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return ticket_create(retailer=prefecture["shops"]["a"], data=ticket_data(), created_by=users[Role.COMPLAINT_CLERK])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"), [("photo.png", png_bytes), ("photo.JPG", jpeg_bytes), ("letter.pdf", pdf_bytes)]
)
def test_real_files_are_attached(ticket, users, name, content):
    attachment = ticket_attach(
        ticket=ticket, upload=SimpleUploadedFile(name, content()), user=users[Role.COMPLAINT_CLERK]
    )
    assert attachment.file.read() == content()


@pytest.mark.django_db
def test_a_png_that_is_text_is_refused_whatever_the_browser_says(ticket, users):
    upload = SimpleUploadedFile("photo.png", TEXT, content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        ticket_attach(ticket=ticket, upload=upload, user=users[Role.COMPLAINT_CLERK])
    assert refused.value.code == "content_mismatch"
    assert ticket.attachments.count() == 0


@pytest.mark.django_db
def test_the_page_names_the_attachment_and_what_is_wrong(client_for, users, ticket):
    client = client_for(users[Role.COMPLAINT_CLERK])
    url = reverse("complaints:ticket-attach", args=[ticket.pk])
    response = client.post(url, {"file": SimpleUploadedFile("发票.png", TEXT, content_type="image/png")}, follow=True)
    assert "附件“发票.png”的内容不是 PNG 文件" in response.content.decode()
    assert ticket.attachments.count() == 0
    client.post(url, {"file": SimpleUploadedFile("发票.png", png_bytes(), content_type="image/png")})
    assert ticket.attachments.count() == 1


@pytest.mark.django_db
def test_downloads_are_attachments_the_browser_may_not_sniff(client_for, users, ticket):
    clerk = users[Role.COMPLAINT_CLERK]
    attachment = ticket_attach(ticket=ticket, upload=SimpleUploadedFile("photo.png", png_bytes()), user=clerk)
    response = client_for(clerk).get(reverse("complaints:attachment-download", args=[attachment.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()
    page = client_for(clerk).get(reverse("complaints:ticket-detail", args=[ticket.pk])).content.decode()
    assert ">photo.png</a>" in page and "tickets/" not in page  # the file's name, not its storage path
