"""Reading the environment: each reader takes a variable's name and its default, and
refuses (ImproperlyConfigured, naming the variable) a value that does not read as what it
names. The settings module reads every value through these; nothing here needs Django's apps.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from casework.core import keys


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off", ""}:  # empty is off, as it always was
        return False
    # A typo must not turn a safeguard off (SECURE_SSL_REDIRECT=ture).
    raise ImproperlyConfigured(f"{name} is true or false (1/0, yes/no, on/off), not {value!r}.")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} is a whole number, not {value!r}.") from None
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise ImproperlyConfigured(f"{name} is {bounds}, not {number}.")
    return number


def env_seconds(name: str, default: float) -> float:
    """A timeout: more than zero (a zero socket timeout never waits at all)."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ImproperlyConfigured(f"{name} is a number of seconds above 0, not {value!r}.")
    return seconds


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_url(name: str, value: str) -> str:
    try:
        parts = urlsplit(value)
        readable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        readable = False
    if not readable:
        raise ImproperlyConfigured(f"{name} is an http:// or https:// address, not {value!r}.")
    return value


def env_key(name: str, value: str) -> str:
    """A key of the audit chain, in the form casework.core.chain reads (casework.core.keys)."""
    keys.chain_key(value, name)
    return value


def env_webhook_secret(name: str, value: str) -> str:
    """A signing secret in the form casework.notices.webhooks signs with: whsec_ and base64."""
    try:
        keys.webhook_key(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} has the form whsec_<base64>, as the payments system gives it."
        ) from None
    return value


def env_code(name: str, default: str = "") -> str:
    """A code such as a regime's (``cn-pboc``): lower-case letters, digits and dashes; blank
    for none. Whether a row has it is asked when it is used, never at start."""
    value = os.environ.get(name, default).strip()
    if value and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
        raise ImproperlyConfigured(
            f"{name} is a code of lower-case letters, digits and dashes (e.g. cn-pboc), not {value!r}."
        )
    return value


def env_amount(name: str, value: str, *, zero: bool = False) -> str:
    """A decimal amount above 0 (or 0 too), kept as the text it was given: read with
    Decimal where it is used."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or (amount == 0 and not zero):
        least = "0 or more" if zero else "above 0"
        raise ImproperlyConfigured(f"{name} is an amount {least}, such as 5000 or 700.50, not {value!r}.")
    return value


# Fail safe: a start that sets nothing is production (DEBUG off, the demo's published
# secrets, logins and API keys refused). `make run` turns the demo on with DEMO=true and
# DEBUG=true; the test suite runs as the demo does (casework/tests/environment.py), DEBUG off.


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``, as written (surrounding spaces dropped); anything else refused."""
    value = os.environ.get(name, default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} is one of {', '.join(choices)}, not {value!r}.")
    return value
