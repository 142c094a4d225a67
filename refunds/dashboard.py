"""What refunds add to the supervisors' dashboard: the open refund cases past their
deadline (the refund list's "overdue"), and in which states. Registered with the refund
kind in ``refunds.apps``; ``casework.supervision.panels`` builds it for the page."""

from __future__ import annotations

from django.utils.translation import gettext

from casework.models import kinds
from casework.supervision.dashboard import CaseTypeFigures
from casework.supervision.filters import OpenCasesFilter
from casework.supervision.panels import CaseTypePanel, Figure, Links


def overdue(figures: CaseTypeFigures, links: Links, panel: CaseTypePanel) -> dict:
    """Open refund cases past their deadline, in all and by state (the states with any)."""
    kind = figures.kind
    labels = kind.state_labels
    breached = {OpenCasesFilter.parameter_name: OpenCasesFilter.BREACHED}
    total = Figure(
        f"{kind.case_type}:overdue",
        figures.breached,
        links.url(kind, **breached),
        gettext("Open refund cases overdue: %(count)s") % {"count": figures.breached},
    )
    by_state = [
        (
            labels[state],
            Figure(
                f"{kind.case_type}:overdue:{state}",
                count,
                links.url(kind, **breached, state__exact=state),
                gettext("Overdue refund cases %(state)s: %(count)s")
                % {"state": labels[state], "count": count},
            ),
        )
        for state, count in figures.breached_by_state.items()
        if count
    ]
    return {"total": total, "by_state": by_state}


OVERDUE = kinds.DashboardPanel(slot=kinds.ATTENTION, template="refunds/dashboard_overdue.html", build=overdue)
