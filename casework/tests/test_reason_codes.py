"""Reasons the system writes are kept as codes with their parameters and read in each
reader's language (the case page's timeline and history, the trail list, the partner's
timeline, the CSV export), whatever language the request that wrote them ran in; the hash
chain covers the code for new records and holds unchanged for old ones."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from casework.core.chain import mac
from casework.models import Notification, TransitionRecord
from casework.tests.admin import admin_url, visible_text
from casework.trail import reasons
from casework.trail.audit import CHANGED, chain_faults, record_transition, records_for, seal
from complaints import services
from complaints.models import State
from complaints.tests.factories import complaint_in_state, file_complaint, register

ENGLISH = "Registered from phone hotline"
CHINESE = "通过电话热线登记"


def in_chinese(write):
    """What ``write`` makes while the request that runs it is in Chinese."""
    with translation.override("zh-hans"):
        return write()


def chinese_reader(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def english_reader(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_system_reason_is_stored_as_its_code_with_english_words(agent):
    complaint = in_chinese(lambda: register(agent))

    record = records_for(complaint).get(transition="register")

    assert (record.reason_code, record.reason_params) == ("complaints.registered", {"channel": "phone"})
    assert record.reason == ENGLISH


def test_a_typed_reason_is_kept_as_typed_without_a_code(agent):
    complaint = in_chinese(lambda: register(agent))
    in_chinese(
        lambda: services.verify_identity(complaint=complaint, actor=agent, method="callback", reason="已回拨")
    )

    record = records_for(complaint).get(transition="verify_identity")

    assert (record.reason, record.reason_code, record.reason_params) == ("已回拨", "", {})


def test_the_case_page_reads_a_reason_written_in_chinese_in_each_readers_language(client, agent):
    complaint = in_chinese(lambda: register(agent))
    in_chinese(lambda: services.verify_identity(complaint=complaint, actor=agent, method="sms_code"))

    english = visible_text(english_reader(client, agent).get(admin_url(complaint)))
    chinese = visible_text(chinese_reader(client, agent).get(admin_url(complaint)))

    assert ENGLISH in english and CHINESE not in english
    assert "Verified by SMS one-time code" in english
    assert CHINESE in chinese and ENGLISH not in chinese
    assert "已通过短信验证码核验" in chinese and "Verified by" not in chinese


def test_the_history_page_reads_a_system_reason_in_the_readers_language(client, agent):
    complaint = in_chinese(lambda: register(agent))
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent, reason="Caller sounded sure")
    history = admin_url(complaint, "history")

    english = visible_text(english_reader(client, agent).get(history))
    chinese = visible_text(chinese_reader(client, agent).get(history))

    assert "Verified by SMS one-time code" in english
    assert "已通过短信验证码核验" in chinese and "Verified by" not in chinese
    assert "Caller sounded sure" in chinese  # what a person typed stays as typed


def test_the_trail_list_reads_a_system_reason_in_the_readers_language(client, auditor, agent):
    in_chinese(lambda: register(agent))
    changelist = reverse("admin:casework_transitionrecord_changelist")

    assert ENGLISH in visible_text(english_reader(client, auditor).get(changelist))
    chinese = visible_text(chinese_reader(client, auditor).get(changelist))
    assert CHINESE in chinese and ENGLISH not in chinese


def exported_reasons(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return [
        {"reason": row["reason"], "code": row["reason_code"], "params": row["reason_params"]}
        for row in csv.DictReader(io.StringIO(text))
    ]


def test_the_csv_export_reads_a_system_reason_in_the_exporters_language(client, auditor, agent):
    in_chinese(lambda: register(agent))
    today = f"{timezone.localdate():%Y-%m-%d}"
    export = reverse("admin:casework_transitionrecord_export")

    english = exported_reasons(english_reader(client, auditor).get(export, {"start": today, "end": today}))
    chinese = exported_reasons(chinese_reader(client, auditor).get(export, {"start": today, "end": today}))

    params = json.dumps({"channel": "phone"})
    assert english == [{"reason": ENGLISH, "code": "complaints.registered", "params": params}]
    assert chinese == [{"reason": CHINESE, "code": "complaints.registered", "params": params}]


def test_the_partner_timeline_reads_a_system_reason_in_the_apis_language(api, partner):
    # Written while Chinese was active (a shell, a task): the API still answers in English.
    complaint = in_chinese(lambda: file_complaint(partner))

    response = api.get(f"/api/v1/complaints/{complaint.reference}/timeline/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200, response.content
    assert [entry["reason"] for entry in response.json()["results"]] == ["Registered from partner API"]


# The chain: the code and its parameters are sealed; old records hold as they were sealed.


def legacy_payload(record: TransitionRecord) -> bytes:
    """What a record's hash covered before reasons had codes, written out as it was."""
    return json.dumps(
        [
            record.previous_hash,
            record.content_type_id,
            record.object_id,
            record.case_reference,
            record.transition,
            record.source_state,
            record.target_state,
            record.actor_id,
            record.actor_label,
            record.reason,
            record.data,
            record.created_at.isoformat(),
        ],
        sort_keys=True,
        default=str,
    ).encode()


def verify() -> str:
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


def test_a_record_without_a_code_is_sealed_exactly_as_before(agent):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="callback", reason="Called back")
    typed = records_for(complaint).get(transition="verify_identity")

    assert typed.record_hash == seal(typed) == mac(legacy_payload(typed))


def test_the_chain_verifies_over_old_records_and_new_ones_with_codes(agent):
    complaint = register(agent)
    # A record as the system wrote them before codes: its words frozen in Chinese.
    with translation.override("zh-hans"):
        old = record_transition(
            case=complaint,
            transition="assign",
            source=State.RECEIVED,
            target=State.RECEIVED,
            actor=agent,
            reason="由 agent.wang 处理",
        )
    TransitionRecord.objects.filter(pk=old.pk).update(record_hash=mac(legacy_payload(old)))
    services.verify_identity(complaint=complaint, actor=agent, method="callback", reason="Called back")
    services.withdraw_complaint(complaint=complaint, actor=agent)
    coded = [record.reason_code for record in records_for(complaint)]

    assert coded == ["complaints.registered", "", "", "complaints.withdrawn"]
    assert chain_faults(records_for(complaint)) == []
    assert f"Checked {len(coded)} transition records in 1 cases" in verify()


@pytest.mark.parametrize(
    "tampered",
    [{"reason_params": {"channel": "email"}}, {"reason_code": "complaints.withdrawn"}],
    ids=["params", "code"],
)
def test_changing_a_reasons_code_or_parameters_breaks_the_chain(agent, tampered):
    complaint = register(agent)
    record = records_for(complaint).get()
    TransitionRecord.objects.filter(pk=record.pk).update(**tampered)

    assert [(faulty.pk, why) for faulty, why in chain_faults(records_for(complaint))] == [
        (record.pk, CHANGED)
    ]


# The registry: every code the apps register renders with its parameters in both languages.


def sample_params(template: reasons.ReasonTemplate) -> dict:
    return {
        name: template.choices[name].values[-1] if name in template.choices else f"<{name}>"
        for name in template.parameters
    }


def test_every_registered_reason_renders_its_parameters_in_english_and_chinese():
    registered = reasons.registered()
    assert {template.code.split(".")[0] for template in registered} >= {"complaints", "accounts", "refunds"}
    for template in registered:
        params = sample_params(template)
        reason = template(**params)
        english, chinese = reason.canonical(), in_chinese(reason.render)
        for rendered in (english, chinese):
            assert "%(" not in rendered, (template.code, rendered)
            for name, value in params.items():
                if name not in template.choices:
                    assert value in rendered, (template.code, name, rendered)
        assert english != chinese, f"{template.code} is not translated: {english!r}"
        assert any("\u4e00" <= character <= "\u9fff" for character in chinese), (template.code, chinese)
        for name in template.choices:
            label = dict(template.choices[name].choices)[params[name]]
            with translation.override("en"):
                assert str(label) in english, (template.code, name)
            assert in_chinese(lambda label=label: str(label)) in chinese, (template.code, name)


def test_a_reason_is_refused_with_the_wrong_parameters_and_a_code_cannot_change_its_words():
    registered = reasons.registered()[0]
    with pytest.raises(ValueError):
        registered(unexpected="x")
    with pytest.raises(Exception, match="registered twice"):
        reasons.register(registered.code, translation.gettext_lazy("Something else"))


def test_a_record_whose_code_is_no_longer_registered_shows_its_stored_words(agent):
    complaint = register(agent)
    TransitionRecord.objects.filter(object_id=complaint.pk).update(reason_code="retired.code")

    assert reasons.shown_reason(records_for(complaint).get()) == ENGLISH


# Notices the system writes are in the deployment's language, not the triggering request's.


def test_an_escalation_in_a_chinese_request_writes_its_notice_in_the_deployments_language(
    client, agent, technician
):
    complaint = in_chinese(lambda: complaint_in_state(State.ESCALATED, agent=agent, technician=technician))
    notice = Notification.objects.get(case_reference=complaint.reference, kind="escalation")

    assert settings.LANGUAGE_CODE.startswith("en")
    assert "escalated to" in notice.subject and "升级" not in notice.subject
    assert "has been escalated to" in notice.body
    chinese = visible_text(chinese_reader(client, agent).get(admin_url(complaint)))
    assert "升级通知" in chinese
    assert "escalation" not in chinese
