"""A complaint runs under a regime: the deployment's (PBOC as seeded, or the REGIME
setting's) or the one it names, recorded on it and in its trail, its deadlines from the
regime's limits; corrected, with a reason, through the correct step. The same through the
service, the admin and the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from casework.core.errors import InvalidInput
from casework.models import RegimeExtension, SlaClock, TransitionRecord
from casework.sla import clocks
from casework.tests.admin import admin_url, messages_of, visible_text
from casework.tests.api import assert_error
from complaints import services
from complaints.models import Complaint
from complaints.tests.api import LIST_URL, detail_url, payload
from complaints.tests.factories import register

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
RECEIVED = dt.datetime(2026, 9, 16, 11, 0, tzinfo=SHANGHAI)
REASON = "The customer's account is held in New York: Regulation E applies."


def registration(record_of: Complaint) -> TransitionRecord:
    return TransitionRecord.objects.get(case_reference=record_of.reference, transition="register")


def test_a_complaint_runs_under_pboc_by_default_and_its_trail_says_so(agent):
    complaint = register(agent, received_at=RECEIVED)
    assert (complaint.regime.code, complaint.regime.version, complaint.regime_condition) == (
        "cn-pboc",
        "2020",
        "",
    )
    assert complaint.sla_clock.regime == complaint.regime
    # 15 days from 16 Sep: the 15th is 1 Oct (National Day), the week off after it: 8 Oct.
    assert complaint.sla_clock.resolution_due_at == dt.datetime(2026, 10, 8, 18, 0, tzinfo=SHANGHAI)
    assert registration(complaint).data == {
        "regime": "cn-pboc",
        "regime_version": "2020",
        "regime_condition": "",
    }


def test_the_regime_setting_names_the_deployments_regime(agent, settings):
    settings.REGIME = "eu-psd2"
    complaint = register(agent, received_at=dt.datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI))
    assert complaint.regime.code == "eu-psd2"
    # PSD2: 15 business days on the policy's (China's) calendar.
    assert complaint.sla_clock.resolution_due_at == dt.datetime(2026, 10, 23, 18, 0, tzinfo=SHANGHAI)


def test_a_case_names_its_regime_and_condition(agent):
    received = dt.datetime(2026, 6, 15, 10, 0, tzinfo=NEW_YORK)
    complaint = register(agent, received_at=received, regime="us-reg-e", regime_condition="new_account")
    assert (complaint.regime.code, complaint.regime_condition) == ("us-reg-e", "new_account")
    # 20 business days on the US calendar (Juneteenth and 3 July skipped).
    assert complaint.sla_clock.resolution_due_at == dt.datetime(2026, 7, 15, 17, 0, tzinfo=NEW_YORK)
    assert registration(complaint).data["regime_condition"] == "new_account"
    # Reg E's 90 days for a new account, as the extension helper grants it.
    tier = RegimeExtension.objects.get(regime=complaint.regime, condition="new_account")
    clocks.extend_clock(complaint.sla_clock, tier)
    assert complaint.sla_clock.resolution_due_at == dt.datetime(2026, 9, 13, 10, 0, tzinfo=NEW_YORK)
    assert Complaint.objects.get(pk=complaint.pk).next_due_at == complaint.sla_clock.next_due_at


@pytest.mark.parametrize(
    ("values", "field"),
    [({"regime": "xx-nowhere"}, "regime"), ({"regime_condition": "on_tuesdays"}, "regime_condition")],
)
def test_an_unknown_regime_or_condition_is_refused_naming_it(agent, values, field):
    with pytest.raises(InvalidInput) as refused:
        register(agent, **values)
    assert refused.value.field == field
    assert not Complaint.objects.exists()


def test_correcting_the_regime_moves_the_deadlines_and_is_in_the_trail(agent, supervisor):
    complaint = register(agent, received_at=RECEIVED)
    services.correct_complaint(
        complaint=complaint, actor=supervisor, regime="eu-psd2", regime_condition="", reason=REASON
    )
    complaint.refresh_from_db()
    assert complaint.regime.code == "eu-psd2"
    clock = SlaClock.objects.get(pk=complaint.sla_clock_id)
    assert clock.regime.code == "eu-psd2"
    # 15 business days from 16 Sep on China's calendar (20 Sep and 10 Oct worked).
    assert clock.resolution_due_at == dt.datetime(2026, 10, 13, 18, 0, tzinfo=SHANGHAI)
    assert complaint.next_due_at == clock.next_due_at
    record = TransitionRecord.objects.get(case_reference=complaint.reference, transition="correct")
    assert record.data == {"regime": ["cn-pboc 2020", "eu-psd2 2015"]}
    assert record.reason == REASON


def test_a_correction_the_extension_does_not_survive_is_refused(agent, supervisor):
    complaint = register(agent, received_at=RECEIVED)
    clocks.extend_clock(complaint.sla_clock, RegimeExtension.objects.get(regime__code="cn-pboc"))
    with pytest.raises(InvalidInput) as refused:
        services.correct_complaint(complaint=complaint, actor=supervisor, regime="us-cfpb", reason=REASON)
    assert refused.value.field == "regime"
    complaint.refresh_from_db()
    assert complaint.regime.code == "cn-pboc"


# The admin.


def test_the_registration_form_offers_the_regimes_with_the_default_preselected(client, agent, settings):
    client.force_login(agent)
    form = client.get("/admin/complaints/complaint/add/").context["adminform"].form
    assert form["regime"].value() == "cn-pboc"
    assert {code for code, _label in form.fields["regime"].choices} >= {"cn-pboc", "uk-disp", "us-reg-e"}
    settings.REGIME = "uk-disp"
    form = client.get("/admin/complaints/complaint/add/").context["adminform"].form
    assert form["regime"].value() == "uk-disp"


def test_the_admin_registers_under_the_regime_chosen(client, agent):
    client.force_login(agent)
    form = client.get("/admin/complaints/complaint/add/").context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data |= {
        "channel": "phone",
        "category": "other",
        "customer_name": "Zhang San",
        "customer_phone": "13800138001",
        "description": "Charged twice for one purchase.",
        "regime": "us-cfpb",
        "regime_condition": "",
    }
    response = client.post("/admin/complaints/complaint/add/", data, follow=True)
    assert response.status_code == 200
    complaint = Complaint.objects.get(customer_name="Zhang San")
    assert complaint.regime.code == "us-cfpb"
    page = visible_text(client.get(admin_url(complaint)))
    assert "us-cfpb 2024: decision within 60 calendar days, CFPB Company Portal Manual" in page


def test_the_complaint_page_shows_the_limit_in_force(client, agent, supervisor):
    complaint = register(agent)
    client.force_login(supervisor)
    page = visible_text(client.get(admin_url(complaint)))
    assert "cn-pboc 2020: decision within 15 days (civil-law count), PBOC Order [2020] No. 5, ch. IV" in page
    clocks.extend_clock(complaint.sla_clock, RegimeExtension.objects.get(regime__code="cn-pboc"))
    page = visible_text(client.get(admin_url(complaint)))
    assert "decision within 60 days (civil-law count) (extension tier 1)" in page


def test_the_admin_corrects_the_regime_and_refuses_a_stale_form(client, agent, supervisor):
    complaint = register(agent)
    client.force_login(supervisor)
    url = admin_url(complaint, "step", "correct")
    form = client.get(url).context["transition_form"]
    assert (form["regime"].value(), form["regime_condition"].value()) == ("cn-pboc", "")
    data = {name: form[name].value() for name in ("version", "category", "priority", "channel")}
    services.assign_complaint(
        complaint=complaint, actor=supervisor, assigned_to=supervisor, reason="Mine now."
    )
    stale = client.post(
        url, {**data, "regime": "uk-disp", "regime_condition": "", "reason": REASON}, follow=True
    )
    assert "changed by someone else" in stale.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).regime.code == "cn-pboc"

    data["version"] = Complaint.objects.get(pk=complaint.pk).version
    response = client.post(
        url, {**data, "regime": "uk-disp", "regime_condition": "", "reason": REASON}, follow=True
    )
    assert response.status_code == 200, messages_of(response)
    assert Complaint.objects.get(pk=complaint.pk).regime.code == "uk-disp"


# The API.


def test_a_partner_files_under_a_regime_and_reads_its_basis(api):
    response = api.post(LIST_URL, payload(regime="us-reg-e", regime_condition="new_account"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["regime"], body["regime_version"], body["regime_condition"]) == (
        "us-reg-e",
        "2024",
        "new_account",
    )
    assert body["decision_basis"] == {
        "target": 20,
        "unit": "business_days",
        "article": "12 CFR 1005.11(c)(3)(i)",
        "extension_tier": None,
    }
    read = api.get(detail_url(body["reference"])).json()
    assert read["decision_basis"] == body["decision_basis"]


def test_a_partner_filing_without_a_regime_gets_the_deployments(api):
    body = api.post(LIST_URL, payload(), format="json").json()
    assert (body["regime"], body["regime_version"]) == ("cn-pboc", "2020")
    assert body["decision_basis"]["unit"] == "civil_days"


def test_an_unknown_regime_is_a_400_naming_it(api):
    error = assert_error(api.post(LIST_URL, payload(regime="xx-nowhere"), format="json"), 400, "invalid")
    assert list(error["fields"]) == ["regime"]
    assert not Complaint.objects.exists()


def test_the_deadline_a_partner_reads_is_the_regimes(api):
    now = timezone.now()
    body = api.post(LIST_URL, payload(regime="us-cfpb"), format="json").json()
    due = dt.datetime.fromisoformat(body["sla"]["resolution_due_at"])
    assert dt.timedelta(days=60) <= due - now < dt.timedelta(days=60, minutes=1)  # calendar days
