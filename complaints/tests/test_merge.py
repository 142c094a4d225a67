"""Merging a duplicate complaint into the one that goes on (``services.merge_complaint``):
everything kept on it moves, nothing is deleted, both trails record it and verify, the
merged one's clock stops and its partner is told; every refusal says why, naming the field."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.models import CustomerMessage, Handback, Notification, TransitionRecord
from casework.notices import partner_webhooks
from casework.tests.files import PNG
from casework.tests.races import race, won_and_lost
from casework.trail.audit import records_for
from complaints import services
from complaints.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintNote,
    PartnerMessage,
    State,
    Turn,
)
from complaints.tests.factories import complaint_in_state, file_complaint, register

pytestmark = pytest.mark.usefixtures("media_root")

PHONE, ACCOUNT = "13800138999", "6222000011119999"
REASON = "The customer called twice about the same failed payment."


def same_customer(agent, **overrides) -> Complaint:
    return register(agent, customer_phone=PHONE, account_number=ACCOUNT, **overrides)


def fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def kept_on(complaint: Complaint) -> dict[str, int]:
    on_it = {"content_type": ContentType.objects.get_for_model(Complaint), "object_id": complaint.pk}
    return {
        "notes": complaint.notes.count(),
        "attachments": complaint.attachments.count(),
        "partner_messages": complaint.partner_messages.count(),
        "customer_messages": CustomerMessage.objects.filter(**on_it).count(),
        "handbacks": Handback.objects.filter(**on_it).count(),
    }


def row_counts() -> dict[str, int]:
    """Every table a merge could delete from, and their histories."""
    models = (Complaint, ComplaintNote, ComplaintAttachment, PartnerMessage, CustomerMessage, Handback)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["TransitionRecord"] = TransitionRecord.objects.count()
    for model in (Complaint, ComplaintNote, ComplaintAttachment, PartnerMessage):
        counts[f"history of {model.__name__}"] = model.history.count()
    return counts


def verify_audit_chain() -> str:
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)  # raises CommandError on any fault
    return out.getvalue()


@pytest.fixture
def worked_duplicate(agent, technician, technical_team):
    """A duplicate with something of every kind kept on it: two notes, an attachment, the
    customer's acceptance message, and the findings handed back to its holder."""
    duplicate = same_customer(agent)
    services.verify_identity(complaint=duplicate, actor=agent, method="sms_code")
    services.accept_complaint(complaint=duplicate, actor=agent)  # the customer is told
    services.start_complaint(complaint=duplicate, actor=agent)
    services.add_note(complaint=duplicate, actor=agent, body="Customer read out the receipt.")
    services.add_note(complaint=duplicate, actor=agent, body="Bank statement promised.")
    voucher = SimpleUploadedFile("voucher.png", PNG, content_type="image/png")
    services.add_attachment(complaint=duplicate, actor=agent, file=voucher, description="Receipt")
    services.escalate_complaint(complaint=duplicate, actor=agent, team=technical_team, reason="Ledger check")
    services.return_findings(complaint=duplicate, actor=technician, findings="Debit reversed on the 24th")
    return fresh(duplicate)


def test_merge_moves_everything_to_the_survivor_and_links_both_ways(agent, worked_duplicate):
    duplicate = worked_duplicate
    survivor = same_customer(agent)
    services.add_note(complaint=survivor, actor=agent, body="Second call: same payment.")
    before = {name: kept_on(duplicate)[name] + kept_on(survivor)[name] for name in kept_on(survivor)}
    # Something of every kind is there to move (messages with a partner: a partner's complaint).
    assert all(count for name, count in before.items() if name != "partner_messages"), before
    moved_ids = {
        "notes": sorted(duplicate.notes.values_list("pk", flat=True)),
        "attachments": sorted(duplicate.attachments.values_list("pk", flat=True)),
    }

    merged = services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)

    assert merged.state == State.MERGED and fresh(duplicate).state == State.MERGED
    assert (fresh(duplicate).merged_into, fresh(duplicate).turn) == (survivor, Turn.NOBODY)
    assert list(fresh(survivor).merged_from.all()) == [duplicate]
    assert fresh(survivor).state == State.RECEIVED  # the survivor goes on as it was
    assert kept_on(fresh(survivor)) == before
    assert not any(kept_on(fresh(duplicate)).values())
    # Each moved row's own history says where it went, who moved it and why.
    note = ComplaintNote.objects.get(pk=moved_ids["notes"][0])
    moved = note.history.order_by("history_id").last()
    assert (moved.complaint_id, moved.history_user, moved.history_type) == (survivor.pk, agent, "~")
    assert duplicate.reference in moved.history_change_reason
    assert survivor.reference in moved.history_change_reason
    # The merged complaint's history keeps the link too.
    assert fresh(duplicate).history.order_by("history_id").last().merged_into_id == survivor.pk


def test_both_trails_record_the_merge_and_what_moved(agent, worked_duplicate):
    duplicate = worked_duplicate
    survivor = same_customer(agent)
    notes = sorted(duplicate.notes.values_list("pk", flat=True))

    services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)

    merge = records_for(duplicate).last()
    assert (merge.transition, merge.source_state, merge.target_state) == ("merge", "in_progress", "merged")
    assert (merge.actor, merge.reason, merge.data["into"]) == (agent, REASON, survivor.reference)
    assert merge.data["moved"]["notes"] == notes
    assert set(merge.data["moved"]) == {
        "notes",
        "attachments",
        "customer_messages",
        "handbacks",
    }
    merged_in = records_for(survivor).last()
    assert (merged_in.transition, merged_in.source_state, merged_in.target_state) == (
        "merged_in",
        "received",
        "received",
    )
    assert merged_in.data == {"from": duplicate.reference, "moved": merge.data["moved"]}
    assert duplicate.reference in merged_in.reason and REASON in merged_in.reason
    assert "every link holds, and every trail ends where its case is" in verify_audit_chain()


def test_nothing_is_deleted_and_both_trails_verify(agent, worked_duplicate):
    survivor = same_customer(agent)
    verify_audit_chain()
    before = row_counts()

    services.merge_complaint(complaint=worked_duplicate, into=survivor, actor=agent, reason=REASON)

    after = row_counts()
    grown = {name for name in before if after[name] > before[name]}
    assert all(after[name] >= before[name] for name in before), (before, after)
    assert {name for name in before if not name.startswith("history") and after[name] != before[name]} == {
        "TransitionRecord"  # the two records of the merge; no row of anything else came or went
    }
    assert after["TransitionRecord"] == before["TransitionRecord"] + 2
    assert {"history of Complaint", "history of ComplaintNote", "history of ComplaintAttachment"} <= grown
    verify_audit_chain()


def test_the_merged_complaints_clock_stops_and_the_survivors_runs_on(agent, worked_duplicate):
    survivor = same_customer(agent)

    services.merge_complaint(complaint=worked_duplicate, into=survivor, actor=agent, reason=REASON)

    assert fresh(worked_duplicate).sla_clock.stopped_at is not None
    assert fresh(worked_duplicate).next_due_at is None  # off the open lists' deadlines
    assert fresh(survivor).sla_clock.stopped_at is None


def test_a_waiting_complaint_merges_with_its_paused_clock_stopped(agent):
    waiting = complaint_in_state(
        State.AWAITING_CUSTOMER, agent=agent, customer_phone=PHONE, account_number=ACCOUNT
    )
    survivor = same_customer(agent)

    services.merge_complaint(complaint=waiting, into=survivor, actor=agent, reason=REASON)

    clock = fresh(waiting).sla_clock
    assert clock.stopped_at is not None and clock.paused_at is None


def test_linked_unlock_requests_and_refund_cases_move_through_their_models(agent):
    from accounts.models import AccountRequest, LockReason
    from accounts.services import open_unlock_request_from_complaint
    from accounts.tests.factories import wallet_account
    from refunds.models import RefundCase, RefundType
    from refunds.services import open_refund_case_from_complaint

    account = wallet_account(lock_reason=LockReason.WRONG_PASSWORDS)
    locked = {"category": "account_locked", "account_number": account.account_number, "customer_phone": PHONE}
    duplicate = complaint_in_state(State.ACCEPTED, agent=agent, **locked)
    unlock = open_unlock_request_from_complaint(complaint=duplicate, actor=agent)
    survivor = complaint_in_state(State.ACCEPTED, agent=agent, **locked)
    refund_complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, **{**locked, "category": "refund"})
    refund = open_refund_case_from_complaint(
        complaint=refund_complaint, actor=agent, refund_type=RefundType.NOT_RECEIVED
    )
    assert duplicate.customer_id == survivor.customer_id == refund_complaint.customer_id

    services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)
    services.merge_complaint(
        complaint=fresh(refund_complaint), into=fresh(survivor), actor=agent, reason=REASON
    )

    unlock, refund = AccountRequest.objects.get(pk=unlock.pk), RefundCase.objects.get(pk=refund.pk)
    assert (unlock.complaint, refund.complaint) == (survivor, survivor)
    assert unlock.history.order_by("history_id").last().complaint_id == survivor.pk
    assert refund.history.order_by("history_id").last().complaint_id == survivor.pk
    assert set(fresh(survivor).account_requests.all()) == {unlock}
    assert set(fresh(survivor).refund_cases.all()) == {refund}
    assert records_for(refund_complaint).last().data["moved"]["refund_cases"] == [refund.pk]
    assert records_for(duplicate).last().data["moved"]["account_requests"] == [unlock.pk]
    verify_audit_chain()


# Refusals: each says why, naming the field.


def refusal_of(**merge) -> InvalidInput | TransitionRefused | PermissionRefused:
    with pytest.raises((InvalidInput, TransitionRefused, PermissionRefused)) as refused:
        services.merge_complaint(**merge)
    return refused.value


def test_another_customers_complaint_is_refused_on_the_survivor(agent):
    duplicate = same_customer(agent)
    someone_else = register(agent)  # another phone and account: another customer
    before = row_counts()

    refusal = refusal_of(complaint=duplicate, into=someone_else, actor=agent, reason=REASON)

    assert refusal.field == "into" and "not the same customer" in refusal.message
    assert row_counts() == before and fresh(duplicate).state == State.RECEIVED


def test_a_supervisor_cannot_merge_across_customers_either(agent, supervisor):
    duplicate = same_customer(agent)

    refusal = refusal_of(complaint=duplicate, into=register(agent), actor=supervisor, reason=REASON)

    assert refusal.field == "into" and "not the same customer" in refusal.message


def test_merging_into_a_merged_complaint_names_where_it_went(agent):
    first, second, third = same_customer(agent), same_customer(agent), same_customer(agent)
    services.merge_complaint(complaint=second, into=first, actor=agent, reason=REASON)

    refusal = refusal_of(complaint=third, into=fresh(second), actor=agent, reason=REASON)

    assert refusal.field == "into"
    assert f"{second.reference} was itself merged into {first.reference}" in refusal.message


def test_a_complaint_is_not_merged_into_itself(agent):
    complaint = same_customer(agent)

    refusal = refusal_of(complaint=complaint, into=fresh(complaint), actor=agent, reason=REASON)

    assert refusal.field == "into" and "into itself" in refusal.message


def test_a_merge_needs_a_survivor_and_a_reason(agent):
    duplicate, survivor = same_customer(agent), same_customer(agent)

    assert refusal_of(complaint=duplicate, into=None, actor=agent, reason=REASON).field == "into"
    for blank in ("", "   "):
        refusal = refusal_of(complaint=duplicate, into=survivor, actor=agent, reason=blank)
        assert refusal.field == "reason" and "Say why" in refusal.message
    assert fresh(duplicate).state == State.RECEIVED


def test_only_an_open_complaint_merges_and_only_into_an_open_one(agent):
    closed = complaint_in_state(State.CLOSED, agent=agent, customer_phone=PHONE, account_number=ACCOUNT)
    duplicate = same_customer(agent)

    refusal = refusal_of(complaint=duplicate, into=closed, actor=agent, reason=REASON)
    assert refusal.field == "into" and "merge only into an open complaint" in refusal.message

    refusal = refusal_of(complaint=fresh(closed), into=duplicate, actor=agent, reason=REASON)
    assert isinstance(refusal, TransitionRefused) and "it is closed" in refusal.message


def test_who_may_not_merge_is_refused_as_such_whatever_they_sent(agent, technician):
    duplicate = same_customer(agent)

    refusal = refusal_of(complaint=duplicate, into=None, actor=technician, reason="")

    assert isinstance(refusal, PermissionRefused)
    assert refusal.message == "You do not have permission to merge this complaint."


def test_complaints_of_two_partners_are_not_merged(partner, other_partner, agent):
    ours = file_complaint(partner, customer_phone=PHONE)
    theirs = file_complaint(other_partner, customer_phone=PHONE)
    assert ours.customer_id == theirs.customer_id

    refusal = refusal_of(complaint=ours, into=theirs, actor=agent, reason=REASON)

    assert refusal.field == "into" and "another partner" in refusal.message


# A concurrent change to either complaint refuses the merge; nothing moves.


@pytest.mark.parametrize("changed", ["duplicate", "survivor"])
def test_a_change_to_either_complaint_since_it_was_read_refuses_the_merge(agent, supervisor, changed):
    duplicate, survivor = same_customer(agent), same_customer(agent)
    services.add_note(complaint=duplicate, actor=agent, body="Read out the receipt.")
    read = {"duplicate": duplicate, "survivor": survivor}
    # Someone else reassigns one of them after the agent read both.
    services.assign_complaint(complaint=fresh(read[changed]), actor=supervisor, assigned_to=supervisor)
    before = row_counts()

    with pytest.raises(ConcurrentChange) as refused:
        services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)

    assert read[changed].reference in refused.value.message
    assert row_counts() == before
    assert fresh(duplicate).state == State.RECEIVED and fresh(duplicate).notes.count() == 1


def test_a_merge_locks_both_rows_in_id_order(agent, require_postgres):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    duplicate, survivor = same_customer(agent), same_customer(agent)  # the survivor's id is higher

    with CaptureQueriesContext(connection) as queries:
        services.merge_complaint(complaint=fresh(survivor), into=fresh(duplicate), actor=agent, reason=REASON)

    locks = [
        q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"] and "complaint" in q["sql"]
    ]
    ids = [int(sql.split('"complaints_complaint"."id" = ')[1].split()[0]) for sql in locks[:2]]
    assert ids == sorted([duplicate.pk, survivor.pk])


# The partner that filed the merged complaint is told.


def webhook_events(complaint: Complaint) -> list[dict]:
    sent = Notification.objects.filter(kind=partner_webhooks.KIND, case_reference=complaint.reference)
    return [json.loads(notice.body)["data"] for notice in sent.order_by("pk")]


def test_the_partner_is_told_the_survivor_when_it_is_its_own(partner, agent):
    partner.webhook_url = "https://partner.example.com/hooks"
    partner.save()
    duplicate = file_complaint(partner, customer_phone=PHONE)
    survivor = file_complaint(partner, customer_phone=PHONE)
    services.add_partner_message(complaint=duplicate, actor=partner.user, body="Receipt sent by e-mail.")
    services.reply_to_partner(complaint=fresh(duplicate), actor=agent, body="Thank you, received.")
    services.add_partner_message(complaint=survivor, actor=partner.user, body="Customer called us again.")

    services.merge_complaint(complaint=fresh(duplicate), into=fresh(survivor), actor=agent, reason=REASON)

    assert fresh(survivor).partner_messages.count() == 3 and fresh(duplicate).partner_messages.count() == 0
    event = webhook_events(duplicate)[-1]
    assert (event["transition"], event["to_state"], event["merged_into"]) == (
        "merge",
        "merged",
        survivor.reference,
    )
    assert webhook_events(survivor) == []  # the survivor's state did not change
    verify_audit_chain()


def test_the_partner_is_told_only_that_it_was_merged_into_a_case_not_its_own(partner, agent):
    partner.webhook_url = "https://partner.example.com/hooks"
    partner.save()
    duplicate = file_complaint(partner, customer_phone=PHONE)
    survivor = register(agent, customer_phone=PHONE, account_number="")
    assert survivor.customer_id == duplicate.customer_id

    services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)

    event = webhook_events(duplicate)[-1]
    assert (event["to_state"], event["merged_into"]) == ("merged", None)
    assert survivor.reference not in json.dumps(event)


@pytest.mark.postgres
def test_two_agents_merging_the_pair_each_way_at_once_merge_it_once(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, other_agent
):
    """Each locks both rows in id order: the second waits, then finds what it read changed."""
    first, second = same_customer(agent), same_customer(agent)
    services.add_note(complaint=first, actor=agent, body="First call.")
    services.add_note(complaint=second, actor=agent, body="Second call.")

    outcomes = race(
        lambda: services.merge_complaint(
            complaint=fresh(first), into=fresh(second), actor=agent, reason=REASON
        ),
        lambda: services.merge_complaint(
            complaint=fresh(second), into=fresh(first), actor=other_agent, reason=REASON
        ),
    )

    won, lost = won_and_lost(outcomes, Complaint)
    assert isinstance(lost, ConcurrentChange), lost
    survivor = won.merged_into
    assert {fresh(first).state, fresh(second).state} == {State.MERGED, State.RECEIVED}
    assert fresh(survivor).notes.count() == 2 and fresh(won).notes.count() == 0
    assert [r.transition for r in records_for(survivor)][-1] == "merged_in"
    verify_audit_chain()
