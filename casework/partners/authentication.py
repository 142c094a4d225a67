"""How a partner system proves who it is: ``Authorization: Bearer <API key>``, and, for a
key that asks for it, an HMAC signature of each request.

A signed request carries two more headers:

- ``Signature-Timestamp``: seconds since the epoch when it was signed;
- ``Signature``: ``v1,<base64>``, the HMAC-SHA256 under the key's signing secret of
  ``{METHOD} {path with query}.{Signature-Timestamp}.{body}``: the Standard Webhooks
  construction with the method and path as the message id, so the same code signs both.

A timestamp more than five minutes off is refused, and each signature is accepted once:
its id is remembered in the shared cache (Redis in production, so every web process sees
it) for as long as its timestamp would be accepted, and a second use is a 401
``signature_replayed``. So a captured request cannot be replayed, neither later nor at
once; the body, the method and the path are all covered.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from casework.notices import webhooks
from casework.partners.credentials import authenticate_key

SIGNATURE_HEADER = "Signature"
TIMESTAMP_HEADER = "Signature-Timestamp"
REPLAYED_CODE = "signature_replayed"
# Web servers' clocks differ a little: a used signature is remembered this much longer
# than its timestamp is accepted by the clock that checked it.
REPLAY_MARGIN_SECONDS = 60


def signature_id(api_key_pk: int, signature: str) -> str:
    """The cache key that remembers one signature of one key: the signature the back office
    computed (not the header as sent, which may carry extra candidates), hashed short."""
    digest = hashlib.sha256(f"{api_key_pk}:{signature}".encode("ascii")).hexdigest()
    return f"api-signature:{digest}"


def first_use(signature_key: str, *, timeout: int) -> bool:
    """True the first time a signature is seen within ``timeout`` seconds, False after:
    ``cache.add`` is one atomic SET NX with expiry on Redis, so of two simultaneous uses
    exactly one is the first."""
    return cache.add(signature_key, 1, timeout)


def signed_message_id(method: str, full_path: str) -> str:
    return f"{method.upper()} {full_path}"


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    """``request.user`` is the partner's API user, ``request.auth`` the key it used."""

    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as: Authorization: Bearer <API key>.")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The API key is not valid.") from None
        api_key = authenticate_key(key)
        if api_key is None:
            # One answer for unknown, wrong, revoked and expired keys: no oracle for guessers.
            raise exceptions.AuthenticationFailed("The API key is not valid, or was revoked or expired.")
        if not api_key.partner.user.is_active:
            raise exceptions.AuthenticationFailed("This partner's API user is disabled.")
        # A suspended partner (is_active off) is known but refused: 403 from IsPartner.
        if api_key.signing_secret:
            self._check_signature(request, api_key)
        return api_key.partner.user, api_key

    @staticmethod
    def _check_signature(request: Request, api_key) -> None:
        secret = api_key.signing_secret
        meta = request._request.META
        signature = meta.get("HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"), "")
        timestamp = meta.get("HTTP_" + TIMESTAMP_HEADER.upper().replace("-", "_"), "")
        if not signature or not timestamp:
            raise exceptions.AuthenticationFailed(
                f"This key signs its requests: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}."
            )
        django_request = request._request
        message_id = signed_message_id(django_request.method, django_request.get_full_path())
        now = timezone.now()
        try:
            webhooks.verify(
                secret,
                {"webhook-id": message_id, "webhook-timestamp": timestamp, "webhook-signature": signature},
                django_request.body,
                now=now,
            )
        except webhooks.InvalidSignature as exc:
            raise exceptions.AuthenticationFailed(f"The request signature does not verify: {exc}.") from None
        signed_at = int(timestamp)  # verify() parsed it
        expected = webhooks.sign(secret, message_id, signed_at, django_request.body)
        accepted_for = signed_at + webhooks.DEFAULT_TOLERANCE_SECONDS - int(now.timestamp())
        if not first_use(signature_id(api_key.pk, expected), timeout=accepted_for + REPLAY_MARGIN_SECONDS):
            raise exceptions.AuthenticationFailed(
                "This signed request was already received: each signature is accepted once. "
                f"Sign every request afresh, a retry too (a new {TIMESTAMP_HEADER}).",
                code=REPLAYED_CODE,
            )

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = PartnerKeyAuthentication
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "bo_<prefix>_<secret>",
            "description": "A partner API key, issued in the back office's admin and shown once. "
            "Keys carry scopes (which case types, read or write); a key issued for signed requests "
            f"also needs `{TIMESTAMP_HEADER}` and `{SIGNATURE_HEADER}` on every request.",
        }
