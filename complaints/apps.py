from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from casework.cases import sweep
        from casework.core import evidence
        from casework.models import CaseType, kinds
        from complaints.services import customer_notices

        from . import dashboard, reasons, retention, selectors, services  # noqa: F401 (reasons: its codes)
        from .models import OPEN_STATES, Complaint, ComplaintAttachment, State
        from .services import customer_messages

        sweep.register("complaints", services.run_clock)
        evidence.register(ComplaintAttachment, case="complaint")
        kinds.register(
            kinds.CaseKind(
                case_type=CaseType.COMPLAINT,
                name=_("complaints"),
                model=Complaint,
                open_states=tuple(OPEN_STATES),
                resolved_states=(State.RESOLVED, State.CLOSED),
                resolved_at="resolved_at",
                first_contact_field="is_first_contact_resolution",
                api_collection="complaints",
                panels=(
                    dashboard.FIRST_CONTACT,
                    dashboard.SATISFACTION,
                    dashboard.REPEATS,
                    dashboard.RETURNS,
                ),
                demo="complaints.demo",
                holder_field="assigned_to",
                team_field="team",
                take_permission="complaints.change_complaint",
                # Escalated, it stays the agent's and waits on the team's findings.
                escalated_team_field="escalated_to",
                escalated_states=(State.ESCALATED,),
                escalated_permission="complaints.return_findings_complaint",
                # Replies by e-mail and SMS (casework.intake).
                replies=kinds.CustomerReplies(
                    awaiting_states=(State.AWAITING_CUSTOMER,),
                    replied=customer_messages.replied,
                    attach=customer_messages.attach,
                    note=customer_messages.note,
                    open_from_message=customer_messages.open_from_message,
                    phone_field="customer_phone",
                ),
                customer_contact=customer_notices.customer_contact,
                customer_field="customer",
                outcome=selectors.outcome,
                # Routing (casework.routing) matches a team's skills on these.
                category_field="category",
                language_field="customer_language",
                retention=retention.RETENTION,
            )
        )
