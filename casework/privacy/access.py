"""A subject-access export: everything held on one customer, as one JSON document (PIPL
art. 45, GDPR art. 15). Every case of every kind that knows its customer, with its
records (notes, messages, evidence: the files listed, not copied), its field history, its
trail, the messages to and from the customer and the reveal logs of its data.

Exporting is a reveal of the whole record: the caller (``casework.admin.retention``)
checks ``casework.export_customer_data`` and the export is logged with its reason in the
reveal log (``casework.models.RevealLog``), chained per customer like any reveal.
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from casework.models import (
    Customer,
    CustomerMessage,
    ErasureRequest,
    Notification,
    RevealLog,
    TransitionRecord,
    kinds,
)

# What the reveal log names an export by.
EXPORT_FIELD = "subject_access_export"
FORMAT = "backoffice-subject-access/1"


def _value(field: models.Field, obj: models.Model):
    value = getattr(obj, field.attname)
    if isinstance(field, models.FileField):
        return value.name or ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def row(obj: models.Model, *, skip: tuple[str, ...] = ()) -> dict:
    """Every column of ``obj`` (a foreign key as its id, a file as its stored name)."""
    return {
        field.attname: _value(field, obj)
        for field in obj._meta.concrete_fields
        if field.attname not in skip and not field.attname.startswith("chain_")
    }


def _history(model: type[models.Model], obj: models.Model) -> list[dict]:
    manager = getattr(model, "history", None)
    if manager is None:
        return []
    rows = manager.model._base_manager.filter(**{model._meta.pk.attname: obj.pk}).order_by("history_date")
    return [row(historical) for historical in rows]


def _records(kind: kinds.CaseKind, case: models.Model) -> dict[str, list[dict]]:
    """The case's own records (notes, messages, evidence...), as its kind's retention names them."""
    found: dict[str, list[dict]] = {}
    if kind.retention is None:
        return found
    for part in kind.retention.personal[1:]:
        label = part.model._meta.label_lower
        for record in part.model._base_manager.filter(**{part.case_field: case.pk}).order_by("pk"):
            found.setdefault(label, []).append({**row(record), "history": _history(part.model, record)})
    return found


def case_data(kind: kinds.CaseKind, case: models.Model) -> dict:
    content_type = ContentType.objects.get_for_model(case)
    about = {"content_type": content_type, "object_id": case.pk}
    records = _records(kind, case)
    return {
        "case_type": kind.case_type,
        "reference": getattr(case, "reference", str(case.pk)),
        "case": row(case, skip=("version",)),
        "history": _history(kind.model, case),
        "records": records,
        "attachments": [
            {"record": label, "id": record["id"], "file": record.get(part_file)}
            for label, rows in records.items()
            for part_file in _file_fields(kind, label)
            for record in rows
        ],
        **_trail_and_messages(about),
        "notices": [
            row(notice, skip=("signing_key",))
            for notice in Notification.objects.filter(**about).order_by("created_at", "id")
        ],
        "reveals": [
            row(reveal) for reveal in RevealLog.objects.filter(**about).order_by("revealed_at", "id")
        ],
    }


def _erasure_data(request: ErasureRequest) -> dict:
    about = {"content_type": ContentType.objects.get_for_model(request), "object_id": request.pk}
    return {
        "reference": request.reference,
        "request": row(request, skip=("version",)),
        "history": _history(ErasureRequest, request),
        **_trail_and_messages(about),
    }


def _trail_and_messages(about: dict) -> dict:
    """The trail of a case (or request) and the messages to and from its customer."""
    return {
        "trail": [
            row(record, skip=("previous_hash", "record_hash", "redaction_hash"))
            for record in TransitionRecord.objects.filter(**about).order_by("created_at", "id")
        ],
        "messages": [
            row(message) for message in CustomerMessage.objects.filter(**about).order_by("created_at", "id")
        ],
    }


def _file_fields(kind: kinds.CaseKind, label: str) -> list[str]:
    return [
        part.model._meta.get_field(part.file_field).attname
        for part in kind.retention.personal[1:]
        if part.file_field and part.model._meta.label_lower == label
    ]


def customer_data(customer: Customer, *, now: dt.datetime | None = None) -> dict:
    """Everything held on ``customer``, cases of every kind, open first within each kind."""
    now = now or timezone.now()
    about_customer = {"content_type": ContentType.objects.get_for_model(Customer), "object_id": customer.pk}
    cases = []
    for kind in kinds.registered():
        if not kind.customer_field:
            continue
        found = kind.model._base_manager.filter(**{kind.customer_field: customer}).order_by("pk")
        ordered = sorted(found, key=lambda case: case.state not in kind.open_states)
        cases.extend(case_data(kind, case) for case in ordered)
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "customer": {
            "id": customer.pk,
            "created_at": customer.created_at.isoformat(),
            "pseudonymised_at": customer.pseudonymised_at.isoformat() if customer.pseudonymised_at else None,
            "identifiers": [
                {
                    "kind": identifier.kind,
                    "value": identifier.value,
                    "first_seen_at": identifier.first_seen_at.isoformat(),
                }
                for identifier in customer.identifiers.order_by("kind", "value")
            ],
        },
        "cases": cases,
        # The customer's requests to erase their data, with their trail and messages.
        "erasure_requests": [_erasure_data(request) for request in customer.erasure_requests.order_by("pk")],
        "exports": [
            row(reveal) for reveal in RevealLog.objects.filter(**about_customer).order_by("revealed_at", "id")
        ],
    }


def export_customer(*, customer: Customer, actor, reason: str) -> bytes:
    """The customer's data as JSON (UTF-8), logged as a reveal with ``reason`` in the same
    transaction; a reason the log refuses raises ``ValidationError`` naming ``reason``."""
    log = RevealLog(
        user=actor,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=customer.pk,
        case_reference=f"customer #{customer.pk}",
        field_name=EXPORT_FIELD,
        reason=reason.strip(),
    )
    log.full_clean(exclude=["chain_seq", "chain_previous", "chain_hash", "chain_redaction"])
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer.pk)  # one export's log at a time
        log.save()
        data = customer_data(customer)
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()


def log_refused(*, customer: Customer, actor, reason: str) -> RevealLog:
    """A try by someone who may not export: logged as a refused reveal."""
    return RevealLog.objects.create(
        user=actor,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=customer.pk,
        case_reference=f"customer #{customer.pk}",
        field_name=EXPORT_FIELD,
        outcome=RevealLog.Outcome.REFUSED,
        reason=reason.replace("\x00", "\N{REPLACEMENT CHARACTER}").strip()[:300],
    )
