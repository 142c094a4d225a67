"""The classification in the admin (complaints.classification_admin): the resolve page asks
for the codes, the outcome and the redress, pre-filled, each refusal next to its field in
the service's words; the codes' own admin lists their use and never deletes one in use."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from casework.core.errors import InvalidInput
from casework.tests.action_forms import row_errors
from casework.tests.admin import admin_url, messages_of, visible_text
from complaints import services
from complaints.models import ClassificationCode, Complaint, State
from complaints.tests.admin import registration
from complaints.tests.factories import CLASSIFIED, complaint_in_state

RESOLUTION = {**CLASSIFIED, "code": "corrected", "summary": "Reversed the duplicate debit."}


def resolve_page(client, complaint):
    return client.get(admin_url(complaint, "transition", "resolve"))


def post_resolve(client, complaint, **data):
    return client.post(
        admin_url(complaint, "transition", "resolve"), {"version": complaint.version, **RESOLUTION, **data}
    )


def options(page, field: str) -> list[str]:
    select = re.search(rf'(?s)<select name="{field}"[^>]*>(.*?)</select>', page.content.decode()).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def test_the_resolve_page_asks_for_the_codes_prefilled_with_the_complaints(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)
    ClassificationCode.objects.filter(code="P05").update(is_active=False)

    page = resolve_page(client, complaint)

    form = page.context["transition_form"]
    assert list(form.fields) == [
        "version",
        "code",
        "summary",
        "outcome",
        "redress_amount",
        "business_type",
        "cause",
        "product",
        "root_cause",
        "is_first_contact",
    ]
    assert (form["business_type"].value(), form["cause"].value()) == ("B01", "C03")
    assert form["product"].value() in (None, "")
    # Only the active codes of each dimension.
    assert options(page, "product") == ["", "P01", "P02", "P03", "P04", "P99"]
    assert options(page, "cause")[1:] == list(
        ClassificationCode.objects.filter(dimension="cause", is_active=True).values_list("code", flat=True)
    )
    text = visible_text(page)
    assert "B01 Payment" in text and "Redress paid" in text and "Root cause" in text


def test_resolving_in_the_admin_records_the_codes(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)

    response = post_resolve(client, complaint, code="compensated", redress_amount="20.00", root_cause="R02")

    assert response.status_code == 302
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.state, stored.root_cause.code, stored.outcome, str(stored.redress_amount)) == (
        State.RESOLVED,
        "R02",
        "upheld",
        "20.00",
    )
    page = client.get(admin_url(complaint))
    text = visible_text(page)
    assert "Classification" in text and "H01 Phone hotline" in text and "R02 Staff error" in text


@pytest.mark.parametrize("field", ["business_type", "cause", "product", "root_cause", "outcome"])
def test_the_admin_refuses_a_resolution_without_each_code_next_to_its_field(client, agent, field):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)

    response = post_resolve(client, complaint, **{field: ""})

    assert response.status_code == 200
    [error] = row_errors(response, field)
    with pytest.raises(InvalidInput) as refusal:
        services.resolve_complaint(complaint=complaint, actor=agent, **{**RESOLUTION, field: ""})
    assert error == refusal.value.message  # the service's words, at both doors
    assert Complaint.objects.get(pk=complaint.pk).state == State.IN_PROGRESS


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("cause", "B01", "B01 is a business type code, not a cause code."),
        ("product", "P05", "P05 is no longer in use: choose an active product code."),
        ("redress_amount", "-3", "The amount must be more than zero."),
    ],
)
def test_a_forged_or_retired_code_is_refused_next_to_its_field(client, agent, field, value, words):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    ClassificationCode.objects.filter(code="P05").update(is_active=False)
    client.force_login(agent)

    response = post_resolve(client, complaint, **{field: value})

    assert words in row_errors(response, field)[0]


def test_a_refund_without_its_redress_is_refused_next_to_the_redress(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)
    response = post_resolve(client, complaint, code="refunded")
    assert "give the redress paid, in CNY" in row_errors(response, "redress_amount")[0]


def test_a_stale_resolve_page_is_refused_and_shown_again_as_it_is_now(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)
    seen = complaint.version
    services.classify_complaint(
        complaint=complaint, actor=agent, business_type="B02", cause="C03", reason="x"
    )

    response = client.post(admin_url(complaint, "transition", "resolve"), {"version": seen, **RESOLUTION})

    assert response.status_code == 200
    assert "changed by someone else" in visible_text(response)
    assert Complaint.objects.get(pk=complaint.pk).state == State.IN_PROGRESS


def test_the_classify_step_records_codes_by_hand(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)
    url = admin_url(complaint, "step", "classify")
    page = client.get(url)
    assert page.context["transition_form"]["business_type"].value() == "B01"

    response = client.post(
        url,
        {
            "version": complaint.version,
            "business_type": "B06",
            "cause": "C03",
            "product": "",
            "reason": "Acquiring",
        },
        follow=True,
    )

    assert messages_of(response) == [f"{complaint.reference}: classify done."]
    assert Complaint.objects.get(pk=complaint.pk).business_type.code == "B06"


def test_register_and_resolve_takes_the_categorys_codes_and_the_ones_given(client, agent):
    client.force_login(agent)
    data = {
        **registration(),
        "verification_method": "sms_code",
        "code": "explained",
        "summary": "Reversed by the bank.",
        "product": "P03",
        "root_cause": "R04",
        "outcome": "not_upheld",
        "_resolve": "Register and resolve",
    }

    response = client.post(reverse("admin:complaints_complaint_add"), data)

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    codes = [
        complaint.business_type.code,
        complaint.cause.code,
        complaint.product.code,
        complaint.root_cause.code,
    ]
    assert codes == ["B01", "C03", "P03", "R04"]
    assert complaint.outcome == "not_upheld"


def test_register_and_resolve_without_a_root_cause_is_refused_next_to_it(client, agent):
    client.force_login(agent)
    data = {
        **registration(),
        "verification_method": "sms_code",
        "code": "explained",
        "summary": "Reversed by the bank.",
        "product": "P03",
        "outcome": "not_upheld",
        "_resolve": "Register and resolve",
    }
    response = client.post(reverse("admin:complaints_complaint_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["root_cause"] == ["Choose the root cause."]
    assert not Complaint.objects.exists()


# The codes' own admin.


def code_url(code: ClassificationCode, view: str = "change") -> str:
    return reverse(f"admin:complaints_classificationcode_{view}", args=[code.pk])


def test_the_code_list_shows_each_code_its_names_mapping_and_use(client, agent, supervisor):
    complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(supervisor)

    page = client.get(
        reverse("admin:complaints_classificationcode_changelist") + "?dimension__exact=business_type"
    )

    assert page.status_code == 200
    rows = {row.code: row for row in page.context["cl"].result_list}
    assert list(rows) == ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B99"]
    text = visible_text(page)
    assert "支付业务" in text and "transaction failed or abnormal" in text
    admin = page.context["cl"].model_admin
    assert admin.complaints_counted(rows["B01"]) == 1
    assert admin.complaints_counted(rows["B02"]) == 0


def test_a_code_in_use_is_retired_not_deleted(client, agent, supervisor):
    complaint_in_state(State.IN_PROGRESS, agent=agent)
    used = ClassificationCode.objects.get(dimension="business_type", code="B01")
    channel = ClassificationCode.objects.get(dimension="channel", code="H01")  # phone complaints use it
    unused = ClassificationCode.objects.create(dimension="product", code="P42", name="Typo")
    client.force_login(supervisor)

    assert client.get(code_url(used, "delete")).status_code == 403
    assert client.post(code_url(used, "delete"), {"post": "yes"}).status_code == 403
    assert client.post(code_url(channel, "delete"), {"post": "yes"}).status_code == 403
    assert ClassificationCode.objects.filter(pk__in=[used.pk, channel.pk]).count() == 2
    listed = client.get(reverse("admin:complaints_classificationcode_changelist")).content.decode()
    assert 'value="delete_selected"' not in listed

    response = client.post(code_url(unused, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not ClassificationCode.objects.filter(pk=unused.pk).exists()

    change = client.post(
        code_url(used),
        {"name": "Payment", "name_zh": "支付业务", "maps_from": "transaction", "position": 1, "parent": ""},
    )
    assert change.status_code == 302
    used.refresh_from_db()
    assert not used.is_active  # retired: "is active" left unticked
    assert used.history.latest().is_active is False  # the seed's row had no history yet
    assert client.get(code_url(used, "history")).status_code == 200


def test_a_code_maps_only_from_what_its_dimension_maps_from(client, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:complaints_classificationcode_add"),
        {"dimension": "channel", "code": "H09", "name": "Letter", "maps_from": "refund", "position": 9},
    )
    assert response.status_code == 200
    assert "is not a channel" in response.context["adminform"].form.errors["maps_from"][0]
    response = client.post(
        reverse("admin:complaints_classificationcode_add"),
        {
            "dimension": "cause",
            "code": "C10",
            "name": "Fees",
            "maps_from": "transaction",
            "position": 10,
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the transaction category has its default cause already
    assert response.context["adminform"].form.non_field_errors()


def test_an_agent_does_not_edit_the_codes(client, agent):
    client.force_login(agent)
    code = ClassificationCode.objects.get(dimension="business_type", code="B01")
    assert client.get(code_url(code)).status_code == 403
