"""Classification codes (complaints.services.classification): mapped from the category and
channel at registration, followed by a correction, required at resolution, recorded by
hand with Classify; each refusal names its field."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest

from casework.core.errors import ConcurrentChange, InvalidInput
from casework.models import TransitionRecord
from complaints import services
from complaints.models import Category, Channel, ClassificationCode, Complaint, State
from complaints.services import classification
from complaints.tests.factories import CLASSIFIED, REFUNDED, complaint_in_state, register

SEED = importlib.import_module("complaints.migrations.0018_seed_classification").CODES


def _seeded(dimension: str, maps_from: str) -> str:
    [code] = [code for code, _name, _zh, source in SEED[dimension] if source == maps_from]
    return code


# Registration: every seed category and channel maps onto the taxonomy.

REGISTRATION = {
    Category.TRANSACTION: {},
    Category.ACCOUNT_LOCKED: {"account_number": "WLT-6201-7788"},
    Category.REFUND: {},
    Category.SLOW_SERVICE: {},
    Category.PRIVACY: {},
    Category.OTHER: {},
}


@pytest.mark.parametrize("category", Category.values)
def test_a_new_complaint_takes_its_categorys_business_type_and_cause(agent, category):
    complaint = register(agent, category=category, **REGISTRATION[category])

    stored = Complaint.objects.select_related("business_type", "cause").get(pk=complaint.pk)
    assert stored.business_type.code == _seeded("business_type", category)
    assert stored.cause.code == _seeded("cause", category)
    assert (stored.product, stored.root_cause, stored.outcome, stored.redress_amount) == (
        None,
        None,
        "",
        None,
    )


@pytest.mark.parametrize("channel", Channel.values)
def test_each_channel_is_counted_under_its_channel_code(agent, channel):
    email = "li.wei@example.com" if channel == Channel.EMAIL else ""
    complaint = register(agent, channel=channel, customer_email=email)

    expected = _seeded("channel", channel)
    assert classification.channel_code(complaint).code == expected
    annotated = classification.with_channel_code(Complaint.objects.filter(pk=complaint.pk)).get()
    assert annotated.channel_code == expected
    by_subquery = Complaint.objects.annotate(code=classification.channel_code_subquery()).get(pk=complaint.pk)
    assert by_subquery.code == expected


def test_a_retired_channel_code_still_counts_its_channel_until_another_takes_over(agent):
    complaint = register(agent, channel=Channel.PHONE)
    ClassificationCode.objects.filter(code="H01").update(is_active=False)
    assert classification.channel_code(complaint).code == "H01"

    ClassificationCode.objects.create(dimension="channel", code="H11", name="Hotline", maps_from="phone")
    assert classification.channel_code(complaint).code == "H11"
    assert classification.channel_codes()["phone"] == "H11"


def test_a_category_whose_default_was_retired_registers_without_that_code(agent):
    ClassificationCode.objects.filter(dimension="cause", maps_from="transaction").update(is_active=False)
    complaint = register(agent)
    assert complaint.cause is None
    assert complaint.business_type.code == "B01"


def test_codes_chosen_at_registration_are_kept(agent):
    complaint = register(agent, business_type="B06", cause="C07")
    assert (complaint.business_type.code, complaint.cause.code) == ("B06", "C07")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("C03", "C03 is a cause code, not a business type code."),
        ("B42", "There is no business type code 'B42'"),
    ],
)
def test_a_code_at_registration_is_refused_naming_its_field(agent, value, words):
    with pytest.raises(InvalidInput, match=words) as refusal:
        register(agent, business_type=value)
    assert refusal.value.field == "business_type"
    assert not Complaint.objects.exists()


# A correction of the category.


def test_a_corrected_category_remaps_the_codes_still_its_own(agent, supervisor):
    complaint = register(agent)

    services.correct_complaint(
        complaint=complaint, actor=supervisor, category="refund", reason="About a refund"
    )

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.business_type.code, stored.cause.code) == ("B03", "C08")
    record = TransitionRecord.objects.filter(transition="correct").get()
    assert record.data["classification"] == {"business_type": ["B01", "B03"], "cause": ["C03", "C08"]}


def test_a_corrected_category_keeps_a_code_someone_chose(agent, supervisor):
    complaint = register(agent)
    services.classify_complaint(
        complaint=complaint, actor=agent, business_type="B01", cause="C07", reason="A fee, not a failure"
    )

    services.correct_complaint(
        complaint=complaint, actor=supervisor, category="refund", reason="About a refund"
    )

    stored = Complaint.objects.get(pk=complaint.pk)
    # The business type was still the old category's: it follows; the cause was chosen: it stays.
    assert (stored.business_type.code, stored.cause.code) == ("B03", "C07")


# Resolution: the codes, the outcome and the redress.


def resolve(complaint, actor, **overrides):
    arguments = {**CLASSIFIED, "code": "corrected", "summary": "Reversed the duplicate debit.", **overrides}
    return services.resolve_complaint(complaint=complaint, actor=actor, **arguments)


def test_a_resolution_records_its_codes_outcome_and_redress_and_keeps_them_in_the_trail(agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)

    resolve(complaint, agent, **{**REFUNDED, "code": "refunded", "root_cause": "R04"})

    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.state == State.RESOLVED
    assert [stored.business_type.code, stored.cause.code, stored.product.code, stored.root_cause.code] == [
        "B01",
        "C03",
        "P01",
        "R04",
    ]
    assert (stored.outcome, stored.redress_amount) == ("upheld", Decimal("88.00"))
    record = TransitionRecord.objects.filter(transition="resolve").get()
    assert record.data["classification"] == {
        "business_type": "B01",
        "cause": "C03",
        "product": "P01",
        "root_cause": "R04",
    }
    assert (record.data["outcome"], record.data["redress_amount"]) == ("upheld", "88.00")
    assert stored.history.latest().root_cause_id == stored.root_cause_id


@pytest.mark.parametrize("field", ["business_type", "cause", "product", "root_cause", "outcome"])
def test_a_resolution_is_refused_without_each_code_and_the_outcome(agent, field):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)

    with pytest.raises(InvalidInput) as refusal:
        resolve(complaint, agent, **{field: ""})

    assert refusal.value.field == field
    assert Complaint.objects.get(pk=complaint.pk).state == State.IN_PROGRESS
    assert not TransitionRecord.objects.filter(transition="resolve").exists()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("business_type", "C03", "C03 is a cause code, not a business type code."),
        ("cause", "B01", "B01 is a business type code, not a cause code."),
        ("product", "R01", "R01 is a root cause code, not a product code."),
        ("root_cause", "P01", "P01 is a product code, not a root cause code."),
        ("product", "P77", "There is no product code 'P77'; choose one of: P01, P02, P03, P04, P05, P99."),
        ("outcome", "won", "'won' is not an outcome"),
    ],
)
def test_a_code_of_another_dimension_or_none_is_refused_naming_its_field(agent, field, value, words):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    with pytest.raises(InvalidInput, match=words) as refusal:
        resolve(complaint, agent, **{field: value})
    assert refusal.value.field == field


def test_a_retired_code_is_refused_at_resolution(agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    ClassificationCode.objects.filter(code="P01").update(is_active=False)

    with pytest.raises(
        InvalidInput, match=r"P01 is no longer in use: choose an active product code\."
    ) as refusal:
        resolve(complaint, agent)
    assert refusal.value.field == "product"


@pytest.mark.parametrize("code", ["refunded", "compensated"])
def test_a_resolution_that_paid_the_customer_needs_the_redress(agent, code):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    with pytest.raises(InvalidInput, match="give the redress paid, in CNY") as refusal:
        resolve(complaint, agent, code=code)
    assert refusal.value.field == "redress_amount"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-5.00", "The amount must be more than zero."),
        ("0", "The amount must be more than zero."),
        ("12.345", "decimal"),
        ("a lot", "Enter the redress paid as a number"),
    ],
)
def test_a_redress_that_is_no_payment_is_refused(agent, value, words):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    with pytest.raises(InvalidInput, match=words) as refusal:
        resolve(complaint, agent, redress_amount=value)
    assert refusal.value.field == "redress_amount"


def test_a_not_upheld_resolution_is_a_not_upheld_outcome(agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    with pytest.raises(InvalidInput, match="choose the outcome not upheld") as refusal:
        resolve(complaint, agent, code="not_upheld", outcome="upheld")
    assert refusal.value.field == "outcome"

    resolve(complaint, agent, code="not_upheld", outcome="not_upheld", root_cause="R05")
    assert Complaint.objects.get(pk=complaint.pk).outcome == "not_upheld"


def test_a_resolution_on_a_stale_version_is_refused_and_changes_nothing(agent, other_agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    stale = Complaint.objects.get(pk=complaint.pk)
    services.classify_complaint(
        complaint=complaint, actor=agent, business_type="B01", cause="C02", reason="Slow, not a failure"
    )

    with pytest.raises(ConcurrentChange):
        resolve(stale, other_agent)

    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.state, stored.cause.code, stored.outcome) == (State.IN_PROGRESS, "C02", "")


# Classify: by hand, with a reason.


def test_classify_records_the_codes_from_and_to_with_the_reason(agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)

    services.classify_complaint(
        complaint=complaint,
        actor=agent,
        business_type="B06",
        cause="C03",
        product="P03",
        reason="Card acquiring",
    )

    record = TransitionRecord.objects.filter(transition="classify").get()
    assert (record.actor, record.reason) == (agent, "Card acquiring")
    assert record.data == {
        "fields": ["business_type", "product"],
        "classification": {"business_type": ["B01", "B06"], "product": [None, "P03"]},
    }


def test_classify_of_a_resolved_complaint_needs_every_code(agent):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    with pytest.raises(InvalidInput) as refusal:
        services.classify_complaint(
            complaint=complaint, actor=agent, business_type="B01", cause="C03", product="P02", reason="x"
        )
    assert refusal.value.field == "root_cause"


def test_classify_needs_a_reason_and_a_change(agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    with pytest.raises(InvalidInput) as refusal:
        services.classify_complaint(
            complaint=complaint, actor=agent, business_type="B01", cause="C03", reason=""
        )
    assert refusal.value.field == "reason"
    with pytest.raises(InvalidInput, match="Nothing to change"):
        services.classify_complaint(
            complaint=complaint, actor=agent, business_type="B01", cause="C03", reason="x"
        )


def test_classify_is_refused_to_whoever_may_not_resolve(agent, auditor):
    from casework.core.errors import PermissionRefused

    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    with pytest.raises(PermissionRefused):
        services.classify_complaint(
            complaint=complaint, actor=auditor, business_type="B02", cause="C03", reason="x"
        )


def test_a_rejected_complaint_is_not_classified(agent):
    from casework.core.errors import TransitionRefused

    complaint = complaint_in_state(State.REJECTED, agent=agent)
    with pytest.raises(TransitionRefused, match="it is not counted"):
        services.classify_complaint(
            complaint=complaint, actor=agent, business_type="B02", cause="C03", reason="x"
        )


def test_a_code_in_use_cannot_be_deleted_from_the_database_either(agent):
    from django.db.models import ProtectedError

    register(agent)
    with pytest.raises(ProtectedError):
        ClassificationCode.objects.get(dimension="business_type", code="B01").delete()
