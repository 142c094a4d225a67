"""File the complaints mailbox's unseen messages now (what beat does every minute when
CUSTOMER_MAIL_IMAP_URL is set), or those of the mailbox --url names."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from casework.intake import mailbox


class Command(BaseCommand):
    help = "File the complaints mailbox's unseen messages (CUSTOMER_MAIL_IMAP_URL, or --url) on their cases."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", help="imaps://user:password@host:993/INBOX instead of the setting.")
        parser.add_argument("--limit", type=int, help="File at most this many (CUSTOMER_MAIL_FETCH_LIMIT).")

    def handle(self, *args, url: str | None, limit: int | None, **options) -> None:
        box = mailbox.Mailbox.from_url(url) if url else mailbox.configured()
        if box is None:
            raise CommandError("No mailbox: set CUSTOMER_MAIL_IMAP_URL or pass --url.")
        fetched = mailbox.fetch(box, limit=limit)
        quarantined = (
            f", {fetched.quarantined} of them moved to {mailbox.QUARANTINE}" if fetched.quarantined else ""
        )
        self.stdout.write(
            f"{fetched.filed} filed, {fetched.failed} not filed{quarantined} from {box.host}/{box.folder}"
        )
        if fetched.failed:
            raise CommandError(f"{fetched.failed} messages could not be filed: see the log.")
