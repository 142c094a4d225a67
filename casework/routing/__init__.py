"""Routing: a new case nobody holds goes to the team whose skills match it (case type,
complaint category, customer language), and round-robin to the next of its members who
take cases now and hold fewer open cases than their capacity (``assignment``); with none,
it waits in the team's queue, and the minute sweep offers it once to the team's overflow
team (or the supervisors) when it waited ``ROUTING_OFFER_AFTER_MINUTES`` (``offers``).
What a member holds and may still take is counted in ``capacity``, for *Take next* too.

The case apps call :func:`casework.routing.assignment.route` where they open a case
without a holder; casework calls nothing of theirs, it reads the kinds' registry.

May import: ``casework.core``, ``casework.access``, ``casework.models``, ``casework.trail``,
``casework.notices``, ``casework.cases``.
"""
