"""My work: the clerk's own open cases, the team's unassigned queue, the cases escalated to
the clerk's team and those awaiting the clerk's decision, across every case kind, due
first, with their counts, and *Take next* (``queues``); the supervisors' team view: who
holds what, who is overloaded, each team's queue (``teams``).

It learns the kinds from ``casework.models.kinds``: each kind says its holder field, its
team field and the permission to take a case, and where its cases wait on a team or on
a decision.

May import: ``casework.core``, ``casework.access``, ``casework.models``, ``casework.trail``,
``casework.privacy``, ``casework.sla``, ``casework.notices``, ``casework.cases``,
``casework.routing``.
"""
