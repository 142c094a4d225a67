"""The classification at the partner door (complaints.api.classification): codes read and
written as strings, the list filtered by them; a code of another dimension, or a retired
one, is a 400 naming the field, in the admin's words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from casework.core.errors import InvalidInput
from casework.tests.api import assert_error, listed
from complaints import services
from complaints.models import ClassificationCode, Complaint
from complaints.tests.api import LIST_URL, detail_url, payload
from complaints.tests.factories import CLASSIFIED, file_complaint, register


def test_a_partner_reads_the_codes_as_strings_and_never_the_root_cause(api, partner, agent):
    complaint = file_complaint(
        partner, category="refund", transaction_reference="T-1", amount=Decimal("9.00"), merchant="Tea House"
    )
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent, tell_customer=False)
    services.resolve_complaint(
        complaint=complaint,
        actor=agent,
        **{**CLASSIFIED, "business_type": "B03", "cause": "C08", "product": "P04"},
        code="refunded",
        summary="Refunded",
        redress_amount="9.00",
    )

    body = api.get(detail_url(complaint.reference)).json()

    assert {name: body[name] for name in ("business_type", "cause", "channel_code", "product")} == {
        "business_type": "B03",
        "cause": "C08",
        "channel_code": "H08",
        "product": "P04",
    }
    assert (body["outcome"], body["redress_amount"]) == ("upheld", "9.00")
    assert "root_cause" not in body
    [row] = api.get(LIST_URL).json()["results"]
    assert (row["channel_code"], row["business_type"]) == ("H08", "B03")


def test_a_new_complaint_reads_its_categorys_codes(api):
    response = api.post(LIST_URL, payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["business_type"], body["cause"], body["channel_code"], body["outcome"]) == (
        "B01",
        "C03",
        "H08",
        "",
    )
    assert body["product"] is None and body["redress_amount"] is None


def test_a_partner_may_classify_what_it_files(api):
    response = api.post(LIST_URL, payload(business_type="B06", cause="C07"), format="json")
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get()
    assert (complaint.business_type.code, complaint.cause.code) == ("B06", "C07")


@pytest.mark.parametrize(
    ("field", "value"),
    [("business_type", "C03"), ("cause", "B01"), ("business_type", "B77"), ("cause", "C06")],
)
def test_a_code_of_another_dimension_or_retired_is_a_400_naming_the_field(api, agent, field, value):
    ClassificationCode.objects.filter(code="C06").update(is_active=False)

    error = assert_error(api.post(LIST_URL, payload(**{field: value}), format="json"), 400, "invalid")

    assert list(error["fields"]) == [field]
    # The admin's words: the one rule, the service's.
    with pytest.raises(InvalidInput) as refusal:
        register(agent, **{field: value})
    assert error["fields"][field] == [refusal.value.message]
    assert not Complaint.objects.exists()


def test_the_list_filters_by_business_type_cause_and_outcome(api, partner, agent):
    failed = file_complaint(partner, category="other", business_type="B01", cause="C03")
    privacy = file_complaint(partner, category="privacy")
    services.verify_identity(complaint=privacy, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=privacy, actor=agent, tell_customer=False)
    services.resolve_complaint(
        complaint=privacy,
        actor=agent,
        **{**CLASSIFIED, "business_type": "B04", "cause": "C09", "outcome": "partly_upheld"},
        code="corrected",
        summary="Fixed",
    )

    assert listed(api, LIST_URL, business_type="B01") == [failed.reference]
    assert listed(api, LIST_URL, cause="C09") == [privacy.reference]
    assert listed(api, LIST_URL, outcome="partly_upheld") == [privacy.reference]
    assert listed(api, LIST_URL, outcome="upheld") == []
    # A retired code still finds the complaints it was given.
    ClassificationCode.objects.filter(code="C09").update(is_active=False)
    assert listed(api, LIST_URL, cause="C09") == [privacy.reference]


@pytest.mark.parametrize(
    ("parameter", "value", "words"),
    [
        ("business_type", "C03", "C03 is a cause code, not a business type code."),
        ("cause", "X1", "There is no cause code 'X1'"),
        ("outcome", "won", "not a valid choice"),
    ],
)
def test_a_filter_by_a_wrong_code_is_a_400_naming_it(api, parameter, value, words):
    error = assert_error(api.get(LIST_URL, {parameter: value}), 400, "invalid")
    assert list(error["fields"]) == [parameter]
    assert words in error["fields"][parameter][0]
