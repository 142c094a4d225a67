"""Personal data shown masked, and what may be revealed to whom (``masking``); the reveal
itself and its log are the admin's (``casework.admin.reveals``). How long personal data is
kept and its pseudonymisation once the period ends (``retention``); everything held on one
customer, for their subject-access request (``access``). The erasure request, which
executes through retention, is ``casework.erasure``.

May import: ``casework.core``, ``casework.models``, ``casework.trail``.
"""
