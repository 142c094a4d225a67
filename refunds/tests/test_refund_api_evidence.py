"""Evidence through the partner door: attaching a file resumes the review, bad files are
refused naming them, a key sent twice attaches once, and the evidence list shows what
both sides sent."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.tests import files
from casework.tests.api import assert_error, count_list_queries
from refunds import services
from refunds.models import RefundEvidence, RefundState
from refunds.tests.api import evidence_url, png, send_refund
from refunds.tests.factories import PNG, refund_in_state

# Evidence files land in a temporary folder (media_root).
pytestmark = pytest.mark.usefixtures("media_root")

# Evidence


def test_a_partner_attaches_evidence_and_the_review_resumes(api, partner, refunds_desk):
    case = refund_in_state(
        RefundState.AWAITING_EVIDENCE, agent=partner.user, desk=refunds_desk, partner=partner
    )

    response = api.post(
        evidence_url(case.reference),
        {"kind": "payment_voucher", "file": png("cancellation.png"), "note": "Merchant's e-mail"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["file_name"], body["note"]) == (
        "payment_voucher",
        "cancellation.png",
        "Merchant's e-mail",
    )
    evidence = RefundEvidence.objects.get(pk=body["id"])
    assert (evidence.case, evidence.uploaded_by) == (case, partner.user)
    assert evidence.file.read() == PNG
    case.refresh_from_db()
    assert case.state == RefundState.UNDER_REVIEW
    assert case.sla_clock.paused_at is None


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("setup.exe", b"MZ\x90\x00" * 8), "not an accepted evidence file"),
        (files.upload("voucher.png", b"GIF89a" + bytes(40)), "not really a PNG"),
        (SimpleUploadedFile("empty.png", b""), "empty"),
    ],
)
def test_a_bad_evidence_file_is_refused_naming_it(api, partner, upload, message):
    case = send_refund(partner)

    error = assert_error(
        api.post(evidence_url(case.reference), {"kind": "other", "file": upload}, format="multipart"),
        400,
        "invalid",
    )

    assert list(error["fields"]) == ["file"]
    assert message in error["fields"]["file"][0]
    assert not RefundEvidence.objects.exists()


def test_an_evidence_file_over_the_limit_is_refused_naming_it(api, partner, settings, tmp_path):
    settings.EVIDENCE_MAX_BYTES = 64
    case = send_refund(partner)

    error = assert_error(
        api.post(evidence_url(case.reference), {"kind": "other", "file": png()}, format="multipart"),
        400,
        "invalid",
    )

    assert list(error["fields"]) == ["file"]
    assert "limit" in error["message"]
    assert not RefundEvidence.objects.exists()
    assert not list(tmp_path.rglob("*.png")), "a refused file is not kept"


def test_evidence_needs_a_file_and_a_known_kind(api, partner):
    case = send_refund(partner)

    no_file = api.post(evidence_url(case.reference), {"kind": "other"}, format="multipart")
    no_kind = api.post(evidence_url(case.reference), {"kind": "selfie", "file": png()}, format="multipart")

    assert list(assert_error(no_file, 400, "invalid")["fields"]) == ["file"]
    assert list(assert_error(no_kind, 400, "invalid")["fields"]) == ["kind"]


def test_evidence_after_the_decision_is_a_conflict(api, partner, refunds_desk):
    case = refund_in_state(RefundState.APPROVED, agent=partner.user, desk=refunds_desk, partner=partner)

    response = api.post(evidence_url(case.reference), {"kind": "other", "file": png()}, format="multipart")

    assert_error(response, 409, "illegal_transition")
    assert not RefundEvidence.objects.exists()


def test_evidence_comes_as_a_form_not_json(api, partner):
    case = send_refund(partner)

    assert_error(
        api.post(evidence_url(case.reference), {"kind": "other"}, format="json"),
        415,
        "unsupported_media_type",
    )


def test_evidence_sent_twice_under_one_key_is_attached_once(api, partner):
    case = send_refund(partner)

    def send():
        return api.post(
            evidence_url(case.reference),
            {"kind": "payment_voucher", "file": png()},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, again = send(), send()

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert RefundEvidence.objects.count() == 1


# Reading the evidence


def test_the_evidence_list_shows_what_you_and_the_back_office_sent(api, partner, agent):
    case = send_refund(partner)
    api.post(
        evidence_url(case.reference),
        {"kind": "payment_voucher", "file": png("voucher.png"), "note": "From the customer's app"},
        format="multipart",
    )
    case.refresh_from_db()  # the upload moved its version
    services.add_evidence(
        case=case, actor=agent, kind="other", file=png("merchant.png"), note="Merchant on the watch list"
    )

    response = api.get(evidence_url(case.reference))

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(row["file_name"], row["kind"], row["sent_by"], row["note"]) for row in rows] == [
        ("voucher.png", "payment_voucher", "you", "From the customer's app"),
        ("merchant.png", "other", "back office", ""),
    ]
    assert [(row["size"], row["content_type"]) for row in rows] == [(len(PNG), "image/png")] * 2
    assert all(row["uploaded_at"] and row["id"] for row in rows)
    content = response.content.decode()
    assert "watch list" not in content
    assert agent.username not in content
    assert "/media/" not in content and "refunds/" not in content, "metadata only, never the file's address"


def test_an_upload_answers_with_the_same_metadata_as_the_list(api, partner):
    case = send_refund(partner)

    uploaded = api.post(evidence_url(case.reference), {"kind": "other", "file": png()}, format="multipart")

    assert uploaded.status_code == 201, uploaded.content
    assert api.get(evidence_url(case.reference)).json()["results"] == [uploaded.json()]


def test_a_case_without_evidence_lists_none(api, partner):
    case = send_refund(partner)

    response = api.get(evidence_url(case.reference))

    assert response.status_code == 200
    assert (response.json()["results"], response.json()["next"]) == ([], None)


def test_reading_the_evidence_costs_the_same_queries_for_1_or_6_files(api, partner, agent):
    case = send_refund(partner)
    services.add_evidence(case=case, actor=partner.user, kind="other", file=png())
    few, few_rows = count_list_queries(api, evidence_url(case.reference))
    for _ in range(5):
        services.add_evidence(case=case, actor=agent, kind="other", file=png())
    many, many_rows = count_list_queries(api, evidence_url(case.reference))

    assert (few_rows, many_rows) == (1, 6)
    assert few == many == 3, "the key, the case, one page"
