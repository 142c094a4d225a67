"""Check the tamper-evident trail: every case's transition records, oldest first, must
chain by their keyed hash, and the last one must end in the state the case is in; every
field-history row and reveal-log row must hold its seal and its place in its object's
chain; and the database must still hold what each anchor in AUDIT_ANCHOR_FILE counted.
Prints each row that does not match (and each case whose trail stops short, and each
anchor window that differs), names the first in its error, and exits non-zero, so a
scheduled job or an auditor's script notices."""

from __future__ import annotations

from itertools import groupby

from django.core.management.base import BaseCommand, CommandError

from casework.core import chain as keyed_chain
from casework.models import TransitionRecord
from casework.trail.anchors import anchor_faults
from casework.trail.audit import chain_faults, trail_ends_elsewhere, trailed_models


class Command(BaseCommand):
    help = (
        "Verify the keyed chain of every case's transition records (and that each trail ends in "
        "its case's state), of the field history and of the reveal log, against the anchors; "
        "exit non-zero, naming the first row that does not match."
    )

    def handle(self, *args, **options) -> None:
        # One pass in chain order: per case, oldest first, as record_transition links them.
        records = (
            TransitionRecord.objects.order_by("content_type_id", "object_id", "created_at", "id")
            .select_related("content_type")
            .iterator(chunk_size=2000)
        )
        cases = checked = 0
        broken: list[tuple[str, str]] = []  # (which record, what is wrong)
        for _case, case_records in groupby(records, key=lambda r: (r.content_type_id, r.object_id)):
            chain = list(case_records)
            cases += 1
            checked += len(chain)
            for record, why in chain_faults(chain):
                broken.append(
                    (
                        f"{record.content_type.model} {record.case_reference} record #{record.pk}",
                        f"({record.created_at:%Y-%m-%d %H:%M:%S%z}) {record.transition} "
                        f"{record.source_state or '-'} -> {record.target_state} by {record.actor_label}: "
                        f"{why}",
                    )
                )
        # A chain cannot show its own last records removed: the case's state can.
        short: list[tuple[str, str]] = []
        for model in trailed_models():
            for case in trail_ends_elsewhere(model).only("pk", "state", *self._reference(model)):
                ends = f"ends in {case.trail_ends_at}" if case.trail_ends_at else "is empty"
                short.append(
                    (
                        f"{model._meta.model_name} {getattr(case, 'reference', case.pk)}",
                        f"the case is {case.state} but its trail {ends}: its last records were removed",
                    )
                )

        # The field history and the reveal log: each row's seal and its place in its chain.
        rows = 0
        unsealed: list[tuple[str, str]] = []
        for model in keyed_chain.chained_models():
            rows += model._base_manager.count()
            for row, why in keyed_chain.chain_faults(model):
                unsealed.append((row.chain_label(), why))
        anchors, unanchored = anchor_faults()

        for which, what in broken:
            self.stdout.write(self.style.ERROR(f"BROKEN {which} {what}"))
        for which, what in short:
            self.stdout.write(self.style.ERROR(f"SHORT {which}: {what}"))
        for which, what in unsealed:
            self.stdout.write(self.style.ERROR(f"BROKEN {which}: {what}"))
        for which, what in unanchored:
            self.stdout.write(self.style.ERROR(f"ANCHOR {which}: {what}"))
        if broken or short or unsealed or unanchored:
            found = []
            if broken:
                found.append(
                    f"{len(broken)} of {checked} transition records in {cases} cases do not match the chain"
                )
            if short:
                found.append(f"{len(short)} case(s) have a trail that stops short of their state")
            if unsealed:
                found.append(
                    f"{len(unsealed)} of {rows} field-history and reveal-log rows do not match their chain"
                )
            if unanchored:
                found.append(f"{len(unanchored)} difference(s) from the {anchors} anchor(s)")
            first = (broken or short or unsealed or unanchored)[0][0]
            raise CommandError(
                f"{'; '.join(found)}. The first: {first}. They were changed or removed behind the "
                "application's back."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Checked {checked} transition records in {cases} cases: every link holds, "
                f"and every trail ends where its case is; {rows} field-history and reveal-log rows "
                f"hold their seals and chains; the database matches {anchors} anchor(s)."
            )
        )

    @staticmethod
    def _reference(model) -> tuple[str, ...]:
        return ("reference",) if any(field.name == "reference" for field in model._meta.fields) else ()
