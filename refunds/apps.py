from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refund cases")

    def ready(self) -> None:
        from django.db.models import Q

        from casework.cases import sweep
        from casework.core import evidence
        from casework.models import CaseType, kinds
        from complaints.services import customer_notices

        from . import dashboard, reasons, retention, selectors, services  # noqa: F401 (reasons: its codes)
        from .models import OPEN_REFUND_STATES, RefundCase, RefundEvidence, RefundState

        sweep.register("refunds", services.run_clock)
        sweep.register("provisional_credits", services.run_credit_clock)
        evidence.register(RefundEvidence, case="case")
        kinds.register(
            kinds.CaseKind(
                case_type=CaseType.REFUND,
                name=_("refund cases"),
                model=RefundCase,
                open_states=tuple(OPEN_REFUND_STATES),
                resolved_states=(RefundState.REFUNDED, RefundState.REJECTED),
                resolved_at="sla_clock__stopped_at",
                api_collection="refund-cases",
                panels=(dashboard.OVERDUE,),
                demo="refunds.demo",
                holder_field="handler",
                take_permission="refunds.review_refundcase",
                # Above the four-eyes threshold a first approval leaves the case under
                # review for a second approver: neither its opener nor the first approver
                # (models.approval_refusal).
                decision_states=(RefundState.UNDER_REVIEW,),
                decision_filter=Q(first_approved_by__isnull=False),
                decide_permission="refunds.approve_refundcase",
                maker_fields=("submitted_by", "first_approved_by"),
                row_related=("transaction", "provisional_credit"),
                customer_contact=customer_notices.linked_customer_contact,
                customer_field="customer",
                outcome=selectors.outcome,
                retention=retention.RETENTION,
            )
        )
