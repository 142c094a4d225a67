"""The demo's routing, seeded after its stories are told (so they stay as they are told):
the frontline routes complaints and the refunds desk refund cases, the supervisors take
what nobody took in time, and the demo's agent and refunds-desk logins take cases with a
capacity of 15 each. A partner's complaint filed on the API after ``make run`` goes to the
agent; one filed when the agent holds 15 waits in the frontline's queue, and after
``ROUTING_OFFER_AFTER_MINUTES`` is offered to the supervisors.

Looked up before it is made: ``load_demo`` runs it again over itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model

from casework.models import CaseType, MemberCapacity, Team, TeamRouting

DEMO_CAPACITY = 15
ROUTES = (("frontline", CaseType.COMPLAINT), ("refunds", CaseType.REFUND))
MEMBERS = ("agent", "refunds")


def seed(write: Callable[[str], None]) -> None:
    for code, case_type in ROUTES:
        team = Team.objects.filter(code=code).first()
        if team is not None:
            TeamRouting.objects.get_or_create(team=team, defaults={"case_types": [case_type]})
    for username in MEMBERS:
        user = get_user_model().objects.filter(username=username).first()
        if user is not None:
            MemberCapacity.objects.get_or_create(user=user, defaults={"max_open_cases": DEMO_CAPACITY})
    write(
        f"  Routing: new partner complaints go to 'agent', new refund cases to 'refunds' "
        f"(capacity {DEMO_CAPACITY} each); not taken in time, to the supervisors"
    )
