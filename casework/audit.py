"""The transition record: actor, time, from, to, reason; chained by hash per case."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import TransitionRecord

SYSTEM_ACTOR_LABEL = "SLA clock"


def actor_label(actor, system_label: str = SYSTEM_ACTOR_LABEL) -> str:
    if actor is None:
        return system_label
    partner = getattr(actor, "partner", None)
    if partner is not None:
        return f"partner:{partner.code}"
    return actor.get_username()


def _digest(record: TransitionRecord) -> str:
    payload = json.dumps(
        [
            record.previous_hash,
            record.content_type_id,
            record.object_id,
            record.case_reference,
            record.transition,
            record.source_state,
            record.target_state,
            record.actor_id,
            record.actor_label,
            record.reason,
            record.data,
            record.created_at.isoformat(),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record_transition(
    *,
    case: models.Model,
    transition: str,
    source: str,
    target: str,
    actor,
    reason: str = "",
    data: dict | None = None,
    system_label: str = SYSTEM_ACTOR_LABEL,
) -> TransitionRecord:
    """Append one record; call inside the transaction that saves the transition."""
    content_type = ContentType.objects.get_for_model(case)
    previous = (
        TransitionRecord.objects.filter(content_type=content_type, object_id=case.pk)
        .order_by("-created_at", "-id")
        .values_list("record_hash", flat=True)
        .first()
    )
    record = TransitionRecord(
        content_type=content_type,
        object_id=case.pk,
        case_reference=getattr(case, "reference", str(case.pk)),
        transition=transition,
        source_state=source,
        target_state=target,
        actor=actor,
        actor_label=actor_label(actor, system_label),
        reason=reason,
        data=data or {},
        previous_hash=previous or "",
    )
    record.record_hash = _digest(record)
    record.save()
    return record


def broken_links(records: Iterable[TransitionRecord]) -> list[TransitionRecord]:
    """Records of one case, oldest first, whose hash or link does not match."""
    broken = []
    previous = ""
    for record in records:
        if record.previous_hash != previous or record.record_hash != _digest(record):
            broken.append(record)
        previous = record.record_hash
    return broken


def records_for(case: models.Model):
    return (
        TransitionRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(case), object_id=case.pk
        )
        .select_related("actor")
        .order_by("created_at", "id")
    )


TRAIL_COLUMNS = (
    "time",
    "case_type",
    "case_reference",
    "transition",
    "from_state",
    "to_state",
    "actor",
    "reason",
    "data",
    "previous_hash",
    "record_hash",
)


def trail_rows(records: models.QuerySet[TransitionRecord]) -> Iterable[list[str]]:
    """The trail as CSV rows (header first), oldest first.

    Streams in chunks so a year's trail does not sit in memory.
    """
    yield list(TRAIL_COLUMNS)
    records = records.select_related("content_type").order_by("created_at", "id")
    for record in records.iterator(chunk_size=2000):
        yield [
            record.created_at.isoformat(),
            f"{record.content_type.app_label}.{record.content_type.model}",
            record.case_reference,
            record.transition,
            record.source_state,
            record.target_state,
            record.actor_label,
            record.reason,
            json.dumps(record.data, sort_keys=True, ensure_ascii=False) if record.data else "",
            record.previous_hash,
            record.record_hash,
        ]
