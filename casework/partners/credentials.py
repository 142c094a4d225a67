"""Partner API keys: issued once, kept hashed, found by prefix, checked in constant time.

A key reads ``bo_<prefix>_<secret>``. The prefix (8 characters) is stored as it is so the
row can be found and named in lists and logs; the whole key is stored only as its
SHA-256, which is enough for a random 256-bit secret (no slow hash is needed when nothing
guessable is hashed). Whoever issues a key gets it back once and must hand it on: nobody
can read it again, only revoke it and issue another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from casework.access.backends import remember_permissions, with_permissions
from casework.access.demo_credentials import is_refused_demo_key
from casework.models import ApiScope, Partner, PartnerApiKey
from casework.notices import webhooks

KEY_PREFIX = "bo"
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
PREFIX_LENGTH = 8
# A key's last use is written at most this often: a busy partner does not write a row per call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
SETTLEMENT_PERMISSION = "refunds.report_settlement"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key, else None."""
    head, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if head != KEY_PREFIX or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix, secret


def check_scopes(partner: Partner, scopes: Iterable[str]) -> list[str]:
    """The scopes as stored (known ones, no repeats, in a fixed order); refuses unknown
    scopes and settlement reports on any partner but the payments system."""
    wanted = set(scopes)
    unknown = sorted(wanted - set(ApiScope.values))
    if unknown:
        raise ValidationError(
            {"scopes": gettext("Unknown scope(s): %(scopes)s.") % {"scopes": ", ".join(unknown)}}
        )
    if not wanted:
        raise ValidationError({"scopes": gettext("A key needs at least one scope.")})
    if ApiScope.SETTLEMENTS_REPORT in wanted and not partner.user.has_perm(SETTLEMENT_PERMISSION):
        raise ValidationError(
            {
                "scopes": gettext(
                    "Only the payments system's keys may report settlements: this partner's API "
                    "user lacks the permission to report settlements."
                )
            }
        )
    return [scope for scope in ApiScope.values if scope in wanted]


def _new_prefix() -> str:
    while True:
        prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if not PartnerApiKey.objects.filter(prefix=prefix).exists():
            return prefix


def issue_key(
    partner: Partner,
    *,
    name: str,
    scopes: Iterable[str],
    actor: AbstractBaseUser | None,
    expires_at: dt.datetime | None = None,
    signed_requests: bool = False,
    key: str | None = None,
) -> tuple[PartnerApiKey, str]:
    """A new key for the partner and the key itself, which is never shown again.

    ``key`` lets the demo give its partners a key it can print on every run; anything else
    leaves it to chance.
    """
    stored_scopes = check_scopes(partner, scopes)
    if key is None:
        key = f"{KEY_PREFIX}_{_new_prefix()}_{secrets.token_urlsafe(32)}"
    parts = split_key(key)
    if parts is None:
        raise ValueError(f"An API key reads {KEY_PREFIX}_<8 characters>_<secret>")
    api_key = PartnerApiKey(
        partner=partner,
        name=name,
        prefix=parts[0],
        key_hash=key_hash(key),
        scopes=stored_scopes,
        signing_secret=webhooks.new_secret() if signed_requests else "",
        created_by=actor,
        expires_at=expires_at,
    )
    if actor is not None:
        api_key._history_user = actor
    api_key.save()
    return api_key, key


def revoke_key(api_key: PartnerApiKey, *, actor: AbstractBaseUser | None) -> bool:
    """Revoke the key at once; False if it already was."""
    with transaction.atomic():
        locked = PartnerApiKey.objects.select_for_update().get(pk=api_key.pk)
        if locked.revoked_at is not None:
            return False
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        if actor is not None:
            locked._history_user = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
    api_key.refresh_from_db()
    return True


def rotate_key(
    api_key: PartnerApiKey, *, actor: AbstractBaseUser | None, overlap: dt.timedelta = dt.timedelta(0)
) -> tuple[PartnerApiKey, str]:
    """A new key with the same name, scopes and signing choice; the old one stops working
    after ``overlap`` (at once by default), so a partner can switch without an outage."""
    with transaction.atomic():
        old = PartnerApiKey.objects.select_for_update().select_related("partner__user").get(pk=api_key.pk)
        if not old.is_usable():
            raise ValidationError(gettext("A revoked or expired key cannot be rotated: issue a new one."))
        new, key = issue_key(
            old.partner,
            name=old.name,
            scopes=old.scopes,
            actor=actor,
            expires_at=old.expires_at,
            signed_requests=bool(old.signing_secret),
        )
        if overlap:
            old.expires_at = timezone.now() + overlap
            if actor is not None:
                old._history_user = actor
            old.save(update_fields=["expires_at"])
        else:
            old.revoked_at = timezone.now()
            old.revoked_by = actor
            if actor is not None:
                old._history_user = actor
            old.save(update_fields=["revoked_at", "revoked_by"])
    return new, key


def authenticate_key(key: str) -> PartnerApiKey | None:
    """The usable key this is, with its partner and API user loaded; None for anything else
    (a published demo key outside the demo too)."""
    parts = split_key(key)
    if parts is None or is_refused_demo_key(key):
        return None
    # The API user's permissions in the same read: every call asks has_perm at least once.
    keys = with_permissions(PartnerApiKey.objects.select_related("partner__user"), "partner__user")
    api_key = keys.filter(prefix=parts[0]).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, key_hash(key)):
        return None
    remember_permissions(api_key.partner.user, api_key)
    now = timezone.now()
    if not api_key.is_usable(now):
        return None
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        # An UPDATE, not save(): no history row, no race with an admin editing the key.
        PartnerApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
