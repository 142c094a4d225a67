"""Retention: the personal data of a case that ended longer ago than its record type's
period (``casework.models.RetentionPolicy``) is pseudonymised, and what counts stays.

What goes: the customer's name, phone, e-mail address and account number, the free text
that holds them (descriptions, notes, statements, messages: replaced by a marker), the
uploaded files (the stored file deleted; the row keeps a marker and the SHA-256 of what it
held), the same values in every field-history row, the identifiers scrubbed out of the
trail's and the reveal log's reasons, and, once none of their cases keeps any, the
customer's identifiers. What stays: category, channel, states, dates, amounts, outcomes,
SLA lateness and classification, so the dashboard and the returns count the same.

The chain (``casework.core.chain``, ``casework.trail.audit``): a pseudonymised row keeps
the seal it was written with, which the next row links to and the anchors counted, and
gains a redaction seal over its new content and that seal. Each row's original seal is
checked before it is touched: a row changed behind the application's back is left as it
is (the check still names it) and listed in the log, never resealed.

The sweep reads each kind's ended cases through a partial index on their end time and
locks them in batches with ``select_for_update(skip_locked=True)``: its cost follows
what expires, not the size of the tables, and two sweepers never take the same case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from casework.core.chain import ChainedRow, mac, redaction_payload, seal_holds
from casework.models import (
    CustomerIdentifier,
    CustomerMessage,
    ErasureRequest,
    ErasureState,
    Notification,
    PseudonymisationLog,
    RecordType,
    RetentionPolicy,
    RevealLog,
    TransitionRecord,
    kinds,
)
from casework.models.retention import PSEUDONYMISED
from casework.trail import audit

logger = logging.getLogger(__name__)

# Cases locked and pseudonymised in one transaction.
BATCH_SIZE = 100


def expired(kind: kinds.CaseKind, cutoff: dt.datetime) -> models.QuerySet:
    """The kind's cases that ended before ``cutoff`` and still hold personal data, oldest
    first: the partial index ``<kind>_retention_due`` answers it."""
    spec = kind.retention
    return kind.model._base_manager.filter(
        state__in=spec.ended_states,
        pseudonymised_at__isnull=True,
        **{f"{spec.ended_at}__lt": cutoff},
    ).order_by(spec.ended_at, "pk")


def run(now: dt.datetime | None = None, *, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Pseudonymise every case whose period has ended; how many, by case type."""
    now = now or timezone.now()
    policies = {policy.record_type: policy for policy in RetentionPolicy.objects.all()}
    done: dict[str, int] = {}
    for kind in kinds.registered():
        policy = policies.get(kind.case_type)
        if kind.retention is None or policy is None:
            continue
        cutoff = policy.cutoff(now)
        count = 0
        while True:
            with transaction.atomic():
                batch = list(
                    expired(kind, cutoff).select_for_update(skip_locked=True, of=("self",))[:batch_size]
                )
                for case in batch:
                    pseudonymise_case(case, policy=policy, now=now)
            count += len(batch)
            if len(batch) < batch_size:
                break
        done[str(kind.case_type)] = count
    policy = policies.get(RecordType.ERASURE_REQUEST)
    if policy is not None:
        done[str(RecordType.ERASURE_REQUEST)] = _sweep_erasure_requests(policy, now, batch_size)
    return done


# --- one case -------------------------------------------------------------------------------


def identifiers_of(case: models.Model) -> tuple[str, ...]:
    """The values to scrub out of free text: the kind's own, the customer's identifiers, and
    a Chinese phone without its country code; longest first, so a number inside another goes whole."""
    kind = kinds.kind_of(type(case))
    found = kind.retention.identifiers(case) if kind.retention.identifiers else ()
    customer_id = getattr(case, f"{kind.customer_field}_id", None) if kind.customer_field else None
    return _with_customer_identifiers(found, customer_id)


def _with_customer_identifiers(found: Iterable[str], customer_id: int | None) -> tuple[str, ...]:
    """``found`` and the customer's identifiers, each +86 phone also without its code; longest
    first, so a number inside another goes whole."""
    found = set(found)
    if customer_id:
        found.update(
            CustomerIdentifier.objects.filter(customer_id=customer_id).values_list("value", flat=True)
        )
    for value in list(found):
        if value.startswith("+86"):
            found.add(value[3:])
    return tuple(sorted((v for v in found if len(v) >= 2 and v != PSEUDONYMISED), key=len, reverse=True))


def scrubbed(text: str, identifiers: Iterable[str]) -> str:
    for value in identifiers:
        text = text.replace(value, PSEUDONYMISED)
    return text


def scrubbed_json(value, identifiers: Iterable[str]):
    encoded = json.dumps(value, ensure_ascii=False)
    changed = scrubbed(encoded, identifiers)
    return value if changed == encoded else json.loads(changed)


class Pass:
    """What one pseudonymisation did, for its log row."""

    def __init__(self) -> None:
        self.rows: Counter[str] = Counter()
        self.files: list[dict] = []
        self.tampered: list[str] = []


def _replacements(obj: models.Model, fields: dict[str, str]) -> dict[str, str]:
    """The fields of ``obj`` that hold a value other than what pseudonymised makes them."""
    changes = {}
    known = {field.name: field.attname for field in obj._meta.concrete_fields}
    for name, value in fields.items():
        if name not in known:  # a field the history does not keep
            continue
        attname = known[name]
        current = getattr(obj, attname)
        current = "" if current is None else str(current)
        if current and current != value:
            changes[attname] = value
    return changes


def _redact_chained(row: ChainedRow, changes: dict, done: Pass) -> None:
    """Rewrite a sealed row's ``changes`` and seal it again by its redaction seal, if its
    seal holds; a row whose seal does not hold is left for the check to name."""
    if not changes:
        return
    if not seal_holds(row):
        done.tampered.append(row.chain_label())
        return
    for attname, value in changes.items():
        setattr(row, attname, value)
    row.chain_redaction = mac(redaction_payload(row))
    type(row)._base_manager.filter(pk=row.pk).update(**changes, chain_redaction=row.chain_redaction)
    done.rows[type(row)._meta.label_lower] += 1


def _history_of(model: type[models.Model], obj: models.Model) -> models.QuerySet | None:
    manager = getattr(model, "history", None)
    if manager is None:
        return None
    history_model = manager.model
    return history_model._base_manager.filter(**{model._meta.pk.attname: obj.pk}).order_by("chain_seq")


def _delete_file(obj: models.Model, field_name: str, done: Pass) -> str | None:
    """Delete the stored file; the marker the row keeps in its place, with the file's hash."""
    stored = getattr(obj, field_name)
    if not stored.name or stored.name.startswith(PSEUDONYMISED):
        return None
    digest = hashlib.sha256()
    try:
        with stored.storage.open(stored.name, "rb") as file:
            for chunk in iter(lambda: file.read(1 << 16), b""):
                digest.update(chunk)
        sha256 = digest.hexdigest()
    except FileNotFoundError:
        sha256 = ""
    done.files.append({"record": f"{obj._meta.label_lower} #{obj.pk}", "name": stored.name, "sha256": sha256})
    # Deleted after the commit: a rolled-back pass leaves the file where its row says it is.
    storage, name = stored.storage, stored.name
    transaction.on_commit(lambda: storage.delete(name))
    return f"{PSEUDONYMISED} sha256:{sha256}" if sha256 else PSEUDONYMISED


def _pseudonymise_record(
    obj: models.Model, part: kinds.Personal, identifiers: tuple[str, ...], done: Pass, **extra
) -> None:
    fields = dict(part.fields)
    changes = _replacements(obj, fields)
    if part.file_field:
        marker = _delete_file(obj, part.file_field, done)
        if marker:
            changes[obj._meta.get_field(part.file_field).attname] = marker
            fields[part.file_field] = marker
    changes.update(extra)
    if changes:
        for attname, value in changes.items():
            setattr(obj, attname, value)
        obj.customer_fixed = True  # its customer stays who it was (casework.customers)
        obj.save(update_fields=list(changes))  # the history's newest row: the pseudonymised one
        done.rows[obj._meta.label_lower] += 1
    history = _history_of(type(obj), obj)
    if history is None:
        return
    for row in history.select_for_update():
        changes = _replacements(row, fields)
        # The reason a service gave the change ("Verified +86...") holds them too.
        reason = row.history_change_reason or ""
        if scrubbed(reason, identifiers) != reason:
            changes["history_change_reason"] = scrubbed(reason, identifiers)
        _redact_chained(row, changes, done)


def _scrub_trail(case: models.Model, identifiers: tuple[str, ...], done: Pass) -> None:
    content_type = ContentType.objects.get_for_model(case)
    records = TransitionRecord.objects.filter(content_type=content_type, object_id=case.pk)
    for record in records.select_for_update().order_by("created_at", "id"):
        reason = scrubbed(record.reason, identifiers)
        data = scrubbed_json(record.data, identifiers)
        if reason == record.reason and data == record.data:
            continue
        if not audit.record_holds(record):
            done.tampered.append(f"transition record #{record.pk} of {record.case_reference}")
            continue
        record.reason, record.data = reason, data
        record.redaction_hash = audit.redaction_seal(record)
        TransitionRecord.objects.filter(pk=record.pk).update(
            reason=reason, data=data, redaction_hash=record.redaction_hash
        )
        done.rows[TransitionRecord._meta.label_lower] += 1
    for row in RevealLog.objects.filter(content_type=content_type, object_id=case.pk).select_for_update():
        reason = scrubbed(row.reason, identifiers)
        _redact_chained(row, {"reason": reason} if reason != row.reason else {}, done)
    for message in CustomerMessage.objects.filter(content_type=content_type, object_id=case.pk):
        changes = _replacements(
            message,
            {"address": PSEUDONYMISED, "subject": PSEUDONYMISED, "body_text": PSEUDONYMISED, "body_html": ""},
        )
        if changes:
            CustomerMessage.objects.filter(pk=message.pk).update(**changes)
            done.rows[CustomerMessage._meta.label_lower] += 1
    notices = Notification.objects.filter(content_type=content_type, object_id=case.pk).exclude(
        status=Notification.Status.PENDING
    )
    for notice in notices:
        if notice.channel == Notification.Channel.WEBHOOK:  # to a partner: only the identifiers go
            changes = {
                "subject": scrubbed(notice.subject, identifiers),
                "body": scrubbed(notice.body, identifiers),
            }
            changes = {k: v for k, v in changes.items() if v != getattr(notice, k)}
        else:
            changes = _replacements(
                notice, {"recipient": PSEUDONYMISED, "subject": PSEUDONYMISED, "body": PSEUDONYMISED}
            )
        if changes:
            Notification.objects.filter(pk=notice.pk).update(**changes)
            done.rows[Notification._meta.label_lower] += 1


def pseudonymise_case(
    case: models.Model, *, policy: RetentionPolicy, now: dt.datetime, actor=None
) -> PseudonymisationLog:
    """Pseudonymise one ended case (locked by the caller) and log it; then its customer's
    identifiers, if no case of theirs keeps personal data any more."""
    kind = kinds.kind_of(type(case))
    spec = kind.retention
    identifiers = identifiers_of(case)
    done = Pass()
    ended_at = getattr(case, spec.ended_at)
    case_part, *parts = spec.personal
    for part in parts:
        for record in part.model._base_manager.filter(**{part.case_field: case.pk}).select_for_update():
            _pseudonymise_record(record, part, identifiers, done)
    # The version goes up as for any change: a form opened before cannot write the data back.
    _pseudonymise_record(case, case_part, identifiers, done, pseudonymised_at=now, version=case.version + 1)
    _scrub_trail(case, identifiers, done)
    log = PseudonymisationLog.objects.create(
        policy=policy,
        period_months=policy.period_months,
        content_type=ContentType.objects.get_for_model(case),
        object_id=case.pk,
        case_reference=getattr(case, "reference", str(case.pk))[:40],
        ended_at=ended_at,
        rows=dict(done.rows),
        files=done.files,
        tampered=done.tampered,
        outcome=PseudonymisationLog.Outcome.PARTIAL if done.tampered else PseudonymisationLog.Outcome.DONE,
        actor=actor,
        pseudonymised_at=now,
    )
    if done.tampered:
        logger.warning(
            "Retention left %s tampered row(s) of %s as they were", len(done.tampered), log.case_reference
        )
    customer_id = getattr(case, f"{kind.customer_field}_id", None) if kind.customer_field else None
    if customer_id:
        forget_customer_if_done(customer_id, now)
    return log


def erase_records(case: models.Model, parts: Iterable[kinds.Personal]) -> Pass:
    """Pseudonymise ``parts`` (records of ``case``, locked here) before the case's period
    ends: what an executed erasure request erases at once (``Retention.erasable``)."""
    identifiers = identifiers_of(case)
    done = Pass()
    for part in parts:
        for record in part.model._base_manager.filter(**{part.case_field: case.pk}).select_for_update():
            _pseudonymise_record(record, part, identifiers, done)
    return done


# --- the erasure request's own record -----------------------------------------------------


def expired_erasure_requests(cutoff: dt.datetime) -> models.QuerySet:
    """Erasure requests that ended (executed or refused) before ``cutoff`` and still hold
    personal data; the partial index ``erasure_request_retention_due`` holds only those."""
    return (
        ErasureRequest._base_manager.filter(state__in=[ErasureState.EXECUTED, ErasureState.REFUSED])
        .filter(pseudonymised_at__isnull=True)
        .filter(
            models.Q(state=ErasureState.REFUSED, decided_at__lt=cutoff)
            | models.Q(state=ErasureState.EXECUTED, executed_at__lt=cutoff)
        )
        .order_by("decided_at", "pk")
    )


def _sweep_erasure_requests(policy: RetentionPolicy, now: dt.datetime, batch_size: int) -> int:
    cutoff = policy.cutoff(now)
    count = 0
    while True:
        with transaction.atomic():
            batch = list(expired_erasure_requests(cutoff).select_for_update(skip_locked=True)[:batch_size])
            for request in batch:
                pseudonymise_erasure_request(request, policy=policy, now=now)
        count += len(batch)
        if len(batch) < batch_size:
            return count


def pseudonymise_erasure_request(
    request: ErasureRequest, *, policy: RetentionPolicy, now: dt.datetime
) -> PseudonymisationLog:
    """What the request held of the customer goes once its own period has run: its text and
    the address the answer went to become the marker, the customer's identifiers are
    scrubbed out of the decision note, the trail's reasons and the notices; its dates,
    states and outcome (case references and days) stay, as the proof it was answered."""
    identifiers = _with_customer_identifiers([request.reply_address], request.customer_id)
    part = kinds.Personal(
        model=ErasureRequest,
        fields={
            "request_text": PSEUDONYMISED,
            "reply_address": PSEUDONYMISED,
            "decision_note": scrubbed(request.decision_note, identifiers),
        },
    )
    done = Pass()
    _pseudonymise_record(request, part, identifiers, done, pseudonymised_at=now, version=request.version + 1)
    _scrub_trail(request, identifiers, done)
    return PseudonymisationLog.objects.create(
        policy=policy,
        period_months=policy.period_months,
        content_type=ContentType.objects.get_for_model(ErasureRequest),
        object_id=request.pk,
        case_reference=request.reference,
        ended_at=request.ended_at,
        rows=dict(done.rows),
        tampered=done.tampered,
        outcome=PseudonymisationLog.Outcome.PARTIAL if done.tampered else PseudonymisationLog.Outcome.DONE,
        pseudonymised_at=now,
    )


def forget_customer_if_done(customer_id: int, now: dt.datetime) -> bool:
    """Remove a customer's identifiers once none of their cases, of any kind, keeps
    personal data; the record stays, marked, so its cases still count as one customer's."""
    from casework.models import Customer

    for kind in kinds.registered():
        if not kind.customer_field or kind.retention is None:
            continue
        remaining = kind.model._base_manager.filter(
            **{f"{kind.customer_field}_id": customer_id}, pseudonymised_at__isnull=True
        )
        if remaining.exists():
            return False
    CustomerIdentifier.objects.filter(customer_id=customer_id).delete()
    Customer.objects.filter(pk=customer_id, pseudonymised_at__isnull=True).update(pseudonymised_at=now)
    return True
