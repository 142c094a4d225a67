"""The partner door's conventions, shared by every case type's API: credentials and how a
request proves who sent it (``credentials``, ``authentication``), scopes and throttles
(``permissions``, ``throttling``), idempotent creates (``idempotency``), the one error
shape, body limits and English answers (``errors``, ``middleware``, ``parsers``,
``language``), cursors, versions, the partner's timeline, and the shared serializers and
viewset (``pagination``, ``versions``, ``timeline``, ``serializers``, ``views``).

May import: ``casework.core``, ``casework.access``, ``casework.models``, ``casework.trail``,
``casework.privacy``, ``casework.sla``, ``casework.notices``, ``casework.cases``.
"""
