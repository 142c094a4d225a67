"""Where a customer's reply finds its case.

Every e-mail to a customer is sent with a reply address that carries a signed token
naming its message (``complaints+r.<id>.<hmac>@wallet.example``), and with a Message-ID of
ours, so a reply is filed on the right case by either: the token in the address it was
sent to, or the ``In-Reply-To`` / ``References`` it quotes. The token is an HMAC under the
deployment's secret key (salted for this use), so a forged or altered address names no
case. It does not expire: a customer may answer a notice weeks later.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "casework.notices.replies"
_TOKEN_PREFIX = "r."
# Lower-case hex, not base64: mail systems may fold the case of an address's local part.
_DIGEST_LENGTH = 20


def _mailbox() -> tuple[str, str]:
    local, _, domain = settings.CUSTOMER_REPLY_ADDRESS.rpartition("@")
    return local, domain


def reply_token(message_id: int) -> str:
    """The signed token that names the outgoing customer message ``message_id``."""
    digest = salted_hmac(_SALT, str(message_id), algorithm="sha256").hexdigest()[:_DIGEST_LENGTH]
    return f"{message_id}.{digest}"


def reply_address(message_id: int) -> str:
    """The Reply-To address of the outgoing customer message ``message_id``."""
    local, domain = _mailbox()
    return f"{local}+{_TOKEN_PREFIX}{reply_token(message_id)}@{domain}"


def message_from_address(address: str) -> int | None:
    """The outgoing message a reply address names, or None if it names none (or is forged)."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    mailbox_local, mailbox_domain = _mailbox()
    base, plus, tag = local.lower().partition("+")
    if not plus or base.lower() != mailbox_local.lower() or domain.lower() != mailbox_domain.lower():
        return None
    if not tag.startswith(_TOKEN_PREFIX):
        return None
    number, _, digest = tag.removeprefix(_TOKEN_PREFIX).partition(".")
    if not number.isdigit() or len(number) > 18:
        return None
    if not constant_time_compare(reply_token(int(number)), f"{number}.{digest.lower()}"):
        return None
    return int(number)


def notice_message_id(idempotency_key: str) -> str:
    """The Message-ID of the e-mail that delivers an outbox notice (its idempotency key)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "backoffice"
    return f"<{idempotency_key}@{domain}>"
