"""The transition record: actor, time, from, to, reason; chained per case by an HMAC under
the audit chain's key (``casework.core.chain``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from itertools import groupby

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from casework.core.chain import holds, mac
from casework.models import Partner, TransitionRecord, kinds
from casework.trail import reasons
from casework.trail.reasons import SystemReason

SYSTEM_ACTOR_LABEL = "SLA clock"


def actor_label(actor, system_label: str = SYSTEM_ACTOR_LABEL) -> str:
    if actor is None:
        return system_label
    partner = getattr(actor, "partner", None)
    if partner is not None:
        return f"partner:{partner.code}"
    return actor.get_username()


def _payload(record: TransitionRecord) -> bytes:
    """What a record's hash covers. A system reason's code and parameters (added after the
    first records were sealed) join as a last element only when there is a code, so a record
    without one, old or new, is hashed exactly as before and old seals still hold."""
    content = [
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
    ]
    if record.reason_code:
        content.append({"reason_code": record.reason_code, "reason_params": record.reason_params})
    return json.dumps(content, sort_keys=True, default=str).encode()


def seal(record: TransitionRecord) -> str:
    """The record's hash: HMAC-SHA256 of its content and its predecessor's hash."""
    return mac(_payload(record))


def redaction_seal(record: TransitionRecord) -> str:
    """A pseudonymised record's second seal: its content now and the hash it was written with."""
    return mac(redaction_payload(record))


def redaction_payload(record: TransitionRecord) -> bytes:
    return _payload(record) + b"\n" + record.record_hash.encode()


def record_holds(record: TransitionRecord) -> bool:
    """Does the record hold its hash, or (pseudonymised) its redaction hash?"""
    if holds(_payload(record), record.record_hash):
        return True
    return bool(record.redaction_hash) and holds(redaction_payload(record), record.redaction_hash)


def unkeyed_digest(record: TransitionRecord) -> str:
    """How records were hashed before the chain was keyed: anyone could recompute it."""
    return hashlib.sha256(_payload(record)).hexdigest()


def record_transition(
    *,
    case: models.Model,
    transition: str,
    source: str,
    target: str,
    actor,
    reason: str | SystemReason = "",
    data: dict | None = None,
    system_label: str = SYSTEM_ACTOR_LABEL,
    first: bool = False,
) -> TransitionRecord:
    """Append one record; call inside the transaction that saves the transition.

    A :class:`~casework.trail.reasons.SystemReason` is kept as its code and parameters,
    with its English words in ``reason``; a person's reason as typed.

    ``first`` says the case was just inserted in this transaction, so its trail is empty
    and there is no previous record to link to (and none to look up).
    """
    content_type = ContentType.objects.get_for_model(case)
    text, code, params = reasons.split(reason)
    previous = (
        None
        if first
        else TransitionRecord.objects.filter(content_type=content_type, object_id=case.pk)
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
        reason=text,
        reason_code=code,
        reason_params=params,
        data=data or {},
        previous_hash=previous or "",
    )
    record.record_hash = seal(record)
    record.save()
    return record


CHANGED = "its content no longer matches its hash: it was changed"
UNKEYED = (
    "its hash is the old unkeyed one, which anyone can recompute: it was rewritten (or its "
    "chain was already broken when the chain was keyed)"
)
UNLINKED = "it does not link to the record before it: a record before it was removed or rewritten"


def chain_faults(records: Iterable[TransitionRecord]) -> list[tuple[TransitionRecord, str]]:
    """Records of one case, oldest first, whose hash or link does not match, and why."""
    faults = []
    previous = ""
    for record in records:
        if not record_holds(record):
            unkeyed = record.record_hash == unkeyed_digest(record)
            faults.append((record, UNKEYED if unkeyed else CHANGED))
        elif record.previous_hash != previous:
            faults.append((record, UNLINKED))
        previous = record.record_hash
    return faults


def broken_links(records: Iterable[TransitionRecord]) -> list[TransitionRecord]:
    """Records of one case, oldest first, whose hash or link does not match."""
    return [record for record, _ in chain_faults(records)]


def trail_ends_elsewhere(model: type[models.Model]) -> models.QuerySet:
    """Cases of ``model`` whose last transition record does not end in the state they are
    in, or that have none: what a chain cannot show by itself, its last records removed.

    One query per case type; each case's last record is found through the
    (content type, object, time) index. Annotated with ``trail_ends_at``.
    """
    last = (
        TransitionRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=models.OuterRef("pk")
        )
        .order_by("-created_at", "-id")
        .values("target_state")[:1]
    )
    return (
        model._default_manager.annotate(trail_ends_at=models.Subquery(last))
        .filter(Q(trail_ends_at__isnull=True) | ~Q(trail_ends_at=models.F("state")))
        .order_by("pk")
    )


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
    "reason_code",
    "reason_params",
    "data",
    "previous_hash",
    "record_hash",
)


# Rows read from the database at a time: what an export holds in memory, however long the period.
TRAIL_CHUNK_ROWS = 500


def case_models() -> list[type[models.Model]]:
    """Every case type (complaints, account requests, refund cases): the models of the
    kinds the case apps register (``casework.models.kinds``), in their order."""
    return [kind.model for kind in kinds.registered()]


def trailed_models() -> list[type[models.Model]]:
    """Every model with a trail of its own: the case kinds, and the erasure request (a case
    of the customer's, not of a kind: no clock, no queue, no dashboard)."""
    from casework.models import ErasureRequest

    return [*case_models(), ErasureRequest]


def _field(model: type[models.Model], name: str) -> models.Field | None:
    return next((field for field in model._meta.concrete_fields if field.name == name), None)


def trail(
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    case_types: Sequence[ContentType] = (),
    actor=None,
    partner: Partner | None = None,
) -> models.QuerySet[TransitionRecord]:
    """The transition records of ``[start, end)``, of ``case_types`` (every one if empty),
    by ``actor`` (the user who acted), on the cases ``partner`` filed; unordered."""
    records = TransitionRecord.objects.all()
    if start is not None:
        records = records.filter(created_at__gte=start)
    if end is not None:
        records = records.filter(created_at__lt=end)
    if case_types:
        records = records.filter(content_type__in=case_types)
    if actor is not None:
        records = records.filter(actor=actor)
    if partner is not None:
        filed = Q(pk__in=[])
        for model in case_models():
            if _field(model, "partner") is not None:
                filed |= Q(
                    content_type=ContentType.objects.get_for_model(model),
                    object_id__in=model._default_manager.filter(partner=partner).values("pk"),
                )
        records = records.filter(filed)
    return records


def trail_rows(records: models.QuerySet[TransitionRecord]) -> Iterable[list[str]]:
    """The trail as CSV rows (header first), oldest first; a system reason in the reader's
    language, with its code and parameters beside it.

    Reads ``TRAIL_CHUNK_ROWS`` records at a time (a server-side cursor on PostgreSQL), so a
    year's trail never sits in memory; the case type comes from the content-type cache.
    """
    yield list(TRAIL_COLUMNS)
    for record in records.order_by("created_at", "id").iterator(chunk_size=TRAIL_CHUNK_ROWS):
        content_type = ContentType.objects.get_for_id(record.content_type_id)
        yield [
            record.created_at.isoformat(),
            f"{content_type.app_label}.{content_type.model}",
            record.case_reference,
            record.transition,
            record.source_state,
            record.target_state,
            record.actor_label,
            reasons.shown_reason(record),
            record.reason_code,
            json.dumps(record.reason_params, sort_keys=True, ensure_ascii=False)
            if record.reason_code
            else "",
            json.dumps(record.data, sort_keys=True, ensure_ascii=False) if record.data else "",
            record.previous_hash,
            record.record_hash,
        ]


def seal_unkeyed_trails(model: type[models.Model]) -> tuple[int, int]:
    """Re-hash, under the key, every case's trail that was hashed the old unkeyed way and
    still holds that way (a migration's function; ``model`` may be its historical model).
    A trail that no longer holds is left as it is, for the check to name. Returns (cases
    sealed, cases left broken)."""
    sealed = broken = 0
    records = model._base_manager.order_by("content_type_id", "object_id", "created_at", "id")
    for _case, group in groupby(
        records.iterator(chunk_size=2000), key=lambda r: (r.content_type_id, r.object_id)
    ):
        chain = list(group)
        previous, unkeyed = "", True
        for record in chain:
            unkeyed = (
                unkeyed and record.previous_hash == previous and record.record_hash == unkeyed_digest(record)
            )
            previous = record.record_hash
        if not unkeyed:
            broken += not all(holds(_payload(record), record.record_hash) for record in chain)
            continue
        previous = ""
        for record in chain:
            record.previous_hash = previous
            record.record_hash = previous = seal(record)
        model._base_manager.bulk_update(chain, ["previous_hash", "record_hash"])
        sealed += 1
    return sealed, broken
