"""The complaints mailbox read over IMAP (``settings.CUSTOMER_MAIL_IMAP_URL``, e.g.
``imaps://user:password@imap.example.com:993/INBOX``; off when unset): each unseen
message is filed (``mail.file_customer_email``, its own transaction, committed) and only
then marked seen. A crash between the two leaves it unseen, and the next fetch finds it
filed already by its Message-ID: nothing is filed twice, nothing is lost. A message that
fails to file stays unseen and is tried again at the next fetch, the others filed (a
database connection lost on the way is dropped, and the next message opens a new one).
Each failed try is kept on the message itself, as an IMAP keyword: after
``settings.CUSTOMER_MAIL_QUARANTINE_AFTER`` of them it is moved to the ``Quarantine``
folder (made if missing), logged once as an error, for someone to look at; it is no
longer tried every minute.

``imaps://`` is TLS from the start (port 993 by default); ``imap+starttls://`` upgrades a
plain connection (143); ``imap://`` stays plain, for a server on the same host only.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from anymail.inbound import AnymailInboundMessage
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from casework.intake.mail import file_customer_email

logger = logging.getLogger(__name__)

SCHEMES = {"imaps": 993, "imap+starttls": 143, "imap": 143}
QUARANTINE = "Quarantine"
# The keyword a failed try leaves on a message: casework-failed-1, -2, ...
FAILED_TRY = "casework-failed-"


@dataclass(frozen=True)
class Mailbox:
    scheme: str
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname or not parts.username:
            raise ImproperlyConfigured(
                "CUSTOMER_MAIL_IMAP_URL must read imaps://user:password@host[:port][/folder] "
                "(or imap+starttls://, or imap:// on the same host)"
            )
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or SCHEMES[parts.scheme],
            user=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )

    def connect(self) -> imaplib.IMAP4:
        timeout = settings.CUSTOMER_MAIL_IMAP_TIMEOUT
        if self.scheme == "imaps":
            imap = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=ssl.create_default_context(), timeout=timeout
            )
        else:
            imap = imaplib.IMAP4(self.host, self.port, timeout=timeout)
            if self.scheme == "imap+starttls":
                imap.starttls(ssl.create_default_context())
        imap.login(self.user, self.password)
        return imap


def configured() -> Mailbox | None:
    url = settings.CUSTOMER_MAIL_IMAP_URL
    return Mailbox.from_url(url) if url else None


@dataclass
class Fetched:
    filed: int = 0
    failed: int = 0
    quarantined: int = 0


def fetch(mailbox: Mailbox | None = None, *, limit: int | None = None) -> Fetched:
    """File the mailbox's unseen messages, up to ``limit`` (the setting's by default)."""
    mailbox = mailbox or configured()
    fetched = Fetched()
    if mailbox is None:
        return fetched
    limit = limit or settings.CUSTOMER_MAIL_FETCH_LIMIT
    imap = mailbox.connect()
    try:
        status, _ = imap.select(_quoted(mailbox.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"No folder {mailbox.folder!r} in the mailbox")
        _, found = imap.uid("SEARCH", None, "UNSEEN")
        for uid in found[0].split()[:limit]:
            # PEEK: reading does not mark it seen; only a filed message is.
            status, data = imap.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
            part = next((part for part in data if isinstance(part, tuple)), None)
            if status != "OK" or part is None:
                fetched.failed += 1
                continue
            try:
                file_customer_email(AnymailInboundMessage.parse_raw_mime_bytes(part[1]))
            except Exception:
                fetched.failed += 1
                _drop_broken_connection()
                # Its flags, wherever the server put them in the answer.
                envelope = b" ".join([part[0], *(item for item in data if isinstance(item, bytes))])
                if _failed_try(imap, uid, envelope, mailbox.folder):
                    fetched.quarantined += 1
                continue
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            fetched.filed += 1
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()
    return fetched


def _drop_broken_connection() -> None:
    """A connection the failure broke (the server went away) is closed, so the next message
    opens a new one; inside a transaction of the caller's (a test's) nothing is touched."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _failed_try(imap: imaplib.IMAP4, uid: bytes, envelope: bytes, folder: str) -> bool:
    """Count this try on the message; past the limit, move it to the quarantine. True if moved."""
    tries = 1 + sum(
        1 for flag in imaplib.ParseFlags(envelope) if flag.decode().lower().startswith(FAILED_TRY)
    )
    limit = settings.CUSTOMER_MAIL_QUARANTINE_AFTER
    if tries < limit:
        logger.warning(
            "Mail %s of %s could not be filed (try %s of %s); it stays unseen",
            uid.decode(), folder, tries, limit, exc_info=True,
        )  # fmt: skip
        imap.uid("STORE", uid, "+FLAGS", f"({FAILED_TRY}{tries})")
        return False
    imap.create(_quoted(QUARANTINE))  # NO if it exists: the move says whether it is there
    status, detail = imap.uid("COPY", uid, _quoted(QUARANTINE))
    if status != "OK":
        logger.error("Mail %s of %s failed %s times and could not be quarantined: %s",
                     uid.decode(), folder, tries, detail, exc_info=True)  # fmt: skip
        return False
    imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    if "UIDPLUS" in imap.capabilities:
        imap.uid("EXPUNGE", uid)
    else:
        imap.expunge()
    logger.error(
        "Mail %s of %s failed to file %s times: moved to the %s folder, no longer tried",
        uid.decode(), folder, tries, QUARANTINE, exc_info=True,
    )  # fmt: skip
    return True


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
