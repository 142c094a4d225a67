"""What the back office tells the world, through the outbox: notices written in the
transaction that caused them and delivered after commit (``outbox``), signed webhooks
(``webhooks``, the Standard Webhooks scheme) and the partners' case events
(``partner_webhooks``).

May import: ``casework.core``, ``casework.models``.
"""
