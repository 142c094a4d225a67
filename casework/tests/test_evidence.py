"""Every upload is checked whole, by one check (casework.core.evidence), whichever model holds it
(refund evidence, authentication evidence, complaint attachments) and whichever door it
came through (a service, the admin, the partner API): crafted files are refused naming the
field, and nothing is stored; real files pass, images without their metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from accounts import services as account_services
from accounts.models import AuthenticationEvidence
from accounts.tests.factories import wallet_account
from casework.core.errors import InvalidInput
from casework.models import TransitionRecord
from casework.tests import files
from casework.tests.admin import act, admin_url
from casework.tests.api import assert_error
from complaints import services as complaint_services
from complaints.models import ComplaintAttachment
from complaints.tests.admin import open_change_form
from complaints.tests.factories import register
from refunds import services as refund_services
from refunds.models import RefundEvidence
from refunds.tests.factories import open_refund

pytestmark = pytest.mark.usefixtures("media_root")

# (name, content, declared content type or None for the extension's, what the refusal says)
CRAFTED = {
    "png-then-html": ("voucher.png", files.PNG_THEN_HTML, None, "data follows the end of the image"),
    "jpeg-then-html": ("photo.jpg", files.JPEG_THEN_HTML, None, "data follows the end of the image"),
    "pdf-header-then-html": ("voucher.pdf", files.PDF_HEADER_THEN_HTML, None, "does not end at its %%EOF"),
    "pdf-then-html": ("voucher.pdf", files.PDF_THEN_HTML, None, "does not end at its %%EOF"),
    "png-of-100000-by-100000": (
        "scan.png",
        files.PNG_OF_100000_BY_100000,
        None,
        "more than 50,000,000 pixels",
    ),
    "decompression-bomb": ("scan.png", files.PNG_BOMB, None, "more than 50,000,000 pixels"),
    "exe": ("setup.exe", files.EXE, None, "is not an accepted evidence file"),
    "exe-named-png": ("voucher.png", files.EXE, None, "is not really a PNG file"),
    "svg": ("drawing.svg", files.SVG, "image/svg+xml", "is not an accepted evidence file"),
    "html": ("page.html", files.HTML, "text/html", "is not an accepted evidence file"),
    "png-sent-as-html": ("voucher.png", files.PNG, "text/html", "was sent as text/html"),
    "png-named-jpeg": ("photo.jpg", files.PNG, None, "is not really a JPEG file"),
    "pdf-with-javascript": ("letter.pdf", files.PDF_WITH_JAVASCRIPT, None, "active content"),
    "pdf-with-launch": ("letter.pdf", files.PDF_WITH_LAUNCH, None, "active content"),
    "pdf-with-embedded-file": ("letter.pdf", files.PDF_WITH_EMBEDDED_FILE, None, "embedded file"),
}
GOOD = {
    "png": ("voucher.png", files.PNG),
    "jpg": ("photo.jpg", files.JPEG),
    "jpeg": ("photo.jpeg", files.JPEG),
    "pdf": ("letter.pdf", files.PDF),
    "pdf-opening-at-page-one": ("letter.pdf", files.PDF_OPENING_AT_PAGE_ONE),
}
MODELS = (RefundEvidence, AuthenticationEvidence, ComplaintAttachment)


def crafted(label: str):
    name, content, declared, message = CRAFTED[label]
    return files.upload(name, content, declared), message


def stored_nothing(media_root) -> bool:
    return not any(path.is_file() for path in media_root.rglob("*"))


# Through the services, as the API, the admin's step forms and the demo loader call them.


def upload_through_the_service(model, agent, upload):
    if model is RefundEvidence:
        case = open_refund(agent)
        return refund_services.add_evidence(case=case, actor=agent, kind="payment_voucher", file=upload)
    if model is AuthenticationEvidence:
        request = account_services.open_account_request(
            actor=agent, account_number=wallet_account().account_number, customer_statement="Locked out."
        )
        request = account_services.verify_identity(request=request, actor=agent, method="callback")
        return account_services.add_evidence(
            request=request, actor=agent, method="id_document", outcome="passed", file=upload
        )
    return complaint_services.add_attachment(complaint=register(agent), actor=agent, file=upload)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("label", CRAFTED)
def test_a_crafted_file_is_refused_by_every_upload_naming_the_file_and_nothing_is_stored(
    model, label, agent, media_root
):
    upload, message = crafted(label)

    with pytest.raises(InvalidInput) as refused:
        upload_through_the_service(model, agent, upload)

    assert refused.value.field == "file"
    assert message in refused.value.message
    assert not model.objects.exists()
    steps = ["add_evidence", "collect_authentication"]
    assert not TransitionRecord.objects.filter(transition__in=steps).exists()
    assert stored_nothing(media_root)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("label", GOOD)
def test_a_real_pdf_jpeg_or_png_is_stored_by_every_upload(model, label, agent):
    name, content = GOOD[label]

    stored = upload_through_the_service(model, agent, files.upload(name, content))

    stored.file.open("rb")
    assert stored.file.read() == content  # written as Pillow/pypdf write it: kept byte for byte
    assert stored.file.name.rpartition("/")[2] == name


def test_a_photo_is_stored_without_where_it_was_taken(agent):
    before = Image.open(io.BytesIO(files.JPEG_WITH_GPS))
    assert before.getexif().get_ifd(0x8825), "the upload carries a GPS position"

    stored = upload_through_the_service(
        ComplaintAttachment, agent, files.upload("photo.jpg", files.JPEG_WITH_GPS)
    )

    stored.file.open("rb")
    after = Image.open(io.BytesIO(stored.file.read()))
    assert after.format == "JPEG" and after.size == before.size
    assert not after.getexif().get_ifd(0x8825)


def test_the_size_cap_is_checked_before_the_file_is_read(agent, settings, media_root):
    settings.EVIDENCE_MAX_BYTES = 64

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("read before its size was checked")

    upload = files.upload("scan.png", files.PNG)
    upload.file = Unreadable(files.PNG)

    with pytest.raises(InvalidInput, match=r"larger than the 0\.0625 KB limit") as refused:
        upload_through_the_service(RefundEvidence, agent, upload)
    assert refused.value.field == "file"
    assert stored_nothing(media_root)


# The admin: the refusal next to the file field, the form shown again, nothing stored.


def step_form_errors(response) -> list[str] | None:
    """The file field's errors on a step's form shown again; None once it went through."""
    form = response.context.get("transition_form")
    return form.errors.get("file") if form is not None else None


def upload_through_the_admin(model, client, agent, upload):
    client.force_login(agent)
    if model is RefundEvidence:
        case = open_refund(agent)
        response = act(client, admin_url(case, "step", "add-evidence"), kind="proof_of_goods", file=upload)
        return response, step_form_errors(response)
    if model is AuthenticationEvidence:
        request = account_services.open_account_request(
            actor=agent, account_number=wallet_account().account_number, customer_statement="Locked out."
        )
        request = account_services.verify_identity(request=request, actor=agent, method="callback")
        response = act(
            client,
            admin_url(request, "step", "collect-authentication"),
            method="id_document",
            outcome="passed",
            file=upload,
        )
        return response, step_form_errors(response)
    complaint = register(agent)
    data = open_change_form(client, complaint)
    response = client.post(
        admin_url(complaint), {**data, "attachments-TOTAL_FORMS": "1", "attachments-0-file": upload}
    )
    if response.status_code != 200:
        return response, None
    (formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is ComplaintAttachment
    ]
    return response, formset.forms[0].errors.get("file")


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("label", CRAFTED)
def test_the_admin_refuses_a_crafted_file_next_to_the_file_field(model, label, client, agent, media_root):
    upload, message = crafted(label)

    response, errors = upload_through_the_admin(model, client, agent, upload)

    assert response.status_code == 200  # the form again
    assert errors and message in errors[0], errors
    assert not model.objects.exists()
    assert stored_nothing(media_root)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_admin_stores_a_real_file(model, client, agent):
    response, errors = upload_through_the_admin(model, client, agent, files.upload("letter.pdf", files.PDF))

    assert errors is None
    assert response.status_code in (200, 302)
    assert model.objects.get().file.name.endswith("/letter.pdf")


# The partner API: a 400 naming the field, nothing stored.


@pytest.mark.parametrize("label", CRAFTED)
def test_the_api_refuses_a_crafted_file_naming_the_field(label, api, partner, media_root):
    upload, message = crafted(label)
    case = open_refund(partner.user, partner=partner)

    response = api.post(
        f"/api/v1/refund-cases/{case.reference}/evidence/",
        {"kind": "other", "file": upload},
        format="multipart",
    )

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["file"]
    assert message in error["fields"]["file"][0]
    assert not RefundEvidence.objects.exists()
    assert stored_nothing(media_root)


@pytest.mark.parametrize("label", GOOD)
def test_the_api_stores_a_real_file(label, api, partner):
    name, content = GOOD[label]
    case = open_refund(partner.user, partner=partner)

    response = api.post(
        f"/api/v1/refund-cases/{case.reference}/evidence/",
        {"kind": "other", "file": files.upload(name, content)},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert response.json()["file_name"] == name
    assert RefundEvidence.objects.get().file.read() == content
