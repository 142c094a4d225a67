"""The floor every other package stands on: why a use case was refused (``errors``), the
rules values obey as model-field validators and field types (``limits`` for free text,
``money``, ``phones``, ``evidence`` for uploaded files), and the keyed chain under every
history row (``chain``).

May import: nothing of casework (Django and libraries only).
"""
