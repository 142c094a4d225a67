"""What the back office tells the world, through the outbox: notices written in the
transaction that caused them and delivered after commit (``outbox``), signed webhooks
(``webhooks``, the Standard Webhooks scheme) and the partners' case events
(``partner_webhooks``); and the customer: what they are told and how (``customers``,
its words from ``texts``, which asks ``message_templates`` for a supervisor's template
first, SMS through ``sms``, reply addresses from ``replies``).

May import: ``casework.core``, ``casework.models``.
"""
