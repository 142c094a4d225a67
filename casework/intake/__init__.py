"""What customers send back, filed on their cases: e-mail replies and new complaints from
the complaints mailbox (``mail``: read over IMAP by ``mailbox``, or posted by an e-mail
provider through django-anymail's inbound webhooks, ``webhooks``), and SMS replies from
the gateway's signed webhook (``texts``). ``filing`` is what both share: the incoming
message on its case, the case's own reply transition when it waits on the customer, the
holder told.

It learns what a case kind does with a reply from ``casework.models.kinds``
(``CaseKind.replies``): its reply transition, its attachments, its notes, and which kind
opens a case from an e-mail that answers none.

May import: ``casework.core``, ``casework.models``, ``casework.notices``, ``casework.cases``,
``casework.workspace``.
"""
