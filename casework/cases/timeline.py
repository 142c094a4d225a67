"""One case's story as an auditor reads it: every transition, note, message, piece of
evidence, notice (and each try at delivering it) and linked case, merged into one list
by time; and beside it, what django-simple-history kept of each change: who, when, and
which fields went from what to what.

Each case type names its sources (``CaseAdmin.timeline_sources``). A source reads its
rows in one query (a notice's delivery attempts in one more), however many there are,
so a long case costs the same number of queries as a short one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext, pgettext_lazy

from casework.cases.transitions import action_words, history_reason
from casework.models import CustomerChannel, CustomerMessage, DeliveryAttempt, Notification, TransitionRecord
from casework.notices import outbox
from casework.notices.customers import notice_label as customer_notice_label
from casework.privacy.masking import mask_email, mask_phone
from casework.trail.audit import actor_label, records_for
from casework.trail.reasons import shown_reason

SYSTEM = pgettext_lazy("actor", "system")

# Each kind of entry as the timeline's "what" column says it; a kind missing here shows as it is.
KINDS = {
    "transition": pgettext_lazy("timeline entry", "transition"),
    "note": pgettext_lazy("timeline entry", "note"),
    "message": pgettext_lazy("timeline entry", "message"),
    "attachment": pgettext_lazy("timeline entry", "attachment"),
    "evidence": pgettext_lazy("timeline entry", "evidence"),
    "payment": pgettext_lazy("timeline entry", "payment"),
    "notice": pgettext_lazy("timeline entry", "notice"),
    "delivery": pgettext_lazy("timeline entry", "delivery"),
    "linked case": pgettext_lazy("timeline entry", "linked case"),
    "customer message": pgettext_lazy("timeline entry", "customer message"),
    "survey": pgettext_lazy("timeline entry", "survey"),
}


@dataclass(frozen=True)
class Entry:
    """One thing that happened to the case."""

    at: dt.datetime
    kind: str  # transition, note, message, ..., notice, delivery, linked case, customer message
    actor: str
    what: str
    detail: str = ""
    url: str = ""  # the linked case's or the notice's admin page

    @property
    def local_time(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S}"

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))


TimelineSource = Callable[[models.Model], Iterable[Entry]]


def timeline(case: models.Model, sources: Iterable[TimelineSource]) -> list[Entry]:
    """The entries of every source, oldest first; at one instant, in the sources' order.
    What the customer sent back is on every case's (``EVERY_CASE``)."""
    sources = (*sources, *EVERY_CASE)
    return sorted(chain.from_iterable(source(case) for source in sources), key=lambda entry: entry.at)


def customer_replies(case: models.Model) -> Iterable[Entry]:
    """Each e-mail or SMS the customer sent, as ``casework.intake`` filed it: one query."""
    received = CustomerMessage.objects.filter(
        content_type=ContentType.objects.get_for_model(case),
        object_id=case.pk,
        direction=CustomerMessage.Direction.INCOMING,
    )
    for message in received:
        what = {
            "customer_email": gettext("e-mail that opened the case"),
            "automatic_reply": gettext("automatic reply by %(channel)s"),
        }.get(message.kind, gettext("reply by %(channel)s")) % {"channel": message.get_channel_display()}
        detail = " — ".join(part for part in (message.subject, message.body_text[:1000]) if part)
        yield Entry(
            message.sent_at or message.created_at, "customer message", gettext("customer"), what, detail
        )


# The sources every case's timeline reads, whatever its type names.
EVERY_CASE: tuple[TimelineSource, ...] = (customer_replies,)


def _label(actor) -> str:
    return actor_label(actor, SYSTEM)


def _admin_url(obj: models.Model) -> str:
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


# Sources every case type has.


def transitions(case: models.Model) -> Iterable[Entry]:
    """Each transition record: actor, time, from → to, reason. Steps that keep the state
    (a reassignment, an identity check) say so instead of an arrow."""
    labels = dict(case._meta.get_field("state").flatchoices)
    for record in records_for(case):
        name = action_words(record.transition)
        source = labels.get(record.source_state, record.source_state)
        target = labels.get(record.target_state, record.target_state)
        if not record.source_state:
            what = f"{name}: → {target}"
        elif record.source_state == record.target_state:
            what = gettext("%(action)s (stays %(state)s)") % {"action": name, "state": target}
            if record.data.get("fields"):  # details edited: which ones
                what = f"{what}: {', '.join(_field_labels(case, record.data['fields']))}"
            if changed := _changed_values(case, record.data):  # a correction: from what to what
                what = pgettext("between changes", "; ").join(changed)
        else:
            what = f"{name}: {source} → {target}"
        yield Entry(record.created_at, "transition", record.actor_label, what, shown_reason(record))


def _changed_values(case: models.Model, data: dict) -> list[str]:
    """A step's ``{field: [from, to]}`` (a corrected category) as the reader says it:
    "Category changed from transaction failed or abnormal to refund not processed"; in the
    model's order of fields (the stored JSON keeps none)."""
    pairs = [(field, data.get(field.name)) for field in case._meta.concrete_fields]
    return [
        gettext("%(field)s changed from %(old)s to %(new)s")
        % {
            "field": capfirst(field.verbose_name),
            "old": _shown(field, value[0], {}),
            "new": _shown(field, value[1], {}),
        }
        for field, value in pairs
        if isinstance(value, list) and len(value) == 2
    ]


def _field_labels(case: models.Model, names: Iterable[str]) -> list[str]:
    fields = {field.name: field for field in case._meta.get_fields() if hasattr(field, "verbose_name")}
    return [str(fields[name].verbose_name) if name in fields else name for name in names]


def masked_address(channel: str, address: str) -> str:
    """A customer's phone or e-mail address as the timeline shows it: ``138****8000``,
    ``w***@example.com``."""
    if channel == Notification.Channel.SMS:
        return mask_phone(address)
    return mask_email(address)


def _is_customer_notice(notice: Notification) -> bool:
    return notice.kind.startswith(outbox.CUSTOMER_KIND_PREFIX)


def notices(case: models.Model) -> Iterable[Entry]:
    """Each notice written for the case (escalation, reminder, webhook) and each try at
    delivering it, at the time it happened; each message to or from the customer, with
    its delivery status and the address masked: three queries for any number of them."""
    content_type = ContentType.objects.get_for_model(case)
    rows = (
        Notification.objects.filter(content_type=content_type, object_id=case.pk)
        .exclude(kind__startswith=outbox.CUSTOMER_KIND_PREFIX)  # told as customer messages below
        .only("id", "kind", "channel", "recipient", "subject", "status", "created_at")
    )
    for notice in rows:
        yield Entry(
            notice.created_at,
            "notice",
            SYSTEM,
            gettext("%(kind)s notice by %(channel)s to %(recipient)s")
            % {
                "kind": outbox.kind_label(notice.kind),
                "channel": notice.get_channel_display(),
                "recipient": notice.recipient,
            },
            f"{notice.subject} ({notice.get_status_display()})",
            _admin_url(notice),
        )
    yield from customer_messages(case, content_type)
    attempts = DeliveryAttempt.objects.filter(
        notification__content_type=content_type, notification__object_id=case.pk
    ).select_related("notification", "triggered_by__partner")
    for attempt in attempts:
        notice = attempt.notification
        outcome = gettext("delivered") if attempt.succeeded else gettext("failed")
        answer = f" (HTTP {attempt.response_status})" if attempt.response_status else ""
        recipient = (
            masked_address(notice.channel, notice.recipient)
            if _is_customer_notice(notice)
            else notice.recipient
        )
        yield Entry(
            attempt.attempted_at,
            "delivery",
            _label(attempt.triggered_by) if attempt.triggered_by_id else SYSTEM,
            gettext("%(kind)s notice to %(recipient)s: %(outcome)s%(answer)s")
            % {
                "kind": outbox.kind_label(notice.kind),
                "recipient": recipient,
                "outcome": outcome,
                "answer": answer,
            },
            attempt.error,
            _admin_url(notice),
        )


def customer_messages(case: models.Model, content_type: ContentType | None = None) -> Iterable[Entry]:
    """Each message to the customer (their replies are ``customer_replies``): "Acceptance
    notice by SMS to 138****8000", and how it stands: "sent 10:42", "held for quiet hours
    until 08:00", "not sent: the customer opted out"."""
    content_type = content_type or ContentType.objects.get_for_model(case)
    messages = CustomerMessage.objects.filter(
        content_type=content_type, object_id=case.pk, direction=CustomerMessage.Direction.OUTGOING
    ).select_related("notification", "author__partner")
    for message in messages:
        what = gettext("%(kind)s by %(channel)s to %(address)s") % {
            "kind": customer_notice_label(message.kind),
            "channel": message.get_channel_display(),
            "address": masked_address(message.channel, message.address),
        }
        yield Entry(
            message.created_at,
            "customer message",
            _label(message.author) if message.author_id else SYSTEM,
            what,
            f"{message_status(message)}: {_told(message)}",
            _admin_url(message.notification) if message.notification_id else "",
        )


def _told(message: CustomerMessage, limit: int = 80) -> str:
    """What the customer read first: an e-mail's subject, an SMS's text (cut)."""
    if message.channel == CustomerChannel.EMAIL and message.subject:
        return message.subject
    text = " ".join(message.body_text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message_status(message: CustomerMessage) -> str:
    """A message's delivery status with its time, in the reader's time zone."""
    if message.status == CustomerMessage.Status.SENT and message.sent_at:
        return gettext("sent %(time)s") % {"time": f"{timezone.localtime(message.sent_at):%H:%M}"}
    if message.status == CustomerMessage.Status.HELD and message.notification_id:
        return gettext("held for quiet hours until %(time)s") % {
            "time": f"{timezone.localtime(message.notification.next_attempt_at):%H:%M}"
        }
    return str(message.get_status_display())


# Sources a case type names with its own rows.


def rows(
    accessor: str,
    *,
    kind: str,
    at: str,
    by: str | None,
    what: Callable[[models.Model], str],
    detail: Callable[[models.Model], str] = lambda row: "",
) -> TimelineSource:
    """Rows hanging off the case (``case.<accessor>``): notes, messages, evidence...

    ``at`` names the row's time field, ``by`` its author (joined with the author's partner,
    so a partner's row says which partner); one query for all of them.
    """

    def source(case: models.Model) -> Iterable[Entry]:
        queryset = getattr(case, accessor).all()
        if by is not None:
            queryset = queryset.select_related(f"{by}__partner")
        for row in queryset:
            actor = _label(getattr(row, by)) if by is not None else SYSTEM
            yield Entry(getattr(row, at), kind, actor, what(row), detail(row))

    source.__name__ = f"rows_{accessor}"
    return source


def opened_from_it(accessor: str, *, by: str = "submitted_by") -> TimelineSource:
    """Cases opened from this one (a complaint's unlock requests and refund cases), each at
    the time it was opened, by whom, linking to it; one query."""

    def source(case: models.Model) -> Iterable[Entry]:
        for linked in getattr(case, accessor).select_related(f"{by}__partner").order_by("created_at", "pk"):
            yield Entry(
                linked.created_at,
                "linked case",
                _label(getattr(linked, by)),
                gettext("opened %(case_type)s %(case)s from it")
                % {"case_type": linked._meta.verbose_name, "case": linked},
                gettext("now %(state)s") % {"state": linked.get_state_display()},
                _admin_url(linked),
            )

    source.__name__ = f"opened_from_it_{accessor}"
    return source


def opened_from(field_name: str, *, by: str = "submitted_by") -> TimelineSource:
    """The case this one was opened from (the complaint behind a refund case), at the time
    this one was opened, by whom; a few queries, none when there is no such case."""

    def source(case: models.Model) -> Iterable[Entry]:
        if getattr(case, f"{field_name}_id") is None:
            return
        linked = getattr(case, field_name)
        yield Entry(
            case.created_at,
            "linked case",
            _label(getattr(case, by)),
            gettext("opened from %(case_type)s %(case)s")
            % {"case_type": linked._meta.verbose_name, "case": linked},
            gettext("now %(state)s") % {"state": linked.get_state_display()},
            _admin_url(linked),
        )

    source.__name__ = f"opened_from_{field_name}"
    return source


# Field-level changes, from django-simple-history.


@dataclass(frozen=True)
class FieldChange:
    field: str  # the field's verbose name
    name: str  # the field's name, for whoever masks what it shows
    old: str
    new: str


@dataclass(frozen=True)
class FieldChangeValue:
    """One stored value of a field (a History page column), looked up as changes are."""

    field: str
    old: object
    new: object = None


@dataclass
class HistoryEntry:
    """One history row: who, when, how (created, changed), which fields changed."""

    at: dt.datetime
    actor: str
    change: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def local_time(self) -> str:
        return local_time(self.at)

    @property
    def change_label(self) -> str:
        return str(HISTORY_LABELS.get(self.change, self.change))


HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
HISTORY_LABELS = {
    "created": pgettext_lazy("history", "created"),
    "changed": pgettext_lazy("history", "changed"),
    "deleted": pgettext_lazy("history", "deleted"),
}


def local_time(at: dt.datetime) -> str:
    """A moment as the admin shows it everywhere it keeps time: local, to the second."""
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M:%S}"


def history_actor(row) -> str:
    """Who made a history row: the user (a partner as ``partner:<code>``), or the system."""
    return _label(row.history_user) if row.history_user_id else str(SYSTEM)


def field_change(model, change, related: dict) -> FieldChange:
    """A simple-history change (keys for foreign keys) as a person reads it: the field's
    label, choice labels, a foreign key by its name, local time, "—" for nothing."""
    model_field = model._meta.get_field(change.field)
    return FieldChange(
        str(model_field.verbose_name),
        change.field,
        _shown(model_field, change.old, related),
        _shown(model_field, change.new, related),
    )


def shown_value(model, name: str, value, related: dict | None = None) -> str:
    """One stored value of ``model``'s field ``name``, as :func:`field_change` shows it."""
    return _shown(model._meta.get_field(name), value, related or {})


def field_changes(case: models.Model) -> list[HistoryEntry]:
    """Each history row of the case, oldest first, with what changed since the row before.

    One query for the rows; what foreign keys point at (a team, a user) is read in one
    query per related model, never one per row.
    """
    rows = case.history.select_related("history_user__partner").order_by("history_date", "history_id")
    reasons = history_reasons(type(case), case.pk)
    diffs = []
    previous = None
    for row in rows:
        entry = HistoryEntry(
            at=row.history_date,
            actor=history_actor(row),
            change=HISTORY_TYPES.get(row.history_type, row.history_type),
            reason=shown_history_reason(row, reasons),
        )
        diffs.append((entry, row.diff_against(previous).changes if previous is not None else []))
        previous = row
    related = related_objects(case, (change for _, changes in diffs for change in changes))
    for entry, changes in diffs:
        entry.changes.extend(field_change(case, change, related) for change in changes)
    return [entry for entry, _ in diffs]


def history_reasons(model: type[models.Model], pk) -> dict[str, str]:
    """The system reasons of an object's transition records, in the reader's language, by
    the words its history rows keep of them (English, cut as ``history_reason`` cuts): a
    history row has no code of its own, but it was written with the record, from the same
    reason. One query; none of an object with no trail."""
    records = TransitionRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=pk
    ).exclude(reason_code="")
    return {
        history_reason(record.reason): shown_reason(record)
        for record in records.only("reason", "reason_code", "reason_params")
    }


def shown_history_reason(row, reasons: dict[str, str]) -> str:
    """A history row's reason in the reader's language when the system wrote it."""
    stored = row.history_change_reason or ""
    return reasons.get(stored, stored)


def related_objects(case, changes) -> dict[tuple[type[models.Model], object], models.Model]:
    """What the changed foreign keys point at, by (model, key): one query per model."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for change in changes:
        model_field = case._meta.get_field(change.field)
        if model_field.is_relation:
            wanted[model_field.related_model].update(
                value for value in (change.old, change.new) if value not in (None, "")
            )
    return {
        (model, key): obj
        for model, keys in wanted.items()
        for key, obj in model._default_manager.in_bulk(sorted(keys)).items()
    }


def _shown(model_field: models.Field, value, related: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("True") if value else gettext("False")
    if model_field.is_relation:
        obj = related.get((model_field.related_model, value))
        if obj is None:
            return gettext("#%(key)s (no longer there)") % {"key": value}
        return obj.get_username() if hasattr(obj, "get_username") else str(obj)
    if model_field.flatchoices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, dt.datetime):
        return local_time(value)
    return str(value)
