"""The case kinds the case apps register: every case model is one, in CaseType's order,
and the registry refuses a kind it could not show."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django_fsm import FSMField
from simple_history.models import HistoricalChanges

from accounts.models import AccountRequest
from casework.models import CaseType, kinds
from casework.trail import audit
from complaints.models import Complaint
from refunds.models import RefundCase


def test_the_kinds_are_complaints_account_requests_and_refund_cases_in_that_order():
    assert [kind.case_type for kind in kinds.registered()] == list(CaseType.values)
    assert [kind.model for kind in kinds.registered()] == [Complaint, AccountRequest, RefundCase]
    assert audit.case_models() == [Complaint, AccountRequest, RefundCase]


def test_every_model_with_a_state_machine_is_a_registered_kind():
    # What the audit checks found by looking before the kinds registered themselves: a case
    # model whose app forgot to register would be left out of the checks and the dashboard.
    # An action of a case with its own states (a refund case's provisional credit) names the
    # case whose trail records it (``trail_case_field``): the checks reach it through that case.
    with_a_state_machine = [
        model
        for model in apps.get_models()
        if not issubclass(model, HistoricalChanges)
        and not getattr(model, "trail_case_field", "")
        and isinstance(next((f for f in model._meta.concrete_fields if f.name == "state"), None), FSMField)
    ]
    assert set(with_a_state_machine) == set(audit.trailed_models())


def test_a_model_is_found_by_its_kind():
    assert kinds.kind_of(RefundCase).case_type == CaseType.REFUND
    with pytest.raises(LookupError):
        kinds.kind_of(CaseType)


def test_the_registry_refuses_what_it_could_not_show():
    complaints = kinds.kind_of(Complaint)
    unknown_type = kinds.CaseKind(**{**vars(complaints), "case_type": "parcel"})
    taken_type = kinds.CaseKind(**{**vars(complaints), "model": RefundCase})
    no_such_slot = kinds.CaseKind(
        **{**vars(complaints), "panels": (kinds.DashboardPanel("sidebar", "x.html", dict),)}
    )
    for kind in (unknown_type, taken_type, no_such_slot):
        with pytest.raises(ImproperlyConfigured):
            kinds.register(kind)
    assert kinds.registered()[0] is complaints
