"""Personal data shown masked, and what may be revealed to whom (``masking``); the reveal
itself and its log are the admin's (``casework.admin.reveals``).

May import: ``casework.core``, ``casework.models``.
"""
