"""The transition record as evidence: writing and sealing each record in its case's chain
(``audit``), and anchoring the trail's state outside the database (``anchors``).

May import: ``casework.core``, ``casework.models``.
"""
