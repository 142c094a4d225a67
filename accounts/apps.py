from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Account lock and unlock requests")

    def ready(self) -> None:
        from casework.cases import sweep
        from casework.core import evidence
        from casework.models import CaseType, kinds
        from complaints.services import customer_notices

        from . import reasons, retention, selectors, services  # noqa: F401 (reasons: its codes)
        from .models import (
            MAKER_FIELDS,
            NEEDS_RISK_OFFICER,
            OPEN_REQUEST_STATES,
            AccountRequest,
            AuthenticationEvidence,
            RequestState,
        )

        sweep.register("accounts", services.run_clock)
        evidence.register(AuthenticationEvidence, case="request")
        kinds.register(
            kinds.CaseKind(
                case_type=CaseType.ACCOUNT_REQUEST,
                name=_("account requests"),
                model=AccountRequest,
                open_states=tuple(OPEN_REQUEST_STATES),
                resolved_states=(RequestState.EXECUTED, RequestState.REJECTED),
                resolved_at="sla_clock__stopped_at",
                api_collection="account-requests",
                demo="accounts.demo",
                # Nobody holds a request: pending review, it waits on any reviewer who
                # made none of it (models.approval_refusal), a risk officer for risk unlocks.
                decision_states=(RequestState.PENDING_REVIEW,),
                decide_permission="accounts.approve_accountrequest",
                maker_fields=MAKER_FIELDS,
                decision_permissions=(("accounts.approve_risk_accountrequest", NEEDS_RISK_OFFICER),),
                row_related=("account",),
                customer_contact=customer_notices.linked_customer_contact,
                customer_field="customer",
                outcome=selectors.outcome,
                retention=retention.RETENTION,
            )
        )
