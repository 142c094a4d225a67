"""Time: working days on a business calendar (``calendars``), the SLA clock of each case
(``clocks``: start, first response, pause, resume, extend, stop), and the queries of SLA
status (``selectors``). The sweep that acts on due clocks is the cases' (``casework.cases.sweep``).

May import: ``casework.core``, ``casework.models``.
"""
