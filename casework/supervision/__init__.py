"""Reading the whole: the supervisors' dashboard and the list filters its figures link to
(``dashboard``, ``filters``), and the audit trail of a period as CSV (``exports``).

May import: ``casework.core``, ``casework.models``, ``casework.trail``, ``casework.privacy``,
``casework.sla``, ``casework.cases``.
"""
