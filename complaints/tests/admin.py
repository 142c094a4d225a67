"""What the complaint admin tests share: the admin's addresses, a change form as the browser
would post it back, and a new complaint's registration form."""

from __future__ import annotations

from django.urls import reverse

from casework.tests.admin import admin_url
from complaints.models import Complaint

CHANGELIST = reverse("admin:complaints_complaint_changelist")
ADD = reverse("admin:complaints_complaint_add")


def form_data(response) -> dict[str, object]:
    """What the browser would post back from a rendered change form, untouched."""
    data: dict[str, object] = {}

    def add(form) -> None:
        for name, field in form.fields.items():
            value = form[name].value()
            widget = field.widget
            if hasattr(widget, "widgets"):  # split date and time
                for index, part in enumerate(widget.decompress(value)):
                    data[f"{form.add_prefix(name)}_{index}"] = "" if part is None else part
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.initial_forms:
            data[form.add_prefix("id")] = form.instance.pk
            data[form.add_prefix("complaint")] = form.instance.complaint_id
    return data


def open_change_form(client, complaint: Complaint) -> dict[str, object]:
    response = client.get(admin_url(complaint))
    assert response.status_code == 200
    return form_data(response)


def registration(**overrides) -> dict[str, object]:
    data = {
        "channel": "phone",
        "category": "transaction",
        "priority": "normal",
        "customer_name": "Zhang San",
        "customer_phone": "13912345678",
        # As the browser sends the form's selects: the customer is told by SMS, in Chinese.
        "customer_email": "",
        "preferred_channel": "sms",
        "customer_language": "zh-hans",
        "account_number": "6222000099998888",
        "description": "Scanned a QR code to pay 45 yuan; the app says failed but I was charged.",
        "transaction_at_0": "2026-03-02",
        "transaction_at_1": "14:05:00",
        "amount": "45.00",
        "currency": "CNY",
        "transaction_reference": "TX2026030200045",
        "merchant": "FamilyMart",
        "device": "iPhone 15, iOS 18, app 10.6.0",
    }
    data.update(overrides)
    return data
