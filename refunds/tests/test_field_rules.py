"""Each rule of a refund's money fields (currency, amounts, time of payment) and free text
refused the same by every door: the admin's add form (next to the field, nothing saved), the
partner API (400 naming the field, nothing saved) and the service, in the same words."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.core.errors import InvalidInput
from complaints.tests.test_field_rules import (
    DIGITS,
    FUTURE,
    NOT_POSITIVE,
    TOO_EARLY,
    TOO_LARGE,
    currency,
    too_long,
)
from refunds.models import PaymentTransaction, RefundCase
from refunds.tests.admin import ADD
from refunds.tests.api import LIST_URL, payload
from refunds.tests.factories import open_refund

FULL_WIDTH = "\uff11\uff12\uff13.\uff14\uff15"

BAD_INPUT = [
    pytest.param("currency", "XYZ", currency("XYZ"), id="currency-unknown"),
    pytest.param("currency", "BTC", currency("BTC"), id="currency-unsupported"),
    pytest.param("transaction_amount", "99999999", TOO_LARGE, id="paid-above-the-cap"),
    pytest.param("transaction_amount", FULL_WIDTH, DIGITS, id="paid-in-full-width-digits"),
    pytest.param("requested_amount", "99999999", TOO_LARGE, id="asked-above-the-cap"),
    pytest.param("requested_amount", "-5", NOT_POSITIVE, id="asked-negative"),
    pytest.param("requested_amount", FULL_WIDTH, DIGITS, id="asked-in-full-width-digits"),
    pytest.param("reason", "x" * 4001, too_long(4000, 4001), id="reason-too-long"),
    pytest.param("merchant", "x" * 121, too_long(120, 121), id="merchant-too-long"),
]
BAD_TIMES = [
    pytest.param(dt.datetime(2030, 3, 2, 14, 5), FUTURE, id="in-2030"),
    pytest.param(dt.datetime(9999, 12, 31), FUTURE, id="in-9999"),
    pytest.param(dt.datetime(1999, 12, 31, 8), TOO_EARLY, id="before-2000"),
]


def typed_in_the_admin(**overrides) -> dict:
    paid_at = timezone.localtime() - dt.timedelta(days=2)
    data = {
        "refund_type": "duplicate_charge",
        "requested_amount": "45.50",
        "reason": "Charged twice for one taxi ride.",
        "transaction_reference": "TXN-ADMIN-0001",
        "merchant": "Didi Chuxing",
        "transaction_amount": "45.50",
        "currency": "CNY",
        "paid_at": f"{paid_at:%Y-%m-%d %H:%M}",
    }
    data.update(overrides)
    return data


def nothing_saved() -> bool:
    return not RefundCase.objects.exists() and not PaymentTransaction.objects.exists()


def admin_refusals(client, field: str, **typed) -> list[str]:
    response = client.post(ADD, typed_in_the_admin(**typed))
    assert response.status_code == 200, "the form was accepted"
    return response.context["adminform"].form.errors.get(field, [])


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_every_door_refuses_a_bad_refund_detail_in_the_same_words(client, api, agent, field, value, message):
    client.force_login(agent)
    assert admin_refusals(client, field, **{field: value}) == [message]

    answer = api.post(LIST_URL, payload(**{field: value}), format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["fields"] == {field: [message]}

    with pytest.raises(InvalidInput) as refused:
        open_refund(agent, **{field: value})
    assert (refused.value.field, refused.value.message) == (field, message)
    assert nothing_saved()


@pytest.mark.parametrize(("moment", "message"), BAD_TIMES)
def test_every_door_refuses_a_payment_time_out_of_range(client, api, agent, moment, message):
    client.force_login(agent)
    assert admin_refusals(client, "paid_at", paid_at=f"{moment:%Y-%m-%d %H:%M}") == [message]

    local = timezone.make_aware(moment)
    answer = api.post(LIST_URL, payload(paid_at=local.isoformat()), format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["fields"] == {"paid_at": [message]}

    with pytest.raises(InvalidInput) as refused:
        open_refund(agent, paid_at=local)
    assert (refused.value.field, refused.value.message) == ("paid_at", message)
    assert nothing_saved()
