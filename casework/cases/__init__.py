"""What every case type shares in its life: opening a case (``opening``: reference, clock,
first record), running a guarded transition or step (``transitions``), readable references
(``references``), the desks (``teams``), the sweep of due clocks each case type registers
with (``sweep``), and a case's story as an auditor reads it (``timeline``).

May import: ``casework.core``, ``casework.access``, ``casework.models``, ``casework.trail``,
``casework.privacy``, ``casework.sla``, ``casework.notices``.
"""
