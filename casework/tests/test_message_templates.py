"""Message templates: placeholders refused unless known, the most specific template wins,
the preview shows the message as sent, and a stale editor is refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.models import MessageTemplate
from casework.models.message_templates import fill, placeholders_in
from casework.notices.message_templates import find_template, render, reply_templates, sms_parts

pytestmark = pytest.mark.django_db


def a_template(**fields) -> MessageTemplate:
    values = {
        "purpose": MessageTemplate.Purpose.NOTICE,
        "code": "acceptance",
        "title": "Acceptance",
        "language": "en",
        "subject": "Your complaint {reference} is accepted",
        "body": "We accepted {reference}.\n\nYou will have our answer by {due_date}.",
        "sms_body": "{reference} accepted, answer by {due_date}.",
    }
    values.update(fields)
    template = MessageTemplate(**values)
    template.full_clean()
    template.save()
    return template


def test_a_template_naming_an_unknown_placeholder_is_refused_naming_it():
    with pytest.raises(ValidationError) as refused:
        a_template(body="Dear {customer}, your case {reference} is due {due_date}.")

    assert "{customer}" in str(refused.value.message_dict["body"])


def test_a_lone_brace_is_refused_with_where_it_is():
    with pytest.raises(ValidationError) as refused:
        a_template(sms_body="{reference accepted")

    assert "character 1" in str(refused.value.message_dict["sms_body"])


def test_doubled_braces_write_a_brace_and_a_case_without_the_value_leaves_it_blank():
    assert placeholders_in("{{literal}} {reference}") == ["reference"]
    assert fill("{{x}} {reference} {amount}", {"reference": "TS-1"}) == "{x} TS-1 "


def test_the_case_types_and_categorys_own_template_wins_over_the_general_one():
    general = a_template()
    for_complaints = a_template(case_type="complaint", title="For complaints")
    for_refund_complaints = a_template(
        case_type="complaint", category="refund_not_processed", title="Refunds"
    )

    def found(**scope):
        return find_template(purpose="notice", code="acceptance", language="en", **scope)

    assert found(case_type="complaint", category="refund_not_processed") == for_refund_complaints
    assert found(case_type="complaint", category="slow_service") == for_complaints
    assert found(case_type="refund") == general
    assert find_template(purpose="notice", code="acceptance", language="zh-hans") is None


def test_an_inactive_template_is_never_used():
    a_template(is_active=False)

    assert find_template(purpose="notice", code="acceptance", language="en") is None


def test_two_active_templates_for_one_scope_are_refused():
    a_template()

    with pytest.raises(ValidationError) as refused:
        a_template(title="Second")

    assert "already covers" in str(refused.value)


def test_the_html_part_escapes_what_the_case_holds_and_links_the_survey():
    template = a_template(body="About {summary}.\n\nRate us: {survey_link}")

    message = render(
        template, {"summary": "<script>alert(1)</script>", "survey_link": "https://w.example/s/1"}
    )

    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert '<a href="https://w.example/s/1"' in message.html
    assert message.text == "About <script>alert(1)</script>.\n\nRate us: https://w.example/s/1"


@pytest.mark.parametrize(
    ("text", "parts"),
    [("", 0), ("a" * 160, 1), ("a" * 161, 2), ("投" * 70, 1), ("投" * 71, 2), ("a" * 159 + "€", 2)],
)
def test_an_sms_is_counted_in_the_parts_it_is_sent_in(text, parts):
    assert sms_parts(text) == parts


def test_an_agent_chooses_among_the_reply_templates_of_the_case_and_its_language():
    a_template(purpose="reply", code="screenshot", title="Ask for a screenshot", subject="")
    a_template(purpose="reply", code="other-type", title="Refunds only", case_type="refund", subject="")
    a_template(purpose="reply", code="chinese", title="中文", language="zh-hans", subject="")

    titles = [t.title for t in reply_templates(language="en", case_type="complaint", category="slow_service")]

    assert titles == ["Ask for a screenshot"]


def _form_data(template: MessageTemplate, **changes) -> dict:
    data = {
        "purpose": template.purpose,
        "code": template.code,
        "title": template.title,
        "case_type": template.case_type,
        "category": template.category,
        "language": template.language,
        "is_active": "on",
        "subject": template.subject,
        "body": template.body,
        "sms_body": template.sms_body,
        "seen_version": template.version,
    }
    data.update(changes)
    return data


def test_a_supervisor_sees_the_placeholders_and_a_preview_with_made_up_values(client, supervisor):
    template = a_template()
    client.force_login(supervisor)

    page = client.get(reverse("admin:casework_messagetemplate_change", args=[template.pk])).content.decode()

    assert "{due_date}" in page and "the day the decision is due" in page
    assert "Your complaint TS-2026-000123 is accepted" in page
    assert "sent as 1 SMS" in page


def test_a_bad_placeholder_in_the_admin_is_shown_next_to_the_field_and_nothing_is_saved(client, supervisor):
    template = a_template()
    client.force_login(supervisor)

    page = client.post(
        reverse("admin:casework_messagetemplate_change", args=[template.pk]),
        _form_data(template, body="Dear {name}"),
    )

    assert page.status_code == 200
    assert "No such placeholder: {name}" in page.content.decode()
    template.refresh_from_db()
    assert template.body.startswith("We accepted")


def test_a_save_over_someone_elses_newer_version_is_refused(client, supervisor):
    template = a_template()
    opened = _form_data(template, body="Mine: {reference}")
    client.force_login(supervisor)
    url = reverse("admin:casework_messagetemplate_change", args=[template.pk])
    assert client.post(url, _form_data(template, body="Theirs: {reference}")).status_code == 302

    page = client.post(url, opened)

    assert "Someone else changed this template" in page.content.decode()
    template.refresh_from_db()
    assert template.body == "Theirs: {reference}" and template.version == 1
    assert template.history.first().history_user == supervisor


def test_agents_cannot_edit_templates_and_auditors_only_read_them(client, agent, auditor):
    template = a_template()
    url = reverse("admin:casework_messagetemplate_change", args=[template.pk])

    client.force_login(agent)
    assert client.post(url, _form_data(template, body="Changed")).status_code == 403
    client.force_login(auditor)
    assert client.get(url).status_code == 200
    assert client.post(url, _form_data(template, body="Changed")).status_code == 403
    template.refresh_from_db()
    assert template.body.startswith("We accepted")
