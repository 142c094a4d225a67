"""Account lock/unlock use cases: every allowed and refused transition, and bad input that
leaves nothing half-written. Four eyes, judicial freezes and protective locks, the
complaint a request came from, and two reviewers at once have their own
``test_account_*.py`` modules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services
from accounts.models import (
    AccountRequest,
    AccountStatus,
    AuthenticationEvidence,
    LockReason,
    RequestKind,
    RequestState,
    WalletAccount,
)
from accounts.tests.factories import PATHS, request_in_state, wallet_account
from accounts.tests.readback import records_of, stored
from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.models import SlaClock, TransitionRecord
from casework.privacy.masking import mask_account_number
from casework.tests.files import PNG

# Evidence files land in a temporary folder (media_root).
pytestmark = pytest.mark.usefixtures("media_root")

ALL_TRANSITIONS: dict[str, Callable] = {
    "verify_identity": lambda r, agent, reviewer: services.verify_identity(
        request=r, actor=agent, method="callback"
    ),
    "collect_authentication": lambda r, agent, reviewer: services.add_evidence(
        request=r, actor=agent, method="face_check", outcome="passed", note="Live face check matched"
    ),
    "submit_for_review": lambda r, agent, reviewer: services.submit_for_review(request=r, actor=agent),
    "approve": lambda r, agent, reviewer: services.approve_request(request=r, actor=reviewer),
    "execute": lambda r, agent, reviewer: services.execute_request(request=r, actor=reviewer),
    "reject": lambda r, agent, reviewer: services.reject_request(
        request=r, actor=reviewer, reason="Caller could not name a recent payee"
    ),
    "cancel": lambda r, agent, reviewer: services.cancel_request(request=r, actor=agent),
}

# The state machine declared on AccountRequest (accounts/models.py): (from, transition)
# -> to. Collecting an authentication is a recorded step that keeps the state.
ALLOWED = {
    (RequestState.SUBMITTED, "verify_identity"): RequestState.IDENTITY_VERIFIED,
    (RequestState.IDENTITY_VERIFIED, "collect_authentication"): RequestState.IDENTITY_VERIFIED,
    (RequestState.IDENTITY_VERIFIED, "submit_for_review"): RequestState.PENDING_REVIEW,
    (RequestState.PENDING_REVIEW, "approve"): RequestState.APPROVED,
    (RequestState.APPROVED, "execute"): RequestState.EXECUTED,
    **{
        (state, "reject"): RequestState.REJECTED
        for state in (RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED, RequestState.PENDING_REVIEW)
    },
    **{
        (state, "cancel"): RequestState.CANCELLED
        for state in (
            RequestState.SUBMITTED,
            RequestState.IDENTITY_VERIFIED,
            RequestState.PENDING_REVIEW,
            RequestState.APPROVED,
        )
    },
}
REFUSED = sorted((state, name) for state in PATHS for name in ALL_TRANSITIONS if (state, name) not in ALLOWED)


def png(name: str = "id-card.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


# Every transition, allowed and refused.


@pytest.mark.parametrize(("source", "name"), sorted(ALLOWED))
def test_allowed_transition_moves_and_is_recorded(source, name, agent, supervisor):
    request = request_in_state(source, agent=agent, reviewer=supervisor, authenticated=True)
    before = TransitionRecord.objects.count()
    actor = supervisor if name in {"approve", "execute", "reject"} else agent

    ALL_TRANSITIONS[name](request, agent, supervisor)

    assert stored(request).state == ALLOWED[(source, name)]
    assert TransitionRecord.objects.count() == before + 1
    record = TransitionRecord.objects.latest("id")
    assert (record.transition, record.source_state, record.target_state) == (
        name,
        source,
        ALLOWED[(source, name)],
    )
    assert (record.actor, record.actor_label, record.case_reference) == (
        actor,
        actor.username,
        request.reference,
    )


@pytest.mark.parametrize(("source", "name"), REFUSED)
def test_refused_transition_changes_nothing(source, name, agent, supervisor):
    request = request_in_state(source, agent=agent, reviewer=supervisor)
    before = stored(request)
    account = WalletAccount.objects.get(pk=request.account_id)
    records = TransitionRecord.objects.count()
    evidence = AuthenticationEvidence.objects.count()

    with pytest.raises(TransitionRefused):
        ALL_TRANSITIONS[name](request, agent, supervisor)

    after = stored(request)
    assert (after.state, after.version, after.updated_at) == (source, before.version, before.updated_at)
    assert request.state == source
    assert TransitionRecord.objects.count() == records
    assert AuthenticationEvidence.objects.count() == evidence
    assert WalletAccount.objects.get(pk=request.account_id).updated_at == account.updated_at


def test_opening_is_recorded_with_the_account_and_its_lock_reason(agent):
    account = wallet_account(lock_reason=LockReason.DEVICE_CHANGE)
    request = services.open_account_request(
        actor=agent,
        account_number=f"  {account.account_number} ",
        customer_statement="New phone, the app locked me out.",
    )
    assert (request.state, request.kind, request.lock_reason) == (
        RequestState.SUBMITTED,
        RequestKind.UNLOCK,
        LockReason.DEVICE_CHANGE,
    )
    assert request.reference.startswith("ACR-")
    [record] = records_of(request)
    assert (record.transition, record.source_state, record.target_state, record.actor) == (
        "open",
        "",
        RequestState.SUBMITTED,
        agent,
    )
    masked = mask_account_number(account.account_number)  # the trail is exported: masked
    assert record.data == {"account": masked, "lock_reason": "device_change"}


def test_submit_for_review_is_refused_until_an_authentication_has_passed(agent, supervisor):
    request = request_in_state(RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=supervisor)
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="failed")

    with pytest.raises(TransitionRefused, match="No alternative authentication has passed yet"):
        services.submit_for_review(request=request, actor=agent)

    assert stored(request).state == RequestState.IDENTITY_VERIFIED
    services.add_evidence(request=request, actor=agent, method="id_document", outcome="passed", file=png())
    services.submit_for_review(request=request, actor=agent)
    assert stored(request).state == RequestState.PENDING_REVIEW


def test_evidence_is_kept_with_how_who_and_the_scan(agent, supervisor):
    request = request_in_state(RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=supervisor)

    evidence = services.add_evidence(
        request=request, actor=agent, method="id_document", outcome="passed", file=png("Id Card.PNG")
    )

    evidence.refresh_from_db()
    assert (evidence.method, evidence.outcome, evidence.checked_by) == ("id_document", "passed", agent)
    assert evidence.file.name.startswith(f"accounts/{request.reference}/")
    assert evidence.file.read() == PNG
    record = records_of(request)[-1]
    assert (record.transition, record.data) == (
        "collect_authentication",
        {"method": "id_document", "outcome": "passed"},
    )
    assert evidence.history.get().history_user == agent


@pytest.mark.parametrize(
    ("role", "name", "source"),
    [
        ("auditor", "verify_identity", RequestState.SUBMITTED),
        ("risk_officer", "collect_authentication", RequestState.IDENTITY_VERIFIED),
        ("agent", "approve", RequestState.PENDING_REVIEW),
        ("auditor", "execute", RequestState.APPROVED),
        ("auditor", "reject", RequestState.PENDING_REVIEW),
        ("risk_officer", "cancel", RequestState.APPROVED),
    ],
)
def test_a_role_without_the_permission_is_refused(role, name, source, request, agent, supervisor):
    user = request.getfixturevalue(role)
    account_request = request_in_state(source, agent=agent, reviewer=supervisor)
    records = TransitionRecord.objects.count()

    with pytest.raises(PermissionRefused, match="You do not have permission"):
        ALL_TRANSITIONS[name](account_request, user, user)

    assert stored(account_request).state == source
    assert TransitionRecord.objects.count() == records


def test_opening_needs_the_permission(auditor):
    account = wallet_account()
    with pytest.raises(PermissionRefused):
        services.open_account_request(actor=auditor, account_number=account.account_number)
    assert not AccountRequest.objects.exists()


def test_history_keeps_every_change_with_the_user(agent, supervisor):
    request = request_in_state(RequestState.EXECUTED, agent=agent, reviewer=supervisor)
    changes = list(request.history.order_by("history_id").values_list("state", "history_user__username"))
    assert changes[0] == ("submitted", "agent.wang")
    assert changes[-3:] == [
        ("pending_review", "agent.wang"),
        ("approved", "sup.huang"),
        ("executed", "sup.huang"),
    ]


# Bad input leaves nothing half-written.


@pytest.mark.parametrize(
    ("method", "upload", "max_bytes", "message"),
    [
        (
            "id_document",
            SimpleUploadedFile("passport.exe", b"MZ\x90\x00" + b"\x00" * 60),
            None,
            "'passport.exe' is not an accepted evidence file; send one of: pdf, jpg, jpeg, png.",
        ),
        (
            "bank_card",
            SimpleUploadedFile("card.png", b"GIF89a" + b"\x00" * 60, content_type="image/png"),
            None,
            "'card.png' is not really a PNG file.",
        ),
        (
            "id_document",
            SimpleUploadedFile("id-card.png", PNG),
            64,
            "'id-card.png' is larger than the 0.0625 KB limit.",
        ),
        ("id_document", None, None, "An ID document needs its scan or photo."),
        ("bank_card", None, None, "A bank card check needs its scan or photo."),
    ],
    ids=["exe", "png-that-is-not", "too-large", "id-document-without-file", "bank-card-without-file"],
)
def test_bad_evidence_names_the_file_and_writes_nothing(
    method, upload, max_bytes, message, settings, agent, supervisor
):
    if max_bytes is not None:
        settings.EVIDENCE_MAX_BYTES = max_bytes
    request = request_in_state(RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=supervisor)
    version = request.version
    records = TransitionRecord.objects.count()

    with pytest.raises(InvalidInput) as refused:
        services.add_evidence(request=request, actor=agent, method=method, outcome="passed", file=upload)

    assert refused.value.field == "file"
    assert message in refused.value.message
    assert not AuthenticationEvidence.objects.exists()
    assert TransitionRecord.objects.count() == records
    assert stored(request).version == version == request.version
    assert not (settings.MEDIA_ROOT / "accounts").exists()


def test_evidence_sent_on_a_stale_copy_is_refused_and_its_file_not_kept(
    settings, agent, other_agent, supervisor
):
    request = request_in_state(RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=supervisor)
    stale = AccountRequest.objects.get(pk=request.pk)
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")

    with pytest.raises(ConcurrentChange):
        services.add_evidence(
            request=stale,
            actor=other_agent,
            method="id_document",
            outcome="passed",
            file=SimpleUploadedFile("id-card.png", PNG, content_type="image/png"),
        )

    assert list(AuthenticationEvidence.objects.values_list("method", flat=True)) == ["sms_code"]
    folder = settings.MEDIA_ROOT / "accounts" / request.reference
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize(("field", "value"), [("method", "fingerprint"), ("outcome", "maybe")])
def test_an_unknown_method_or_outcome_names_its_field(field, value, agent, supervisor):
    request = request_in_state(RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=supervisor)
    values = {"method": "sms_code", "outcome": "passed", field: value}
    with pytest.raises(InvalidInput) as refused:
        services.add_evidence(request=request, actor=agent, **values)
    assert refused.value.field == field
    assert not AuthenticationEvidence.objects.exists()


def test_an_unknown_account_names_the_account_number_and_leaves_nothing(agent):
    clocks = SlaClock.objects.count()
    with pytest.raises(InvalidInput, match="There is no wallet account 6222000000000000") as refused:
        services.open_account_request(actor=agent, account_number="6222000000000000")
    assert refused.value.field == "account_number"
    assert not AccountRequest.objects.exists()
    assert SlaClock.objects.count() == clocks
    assert not TransitionRecord.objects.exists()


@pytest.mark.parametrize(
    ("kind", "status", "lock_reason", "field", "message"),
    [
        ("unlock", AccountStatus.ACTIVE, "", "account_number", "is active: there is nothing to unlock"),
        ("lock", AccountStatus.LOCKED, LockReason.DEVICE_CHANGE, "account_number", "is already locked"),
        ("lock", AccountStatus.ACTIVE, "", "lock_reason", "Say why the account is to be locked."),
        ("block", AccountStatus.ACTIVE, "", "kind", "'block' is not a kind of request"),
    ],
)
def test_a_request_that_does_not_fit_the_account_is_refused(kind, status, lock_reason, field, message, agent):
    account = wallet_account(status=status)
    clocks = SlaClock.objects.count()
    with pytest.raises(InvalidInput, match=message) as refused:
        services.open_account_request(
            actor=agent, account_number=account.account_number, kind=kind, lock_reason=lock_reason
        )
    assert refused.value.field == field
    assert not AccountRequest.objects.exists()
    assert SlaClock.objects.count() == clocks


def test_a_second_open_request_for_the_same_account_is_refused(agent, supervisor):
    first = request_in_state(RequestState.APPROVED, agent=agent, reviewer=supervisor)
    clocks = SlaClock.objects.count()

    with pytest.raises(InvalidInput) as refused:
        services.open_account_request(actor=agent, account_number=first.account.account_number)

    assert refused.value.field == "account_number"
    assert refused.value.message == (
        f"Account {first.account.account_number} already has an open request, {first.reference}."
    )
    assert AccountRequest.objects.count() == 1
    assert SlaClock.objects.count() == clocks


def test_a_new_request_may_follow_one_that_ended(agent, supervisor):
    first = request_in_state(RequestState.REJECTED, agent=agent, reviewer=supervisor)
    second = services.open_account_request(actor=agent, account_number=first.account.account_number)
    assert second.state == RequestState.SUBMITTED and second.reference != first.reference


def test_a_partner_reference_is_used_once(partner, agent):
    first_account, second_account = wallet_account(served_by=partner), wallet_account(served_by=partner)
    services.open_account_request(
        actor=partner.user,
        account_number=first_account.account_number,
        partner=partner,
        external_reference="P-1",
    )
    clocks = SlaClock.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.open_account_request(
            actor=partner.user,
            account_number=second_account.account_number,
            partner=partner,
            external_reference="P-1",
        )
    assert refused.value.field == "external_reference"
    assert AccountRequest.objects.count() == 1
    assert SlaClock.objects.count() == clocks


def test_approving_an_expired_request_is_refused_and_changes_nothing(agent, supervisor):
    request = request_in_state(RequestState.EXPIRED, agent=agent, reviewer=supervisor)
    before = stored(request)
    records = TransitionRecord.objects.count()

    with pytest.raises(TransitionRefused, match=r"Cannot approve this account request: it is expired\."):
        services.approve_request(request=request, actor=supervisor)

    after = stored(request)
    assert (after.state, after.version, after.approved_by, after.approved_at) == (
        RequestState.EXPIRED,
        before.version,
        None,
        None,
    )
    assert TransitionRecord.objects.count() == records


def test_a_rejection_needs_a_reason(agent, supervisor):
    request = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)
    with pytest.raises(InvalidInput) as refused:
        services.reject_request(request=request, actor=supervisor, reason="  ")
    assert refused.value.field == "reason"
    assert stored(request).state == RequestState.PENDING_REVIEW


def test_a_stale_copy_cannot_approve_after_a_cancel(agent, supervisor):
    request = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)
    stale = stored(request)
    services.cancel_request(request=request, actor=agent, reason="Customer found the password")

    with pytest.raises(ConcurrentChange, match="was changed by someone else after you opened it"):
        services.approve_request(request=stale, actor=supervisor)

    assert stored(request).state == RequestState.CANCELLED
    assert stored(request).approved_by is None
