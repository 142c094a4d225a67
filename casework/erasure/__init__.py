"""A customer's request to erase their personal data, handled as a case (``services``: record
it, decide on it with four eyes, execute it through retention's pseudonymisation, tell the
customer, and the clock that executes and warns); its model is ``casework.models.erasure``.

May import: ``casework.core``, ``casework.models``, ``casework.trail``, ``casework.cases``,
``casework.notices``, ``casework.privacy``, ``casework.access``.
"""
