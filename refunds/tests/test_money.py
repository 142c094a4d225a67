"""Money: a Decimal and an ISO 4217 code with its minor units; a wrong amount is refused,
naming its field, and never rounded; no float ever holds a refund."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import models

from casework.core.errors import InvalidInput
from refunds.models import PaymentInstruction, PaymentTransaction, RefundCase
from refunds.money import MINOR_UNITS, check_amount, check_currency, format_money
from refunds.tests.factories import open_refund, transaction_details


@pytest.mark.parametrize(
    ("currency", "places", "amount", "read_as"),
    [
        ("CNY", 2, "12", "12.00"),
        ("CNY", 2, "12.3", "12.30"),
        ("JPY", 0, "1200", "1200"),
        ("JPY", 0, "1.2E+3", "1200"),
        ("BHD", 3, "12.345", "12.345"),
        ("BHD", 3, "0.001", "0.001"),
    ],
)
def test_an_amount_is_read_with_its_currencys_minor_units(currency, places, amount, read_as):
    assert MINOR_UNITS[currency] == places

    value = check_amount(amount, currency)

    assert type(value) is Decimal
    assert str(value) == read_as
    assert value.as_tuple().exponent == -places


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("12.345", "CNY", "CNY has 2 decimal places; 12.345 has more."),
        ("0.001", "CNY", "CNY has 2 decimal places; 0.001 has more."),
        ("100.5", "JPY", "JPY has 0 decimal places; 100.5 has more."),
        ("1.2345", "BHD", "BHD has 3 decimal places; 1.2345 has more."),
    ],
)
def test_more_decimal_places_than_the_currency_has_are_refused_not_rounded(amount, currency, message):
    with pytest.raises(InvalidInput) as refused:
        check_amount(amount, currency, field="requested_amount")
    assert refused.value.field == "requested_amount"
    assert refused.value.message == message


def test_trailing_zeros_are_not_extra_places():
    assert str(check_amount("12.3400", "CNY")) == "12.34"
    assert str(check_amount("500.000", "JPY")) == "500"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than zero."),
        ("0.00", "The amount must be more than zero."),
        ("-5.00", "The amount must be more than zero."),
        ("NaN", "The amount must be more than zero."),
        ("Infinity", "The amount must be more than zero."),
        ("abc", "'abc' is not an amount."),
        ("12,50", "'12,50' is not an amount."),
        ("", "'' is not an amount."),
        (None, "'None' is not an amount."),
        ("1E+15", "The amount is more than the back office takes: at most 10,000,000."),
        ("10000000.01", "The amount is more than the back office takes: at most 10,000,000."),
    ],
)
def test_an_amount_that_is_not_a_refund_is_refused_naming_the_field(amount, message):
    with pytest.raises(InvalidInput) as refused:
        check_amount(amount, "CNY", field="transaction_amount")
    assert refused.value.field == "transaction_amount"
    assert refused.value.message == message


def test_the_field_is_amount_unless_told():
    with pytest.raises(InvalidInput) as refused:
        check_amount("-1", "CNY")
    assert refused.value.field == "amount"


def test_the_largest_amount_the_back_office_takes_is_accepted():
    # settings.MONEY_MAX_AMOUNT, in the currency's own units.
    assert check_amount("10000000.000", "BHD") == Decimal("10000000.000")
    assert check_amount("10000000", "JPY") == Decimal("10000000")


# decimal's default context holds 28 digits: the size is checked before quantizing, so
# "1e30" is refused naming the field rather than raising decimal.InvalidOperation.
@pytest.mark.parametrize("amount", ["1E+30", "123456789012345678901234567890"])
def test_a_huge_amount_is_refused_naming_the_field(amount):
    with pytest.raises(InvalidInput) as refused:
        check_amount(amount, "CNY", field="requested_amount")
    assert refused.value.field == "requested_amount"
    assert refused.value.message == "The amount is more than the back office takes: at most 10,000,000."


@pytest.mark.parametrize(
    ("given", "code"), [("CNY", "CNY"), ("cny", "CNY"), (" jpy ", "JPY"), ("BHD", "BHD")]
)
def test_a_currency_is_its_iso_4217_code(given, code):
    assert check_currency(given) == code


@pytest.mark.parametrize("given", ["RMB", "XXX", "CN", "", None, "yuan"])
def test_a_currency_the_wallet_does_not_support_is_refused_naming_the_field(given):
    with pytest.raises(InvalidInput, match="is not a currency the wallet supports") as refused:
        check_currency(given)
    assert refused.value.field == "currency"
    with pytest.raises(InvalidInput) as refused:
        check_currency(given, field="transaction_currency")
    assert refused.value.field == "transaction_currency"


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("1234.5"), "CNY", "CNY 1,234.50"),
        (Decimal("1234.000"), "JPY", "JPY 1,234"),
        (Decimal("1.5"), "BHD", "BHD 1.500"),
        (Decimal("0.5"), "XYZ", "XYZ 0.50"),  # an unknown code shows two places
    ],
)
def test_money_is_shown_with_its_code_and_minor_units(amount, currency, shown):
    assert format_money(amount, currency) == shown


# No float.


def test_a_float_is_read_by_its_shortest_decimal_form_never_its_binary_value():
    value = check_amount(0.1, "CNY")
    assert type(value) is Decimal
    assert value == Decimal("0.10")
    binary = Decimal("0.1000000000000000055511151231257827021181583404541015625")
    assert Decimal.from_float(0.1) == binary  # what a float really holds
    assert value != binary


def test_float_arithmetic_noise_is_refused_not_rounded():
    with pytest.raises(InvalidInput, match=r"CNY has 2 decimal places; 0\.30000000000000004 has more\."):
        check_amount(0.1 + 0.2, "CNY")


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (PaymentTransaction, "amount"),
        (RefundCase, "requested_amount"),
        (RefundCase, "approved_amount"),
        (PaymentInstruction, "amount"),
    ],
)
def test_every_money_column_is_a_decimal_wide_enough_for_three_minor_units(model, field):
    column = model._meta.get_field(field)
    assert isinstance(column, models.DecimalField)
    assert (column.max_digits, column.decimal_places) == (18, 3)


@pytest.mark.parametrize(
    ("currency", "transaction_amount", "requested", "stored"),
    [
        ("CNY", "800.00", "300.5", Decimal("300.50")),
        ("JPY", "12000", "4500", Decimal("4500")),
        ("BHD", "80.000", "12.345", Decimal("12.345")),
    ],
)
def test_a_refund_is_stored_and_read_back_as_a_decimal(
    currency, transaction_amount, requested, stored, agent
):
    case = open_refund(
        agent,
        requested_amount=requested,
        **transaction_details(currency=currency, transaction_amount=transaction_amount),
    )

    again = RefundCase.objects.select_related("transaction").get(pk=case.pk)
    assert type(again.requested_amount) is Decimal and again.requested_amount == stored
    assert type(again.transaction.amount) is Decimal
    assert again.transaction.amount == Decimal(transaction_amount)
    assert again.currency == currency
