"""Evidence on a refund case: kept with its kind, who and the file, refused naming the file,
and the deadline clock paused while the customer is asked for it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.models import TransitionRecord
from refunds import services
from refunds.models import RefundEvidence, RefundState
from refunds.tests.clock import shanghai
from refunds.tests.factories import PNG, open_refund, png
from refunds.tests.readback import clock_of, records_of, stored

pytestmark = pytest.mark.usefixtures("media_root")

# Evidence.


def test_evidence_is_kept_with_its_kind_who_and_the_file(refund_case_in, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW)

    evidence = services.add_evidence(
        case=case, actor=agent, kind="payment_voucher", file=png("Voucher 0815.PNG"), note="Bank voucher"
    )

    evidence.refresh_from_db()
    assert (evidence.kind, evidence.uploaded_by, evidence.note) == ("payment_voucher", agent, "Bank voucher")
    assert evidence.file.name.startswith(f"refunds/{case.reference}/")
    assert evidence.file.read() == PNG
    record = records_of(case)[-1]
    assert (record.transition, record.actor, record.reason) == ("add_evidence", agent, "Bank voucher")
    assert record.data["kind"] == "payment_voucher"
    assert evidence.history.get().history_user == agent
    assert stored(case).state == RefundState.UNDER_REVIEW


# The trail names each evidence file as stored ("refunds/RFD-.../receipt_x1.png"), so two
# uploads called receipt.png are told apart by an auditor.
def test_the_trail_names_each_stored_evidence_file(refund_case_in, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW)

    first = services.add_evidence(case=case, actor=agent, kind="payment_voucher", file=png("receipt.png"))
    second = services.add_evidence(case=case, actor=agent, kind="proof_of_goods", file=png("receipt.png"))

    assert first.file.name != second.file.name
    recorded = [r.data["file"] for r in records_of(case) if r.transition == "add_evidence"]
    assert recorded == [first.file.name, second.file.name]


@pytest.mark.parametrize(
    ("upload", "max_bytes", "message"),
    [
        (
            SimpleUploadedFile("voucher.exe", b"MZ\x90\x00" + b"\x00" * 60),
            None,
            "'voucher.exe' is not an accepted evidence file; send one of: pdf, jpg, jpeg, png.",
        ),
        (
            SimpleUploadedFile("voucher.pdf", b"GIF89a" + b"\x00" * 60, content_type="application/pdf"),
            None,
            "'voucher.pdf' is not really a PDF file.",
        ),
        (SimpleUploadedFile("voucher.png", PNG), 64, "'voucher.png' is larger than the 0.0625 KB limit."),
        (None, None, "Choose the file to attach."),
    ],
    ids=["exe", "pdf-that-is-not", "too-large", "no-file"],
)
def test_bad_evidence_names_the_file_and_writes_nothing(
    upload, max_bytes, message, settings, refund_case_in, agent
):
    if max_bytes is not None:
        settings.EVIDENCE_MAX_BYTES = max_bytes
    case = refund_case_in(RefundState.UNDER_REVIEW)
    records = TransitionRecord.objects.count()

    with pytest.raises(InvalidInput) as refused:
        services.add_evidence(case=case, actor=agent, kind="payment_voucher", file=upload)

    assert (refused.value.field, refused.value.message) == ("file", message)
    assert not RefundEvidence.objects.exists()
    assert TransitionRecord.objects.count() == records
    assert stored(case).version == case.version
    assert not (settings.MEDIA_ROOT / "refunds").exists()


def test_an_unknown_kind_of_evidence_names_its_field(refund_case_in, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    with pytest.raises(InvalidInput, match="'selfie' is not a kind of evidence") as refused:
        services.add_evidence(case=case, actor=agent, kind="selfie", file=png())
    assert refused.value.field == "kind"
    assert not RefundEvidence.objects.exists()


@pytest.mark.parametrize("state", [RefundState.APPROVED, RefundState.PROCESSING, RefundState.REJECTED])
def test_evidence_after_the_decision_is_refused(state, settings, refund_case_in, agent):
    case = refund_case_in(state)

    with pytest.raises(TransitionRefused, match=r"^Evidence is added before the decision"):
        services.add_evidence(case=case, actor=agent, kind="proof_of_goods", file=png())

    assert not RefundEvidence.objects.exists()
    assert not (settings.MEDIA_ROOT / "refunds").exists()


def test_evidence_needs_the_permission(refund_case_in, auditor):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    with pytest.raises(PermissionRefused):
        services.add_evidence(case=case, actor=auditor, kind="payment_voucher", file=png())
    assert not RefundEvidence.objects.exists()


def test_evidence_sent_on_a_stale_copy_is_refused_and_its_file_not_kept(
    settings, refund_case_in, agent, other_agent
):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    stale = stored(case)
    services.add_evidence(case=case, actor=agent, kind="payment_voucher", file=png("voucher.png"))

    with pytest.raises(ConcurrentChange):
        services.add_evidence(case=stale, actor=other_agent, kind="proof_of_goods", file=png("parcel.png"))

    assert list(RefundEvidence.objects.values_list("kind", flat=True)) == ["payment_voucher"]
    folder = settings.MEDIA_ROOT / "refunds" / case.reference
    assert sorted(path.name for path in folder.rglob("*") if path.is_file()) == ["voucher.png"]


# The deadline clock waits while the customer is asked for evidence.


def test_asking_for_evidence_pauses_the_clock_to_the_minute_and_receiving_it_resumes(
    clock, agent, refunds_desk, settings
):
    clock.set(2026, 11, 16, 10, 0)  # a Monday
    case = open_refund(agent)  # goods not received: 10 business days
    assert clock_of(case).resolution_due_at == shanghai(2026, 11, 30, 18, 0)
    clock.set(2026, 11, 16, 10, 5)
    services.start_review(case=case, actor=refunds_desk)
    asked_at = clock.set(2026, 11, 17, 10, 0)

    services.request_evidence(case=case, actor=refunds_desk, what="The courier's delivery record")

    waiting = stored(case)
    assert (waiting.state, waiting.evidence_requested) == (
        RefundState.AWAITING_EVIDENCE,
        "The courier's delivery record",
    )
    assert waiting.sla_clock.paused_at == asked_at
    assert waiting.next_reminder_at is None
    assert records_of(case)[-1].reason == "The courier's delivery record"

    clock.set(2026, 11, 17, 11, 37)
    services.evidence_received(case=case, actor=refunds_desk, reason="Delivery record came by e-mail")

    running = stored(case)
    assert running.state == RefundState.UNDER_REVIEW
    assert (running.sla_clock.paused_at, running.sla_clock.paused_minutes_total) == (None, 97)
    # 97 working minutes after 18:00 on Monday 30 November: Tuesday, 10:37.
    assert running.sla_clock.resolution_due_at == shanghai(2026, 12, 1, 10, 37)
    first_offset = settings.REFUND_REMINDER_DAYS_BEFORE[0]
    assert running.next_reminder_at == shanghai(2026, 12, 1, 10, 37) - dt.timedelta(days=first_offset)


def test_asking_for_evidence_needs_to_say_what(refund_case_in, refunds_desk):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    with pytest.raises(InvalidInput) as refused:
        services.request_evidence(case=case, actor=refunds_desk, what=" ")
    assert refused.value.field == "what"
    assert clock_of(case).paused_at is None


def test_a_partners_evidence_on_a_case_awaiting_it_resumes_the_review(partner, refunds_desk):
    case = open_refund(partner.user, partner=partner, external_reference="ACME-R-9")
    services.start_review(case=case, actor=refunds_desk)
    services.request_evidence(case=case, actor=refunds_desk, what="Proof the parcel never came")

    services.add_evidence(case=case, actor=partner.user, kind="proof_of_goods", file=png("tracking.png"))

    after = stored(case)
    assert after.state == RefundState.UNDER_REVIEW
    assert after.sla_clock.paused_at is None and after.next_reminder_at is not None
    added, resumed = records_of(case)[-2:]
    assert (added.transition, added.actor, added.actor_label) == (
        "add_evidence",
        partner.user,
        "partner:acme",
    )
    assert (resumed.transition, resumed.source_state, resumed.target_state) == (
        "evidence_received",
        RefundState.AWAITING_EVIDENCE,
        RefundState.UNDER_REVIEW,
    )
    assert (resumed.actor, resumed.actor_label) == (None, "evidence from partner-acme")
    assert resumed.reason == "proof of goods or delivery received"
