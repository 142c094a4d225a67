"""Running the service: ``/healthz/`` and the 503 when the database is gone (``health``),
JSON logs (``logs``), and the demo's stand-in payments receiver (``demo_payments``).

May import: ``casework.core``, ``casework.notices``.
"""
