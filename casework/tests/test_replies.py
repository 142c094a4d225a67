from django.test import override_settings

from casework.notices.replies import message_from_address, reply_address


@override_settings(CUSTOMER_REPLY_ADDRESS="complaints@wallet.example")
def test_a_reply_address_names_its_message_whatever_the_case_of_its_letters():
    address = reply_address(42)

    assert address.startswith("complaints+r.42.")
    assert address.endswith("@wallet.example")
    assert message_from_address(address) == 42
    assert message_from_address(f"<{address.upper()}>") == 42


@override_settings(CUSTOMER_REPLY_ADDRESS="complaints@wallet.example")
def test_an_altered_or_foreign_reply_address_names_no_message():
    address = reply_address(42)

    assert message_from_address(address.replace("+r.42.", "+r.43.")) is None
    assert message_from_address(address[:-20] + "0" * 5 + address[-15:]) is None
    assert message_from_address(address.replace("@wallet.example", "@elsewhere.example")) is None
    assert message_from_address("complaints@wallet.example") is None
    assert message_from_address("someone+r.42.abc@wallet.example") is None
