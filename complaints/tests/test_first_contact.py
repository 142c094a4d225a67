"""Registering a complaint and resolving it on first contact (issue 15): every step through its
own service, in one transaction, or nothing at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from casework.core.errors import InvalidInput, PermissionRefused
from casework.models import Notification, SlaClock, TransitionRecord
from casework.tests.users import make_user
from casework.trail.audit import chain_faults, records_for
from complaints import services
from complaints.models import Complaint, State, Turn

CALL = {
    "channel": "phone",
    "category": "transaction",
    "customer_name": "Zhang San",
    "customer_phone": "13912345678",
    "account_number": "6222000099998888",
    "description": "Scanned a QR code to pay 45 yuan; the app says failed but I was charged.",
    "amount": Decimal("45.00"),
    "transaction_reference": "TX2026030200045",
    "merchant": "FamilyMart",
    "device": "iPhone 15, iOS 18, app 10.6.0",
}
OUTCOME = {
    "verification_method": "sms_code",
    "code": "explained",
    "summary": "The payment was reversed by the bank; the 45 yuan is back within 24 hours.",
    # The business type and cause are the category's; the rest is what the call found.
    "product": "P02",
    "root_cause": "R04",
    "outcome": "not_upheld",
}


def call(**overrides) -> dict:
    return {**CALL, "transaction_at": timezone.now() - dt.timedelta(hours=2), **OUTCOME, **overrides}


def nothing_saved() -> None:
    assert not Complaint.objects.exists()
    assert not Complaint.history.exists()
    assert not TransitionRecord.objects.exists()
    assert not SlaClock.objects.exists()
    assert not Notification.objects.exists()


def test_each_step_is_in_the_trail_in_order_by_the_agent(agent):
    complaint = services.register_and_resolve(actor=agent, **call())

    records = list(records_for(complaint))
    assert [(r.transition, r.source_state, r.target_state) for r in records] == [
        ("register", "", State.RECEIVED),
        ("verify_identity", State.RECEIVED, State.RECEIVED),
        ("accept", State.RECEIVED, State.ACCEPTED),
        ("resolve", State.ACCEPTED, State.RESOLVED),
    ]
    assert {record.actor for record in records} == {agent}
    assert records[-1].reason == OUTCOME["summary"]
    assert records[-1].data == {
        "code": "explained",
        "first_contact": True,
        "classification": {"business_type": "B01", "cause": "C03", "product": "P02", "root_cause": "R04"},
        "outcome": "not_upheld",
        "redress_amount": None,
    }
    assert chain_faults(records) == []
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "Checked 4 transition records in 1 cases" in out.getvalue()


def test_the_complaint_is_resolved_on_first_contact_with_its_details(agent):
    complaint = services.register_and_resolve(actor=agent, **call())

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.state == State.RESOLVED
    assert complaint.turn == Turn.NOBODY
    assert complaint.is_first_contact_resolution
    assert (complaint.resolution_code, complaint.resolution_summary) == ("explained", OUTCOME["summary"])
    assert (complaint.identity_verification_method, complaint.identity_verified_by) == ("sms_code", agent)
    assert (complaint.registered_by, complaint.assigned_to) == (agent, agent)
    assert complaint.amount == Decimal("45.00")
    # One history row per step, each with its user.
    assert list(complaint.history.order_by("history_id").values_list("state", "history_user")) == [
        (State.RECEIVED, agent.pk),
        (State.RECEIVED, agent.pk),
        (State.ACCEPTED, agent.pk),
        (State.RESOLVED, agent.pk),
    ]


def test_the_sla_clock_stops_with_the_first_response_in_time(agent):
    complaint = services.register_and_resolve(actor=agent, **call())

    clock = SlaClock.objects.get(pk=complaint.sla_clock_id)
    assert clock.first_responded_at is not None
    assert clock.first_responded_at <= clock.first_response_due_at
    assert clock.first_response_breached_at is None
    assert clock.stopped_at is not None
    assert clock.resolution_breached_at is None
    assert clock.status() != "breached"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"summary": ""}, "summary"),
        ({"summary": "   "}, "summary"),
        ({"code": ""}, "code"),
        ({"code": "waved_through"}, "code"),
        ({"verification_method": ""}, "verification_method"),
        ({"verification_method": "a hunch"}, "verification_method"),
        ({"amount": None}, "amount"),  # the category's details, checked by register_complaint
        ({"customer_phone": "12345"}, "customer_phone"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_a_refused_step_keeps_nothing_and_names_the_field(agent, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        services.register_and_resolve(actor=agent, **call(**overrides))
    assert refused.value.field == field
    nothing_saved()


@pytest.mark.parametrize("channel", ["partner_api", "regulator", "website", "social_media"])
def test_only_a_complaint_staff_took_themselves_is_resolved_on_first_contact(agent, channel):
    with pytest.raises(InvalidInput) as refused:
        services.register_and_resolve(actor=agent, **call(channel=channel))
    assert refused.value.field == "channel"
    assert "phone, online chat, e-mail or in the app" in refused.value.message
    nothing_saved()


@pytest.mark.parametrize("channel", ["phone", "chat", "email", "app"])
def test_every_staff_channel_may_resolve_on_first_contact(agent, channel):
    complaint = services.register_and_resolve(actor=agent, **call(channel=channel))
    assert (complaint.channel, complaint.state) == (channel, State.RESOLVED)


def test_a_refusal_at_the_last_step_rolls_back_the_steps_before_it(agent):
    # Someone who may register, verify and accept, but not resolve: refused by the resolve
    # transition's own permission, after three steps ran in the transaction.
    clerk = make_user("clerk.qian", None)
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="complaints",
            codename__in=["add_complaint", "view_complaint", "verify_identity_complaint", "accept_complaint"],
        )
    )
    clerk = type(clerk).objects.get(pk=clerk.pk)
    with pytest.raises(PermissionRefused) as refused:
        services.register_and_resolve(actor=clerk, **call())
    assert refused.value.message == "You do not have permission to resolve this complaint."
    nothing_saved()


def test_who_may_not_register_is_refused_as_such(technician):
    with pytest.raises(PermissionRefused):
        services.register_and_resolve(actor=technician, **call(summary=""))
    nothing_saved()


def test_the_next_registration_works_after_a_refusal(agent):
    with pytest.raises(InvalidInput):
        services.register_and_resolve(actor=agent, **call(summary=""))
    complaint = services.register_and_resolve(actor=agent, **call())
    assert Complaint.objects.get().reference == complaint.reference
    assert chain_faults(records_for(complaint)) == []
