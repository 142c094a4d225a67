"""The forms keys and secrets are given in, read in one place: by the settings as the
process starts (a malformed one refuses to start, naming its variable) and by the code
that signs with them (``casework.core.chain``, ``casework.notices.webhooks``). Nothing
here needs Django's apps, so the settings module may import it."""

from __future__ import annotations

import base64
import binascii
import re

from django.core.exceptions import ImproperlyConfigured

WEBHOOK_SECRET_PREFIX = "whsec_"
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


def chain_key(text: str, name: str) -> bytes:
    """A key of the audit chain: hex, else base64 (URL-safe too, padding optional), of 16
    bytes or more. ``name`` is what the refusal calls it (a setting, a file)."""
    text = text.strip()
    try:
        if _HEX.fullmatch(text):
            key = bytes.fromhex(text)
        else:
            key = base64.b64decode(
                text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True
            )
    except (ValueError, binascii.Error):
        raise ImproperlyConfigured(f"{name} must be hex or base64.") from None
    if len(key) < 16:
        raise ImproperlyConfigured(f"{name} must be at least 16 bytes (32 recommended), not {len(key)}.")
    return key


def webhook_key(secret: str) -> bytes:
    """The key of a Standard Webhooks secret, ``whsec_<base64>`` (padding optional)."""
    if not isinstance(secret, str) or not secret.startswith(WEBHOOK_SECRET_PREFIX):
        raise ValueError(f"A webhook secret has the form {WEBHOOK_SECRET_PREFIX}<base64>")
    encoded = secret.removeprefix(WEBHOOK_SECRET_PREFIX).rstrip("=")
    try:
        # Padding is optional in the wild: put back what the decoder needs.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(
            f"A webhook secret has the form {WEBHOOK_SECRET_PREFIX}<base64>: not base64"
        ) from None
    if not key:
        raise ValueError("A webhook secret may not be empty")
    return key
