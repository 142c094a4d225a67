"""Check the tamper-evident trail: every case's transition records, oldest first, must
chain by hash. Prints each record whose hash or link does not match and exits non-zero,
so a scheduled job or an auditor's script notices."""

from __future__ import annotations

from itertools import groupby

from django.core.management.base import BaseCommand, CommandError

from casework.audit import broken_links
from casework.models import TransitionRecord


class Command(BaseCommand):
    help = "Verify the hash chain of every case's transition records; exit non-zero if one is broken."

    def handle(self, *args, **options) -> None:
        # One pass in chain order: per case, oldest first, as record_transition links them.
        records = (
            TransitionRecord.objects.order_by("content_type_id", "object_id", "created_at", "id")
            .select_related("content_type")
            .iterator(chunk_size=2000)
        )
        cases = checked = 0
        broken: list[TransitionRecord] = []
        for _case, case_records in groupby(records, key=lambda r: (r.content_type_id, r.object_id)):
            chain = list(case_records)
            cases += 1
            checked += len(chain)
            broken.extend(broken_links(chain))

        for record in broken:
            self.stdout.write(
                self.style.ERROR(
                    f"BROKEN {record.content_type.model} {record.case_reference} record #{record.pk} "
                    f"({record.created_at:%Y-%m-%d %H:%M:%S%z}): {record.transition} "
                    f"{record.source_state or '-'} -> {record.target_state} by {record.actor_label}"
                )
            )
        if broken:
            raise CommandError(
                f"{len(broken)} of {checked} transition records in {cases} cases do not match their "
                "hash chain: they were changed, or a record before them was removed."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Checked {checked} transition records in {cases} cases: every link holds.")
        )
