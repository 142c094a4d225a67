"""Signed webhooks: the Standard Webhooks scheme, with the standard library only.

The sender signs ``{webhook-id}.{webhook-timestamp}.{body}`` with HMAC-SHA256 under a
shared secret (``whsec_<base64>``) and sends ``webhook-signature: v1,<base64>``. The
receiver recomputes it and refuses a stale or future timestamp, so a captured request
cannot be replayed later. The header may carry several space-separated signatures, so a
secret can be rotated without a moment when one side refuses the other.

Rows in the outbox name their secret (``Notification.signing_key``, e.g. "payments" or
"partner:acme"), never hold it: :func:`secrets_for` looks it up at send time in a
registry that ``casework.apps`` fills: single secrets from settings, and families of
secrets kept elsewhere (each partner's, current and previous, in the database).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence

from casework.core import keys

SECRET_PREFIX = keys.WEBHOOK_SECRET_PREFIX
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300

_secrets: dict[str, Callable[[], str]] = {}
_families: dict[str, Callable[[str], Sequence[str]]] = {}


class InvalidSignature(Exception):
    """The request is not proven to come from the holder of the secret: refuse it."""


class UnknownSigningKey(LookupError):
    """A notice names a secret nobody registered."""


def new_secret() -> str:
    """A fresh ``whsec_`` secret: 32 random bytes, base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _as_bytes(body: str | bytes) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def sign(secret: str, msg_id: str, timestamp: int, body: str | bytes) -> str:
    """The ``v1,<base64>`` signature of one message, as sent in ``webhook-signature``."""
    signed = f"{msg_id}.{timestamp}.".encode() + _as_bytes(body)
    digest = hmac.new(keys.webhook_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def headers(secret: str | Sequence[str], msg_id: str, body: str | bytes, now: dt.datetime) -> dict[str, str]:
    """The HTTP headers that carry one signed message sent at ``now``.

    Several secrets give several signatures, space-separated: while a secret rotates, a
    receiver holding either the old or the new one verifies the message.
    """
    secrets = [secret] if isinstance(secret, str) else list(secret)
    if not secrets:
        raise ValueError("A webhook is signed with at least one secret")
    timestamp = int(now.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(each, msg_id, timestamp, body) for each in secrets),
        "Content-Type": "application/json",
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: str | bytes,
    *,
    now: dt.datetime,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise :class:`InvalidSignature` unless one ``v1`` signature of the message matches
    ``secret`` and its timestamp is within ``tolerance`` seconds of ``now``."""
    # Header names are case-insensitive on the wire; a plain dict is not.
    received = {name.lower(): value for name, value in headers.items()}
    missing = [
        name for name in ("webhook-id", "webhook-timestamp", "webhook-signature") if not received.get(name)
    ]
    if missing:
        raise InvalidSignature(f"Missing header: {', '.join(missing)}")
    msg_id = received["webhook-id"]
    try:
        timestamp = int(received["webhook-timestamp"])
    except ValueError:
        raise InvalidSignature("The webhook-timestamp header is not a Unix time in seconds") from None
    age_seconds = int(now.timestamp()) - timestamp
    if age_seconds > tolerance:
        raise InvalidSignature(
            f"Timestamp too old: signed {age_seconds} s ago, over the {tolerance} s allowed"
        )
    if -age_seconds > tolerance:
        raise InvalidSignature(
            f"Timestamp too new: signed {-age_seconds} s in the future, over the {tolerance} s allowed"
        )
    expected = sign(secret, msg_id, timestamp, body).encode("ascii")
    offered = [
        candidate.encode("ascii", "replace")
        for candidate in received["webhook-signature"].split()
        if candidate.startswith(f"{SIGNATURE_VERSION},")
    ]
    # Compare with every candidate, in constant time each: the first match is not a timing oracle.
    if not any([hmac.compare_digest(expected, candidate) for candidate in offered]):
        raise InvalidSignature("No matching signature: the body, the id or the secret differ")


def register_secret(name: str, lookup: Callable[[], str]) -> None:
    """Name a secret for notices to sign with. ``lookup`` runs at each send, so the
    secret stays where it is configured and a changed setting is seen at once."""
    _secrets[name] = lookup


def register_secret_family(prefix: str, lookup: Callable[[str], Sequence[str]]) -> None:
    """Name a family of secrets ``<prefix>:<member>`` (e.g. "partner:acme"). ``lookup``
    gets the member at each send and returns the secrets that sign, current first;
    none means the member has no secret (yet, or any more)."""
    _families[prefix] = lookup


def secrets_for(name: str) -> list[str]:
    """Every secret that signs under ``name``: one for a single secret, the current and
    the previous one of a family member whose secret is rotating."""
    if name in _secrets:
        return [secret_for(name)]
    prefix, colon, member = name.partition(":")
    if not colon or prefix not in _families:
        return [secret_for(name)]  # raises, naming what is known
    secrets = [secret for secret in _families[prefix](member) if secret]
    if not secrets:
        raise UnknownSigningKey(f"No webhook secret is configured for {name!r}")
    return secrets


def secret_for(name: str) -> str:
    try:
        lookup = _secrets[name]
    except KeyError:
        known = ", ".join(sorted([*_secrets, *(f"{prefix}:…" for prefix in _families)])) or "none"
        raise UnknownSigningKey(f"No webhook secret is registered as {name!r} (known: {known})") from None
    secret = lookup()
    if not secret:
        raise UnknownSigningKey(f"The webhook secret {name!r} is registered but not configured")
    return secret
