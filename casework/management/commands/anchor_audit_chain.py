"""Write an anchor of the trail now (what the beat task does every AUDIT_ANCHOR_MINUTES)
and print its digest, or with --list print every anchor's time and digest, for an
operator to publish where the database's users cannot change it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from casework.trail.anchors import published_digests, write_anchor


class Command(BaseCommand):
    help = (
        "Append an anchor of the audit trail to AUDIT_ANCHOR_FILE and print its digest "
        "(--list: print every anchor's time and digest)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", action="store_true", help="Print every anchor's time and digest.")

    def handle(self, *args, list: bool, **options) -> None:
        if list:
            for at, digest in published_digests():
                self.stdout.write(f"{at} {digest}")
            return
        line, digest = write_anchor()
        self.stdout.write(
            f"{line['at']} {digest} ({sum(line['totals'].values())} rows up to {line['until']})"
        )
