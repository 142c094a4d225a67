"""The regimes' admin: a version any clock runs under is read-only, its limits too (the
model refuses it as the admin does); "Copy as a new version" makes an editable copy; making
one the default unmarks the one that was, both changes in the history."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casework.models import Regime, RegimeLimit
from casework.tests.admin import messages_of, visible_text
from complaints.tests.factories import register

LIST = "/admin/casework/regime/"


def change_url(regime: Regime) -> str:
    return f"{LIST}{regime.pk}/change/"


def pboc() -> Regime:
    return Regime.objects.get(code="cn-pboc", version="2020")


def form_data(response) -> dict:
    """What the change page would post back as it stands: the form and its inlines."""
    data = {}
    forms = [response.context["adminform"].form]
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        forms.append(management)
        forms.extend(formset.formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value if value is not True else "on"
    return data


def test_the_list_shows_each_version_and_the_cases_under_it(client, supervisor, agent):
    register(agent)
    register(agent)
    client.force_login(supervisor)
    page = visible_text(client.get(LIST))
    for code in ("cn-pboc", "cn-nfra", "eu-psd2", "uk-disp", "us-reg-e", "us-cfpb"):
        assert code in page
    rows = {row.code: row for row in client.get(LIST).context["cl"].result_list}
    assert (rows["cn-pboc"].clocks_using, rows["cn-nfra"].clocks_using) == (2, 0)


def test_a_version_no_case_runs_under_is_edited_with_its_limits(client, supervisor):
    regime = pboc()
    client.force_login(supervisor)
    page = client.get(change_url(regime))
    assert "source" in page.context["adminform"].form.fields
    data = form_data(page) | {"source": "PBOC Order [2020] No. 5, ch. IV (read again)."}
    data["limits-0-target"] = 14
    response = client.post(change_url(regime), data, follow=True)
    assert response.status_code == 200, messages_of(response)
    regime.refresh_from_db()
    assert regime.source.endswith("(read again).")
    assert regime.limits.get().target == 14


def test_a_version_in_use_is_read_only_with_its_limits(client, supervisor, agent):
    register(agent)
    regime = pboc()
    client.force_login(supervisor)
    page = client.get(change_url(regime))
    form = page.context["adminform"].form
    assert "source" not in form.fields and "is_default" in form.fields
    assert "Cases run under this regime version" in visible_text(page)  # why, and what to do
    for formset in page.context["inline_admin_formsets"]:
        assert not formset.has_add_permission and not formset.has_change_permission
    # A post naming the rules changes none of them.
    data = form_data(page) | {"source": "Changed behind the cases' back."}
    client.post(change_url(regime), data, follow=True)
    regime.refresh_from_db()
    assert "behind" not in regime.source


def test_the_model_refuses_what_the_admin_will_not_offer(agent):
    register(agent)
    regime = pboc()
    regime.source = "Changed."
    with pytest.raises(ValidationError) as refused:
        regime.full_clean()
    assert "source" in refused.value.message_dict
    limit = RegimeLimit.objects.get(regime=regime)
    limit.target = 20
    with pytest.raises(ValidationError, match="Copy it as a new version"):
        limit.full_clean()


def test_copy_as_a_new_version_is_editable_and_new_cases_keep_the_old_until_it_is_active(
    client, supervisor, agent
):
    register(agent)
    client.force_login(supervisor)
    response = client.post(
        LIST, {"action": "copy_as_new_version", "_selected_action": [pboc().pk]}, follow=True
    )
    copy = Regime.objects.get(code="cn-pboc", version="2020.1")
    assert response.redirect_chain[-1][0].endswith(change_url(copy))
    assert not copy.is_active and not copy.is_default
    assert [(limit.target, limit.unit) for limit in copy.limits.all()] == [(15, "civil_days")]
    assert copy.extensions.get().target == 60
    assert "source" in response.context["adminform"].form.fields  # editable
    assert register(agent).regime == pboc()


def test_making_one_default_unmarks_the_other_in_the_history(client, supervisor):
    nfra = Regime.objects.get(code="cn-nfra")
    client.force_login(supervisor)
    response = client.post(LIST, {"action": "mark_default", "_selected_action": [nfra.pk]}, follow=True)
    assert any("default regime now" in message for message in messages_of(response))
    assert list(Regime.objects.filter(is_default=True)) == [nfra]
    assert pboc().history.first().is_default is False


def test_ticking_default_on_the_page_unmarks_the_other(client, supervisor):
    disp = Regime.objects.get(code="uk-disp")
    client.force_login(supervisor)
    data = form_data(client.get(change_url(disp))) | {"is_default": "on"}
    response = client.post(change_url(disp), data, follow=True)
    assert response.status_code == 200, messages_of(response)
    assert list(Regime.objects.filter(is_default=True)) == [disp]


def test_an_inactive_regime_cannot_be_the_default(client, supervisor):
    disp = Regime.objects.get(code="uk-disp")
    client.force_login(supervisor)
    data = form_data(client.get(change_url(disp))) | {"is_default": "on"}
    data.pop("is_active")
    response = client.post(change_url(disp), data)
    assert response.status_code == 200
    assert "Only an active regime can be the default" in str(
        response.context["adminform"].form.errors["is_default"]
    )
    assert pboc().is_default


def test_a_save_over_someone_elses_newer_change_is_refused_and_keeps_theirs(client, supervisor):
    disp = Regime.objects.get(code="uk-disp")
    client.force_login(supervisor)
    opened = form_data(client.get(change_url(disp)))
    # Meanwhile another supervisor saves a limit of the same regime.
    limit = disp.limits.get(milestone="summary_resolution")
    limit.note = "Checked against DISP 1.5.1R."
    limit.save()

    response = client.post(change_url(disp), opened | {"is_default": "on"})

    assert response.status_code == 200
    assert "Someone else changed this regime after you opened it" in str(
        response.context["adminform"].form.non_field_errors()
    )
    assert not Regime.objects.get(pk=disp.pk).is_default
    assert RegimeLimit.objects.get(pk=limit.pk).note == "Checked against DISP 1.5.1R."
