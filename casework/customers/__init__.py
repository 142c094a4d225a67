"""The customer over time: who a case's customer is (``identity``), and what the back office
holds and knows about them across every case type.

May import: ``casework.core``, ``casework.models``.
"""
