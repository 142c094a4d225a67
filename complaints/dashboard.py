"""What complaints add to the supervisors' dashboard: the share of the period's resolved
complaints that were resolved at first contact. Registered with the complaint kind in
``complaints.apps``; ``casework.supervision.panels`` builds it for the page."""

from __future__ import annotations

from casework.models import kinds
from casework.supervision.dashboard import CaseTypeFigures
from casework.supervision.panels import CaseTypePanel, Links


def first_contact(figures: CaseTypeFigures, links: Links, panel: CaseTypePanel) -> dict:
    """The rate, and the two linked figures it is made of."""
    return {
        "rate": panel.first_contact_rate,
        "first_contact": panel.first_contact,
        "resolved": panel.resolved,
    }


FIRST_CONTACT = kinds.DashboardPanel(
    slot=kinds.SLA, template="complaints/dashboard_first_contact.html", build=first_contact
)
