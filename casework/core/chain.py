"""The keyed chain under the trail: every transition record, every field-history row and
every reveal-log row carries an HMAC-SHA256 of its content under a key that lives outside
the database (``settings.AUDIT_CHAIN_KEY``), so whoever can write the tables but does not
hold the key cannot rewrite a row, nor recompute one, without the check naming it.

Rows chain per object, not per table: a history row links to the previous history row of
the same object (a reveal to the previous reveal of the same case), with a position
``chain_seq``. A new object's first row needs no lookup; a change needs one indexed read
of the object's last row, which the writer's row lock on the object already serialises,
so no lock is shared between objects and creates never wait for each other. A removed row
leaves a gap in its object's positions; the newest rows removed are what the anchors
(``casework.trail.anchors``) catch.

May import Django and simple-history only: models import this module.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import functools
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.apps import apps as global_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casework.core import keys

# --- the key ---------------------------------------------------------------------------


def _demo_key(path: Path) -> bytes:
    """The demo's key, made once: written whole to a private temporary file and linked into
    place, so web, worker and beat starting together agree on one key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    return keys.chain_key(path.read_text(), str(path))


@functools.lru_cache(maxsize=8)
def _keys(current: str, previous: tuple[str, ...], key_file: str | None) -> tuple[bytes, ...]:
    if current:
        first = keys.chain_key(current, "AUDIT_CHAIN_KEY")
    elif key_file:
        first = _demo_key(Path(key_file))
    else:
        raise ImproperlyConfigured("Set AUDIT_CHAIN_KEY: the audit chain is keyed with it.")
    return (first, *(keys.chain_key(key, "AUDIT_CHAIN_PREVIOUS_KEYS") for key in previous))


def chain_keys() -> tuple[bytes, ...]:
    """The key that seals new rows, then the previous keys that still verify old ones."""
    key_file = getattr(settings, "AUDIT_CHAIN_KEY_FILE", None)
    return _keys(
        getattr(settings, "AUDIT_CHAIN_KEY", ""),
        tuple(getattr(settings, "AUDIT_CHAIN_PREVIOUS_KEYS", ())),
        str(key_file) if key_file else None,
    )


def mac(payload: bytes, key: bytes | None = None) -> str:
    return hmac.new(key or chain_keys()[0], payload, hashlib.sha256).hexdigest()


def holds(payload: bytes, stored: str) -> bool:
    """Does ``stored`` seal ``payload`` under the current key or a previous one?"""
    return any(hmac.compare_digest(mac(payload, key), stored) for key in chain_keys())


# --- what a row's seal covers -------------------------------------------------------------

SEAL_FIELD = "chain_hash"
# A row pseudonymised by retention (``casework.privacy.retention``) keeps its original seal,
# which the next row links to and the anchors counted, and gains this one: an HMAC over its
# new content and that original seal. Outside the payload, like the seal itself.
REDACTION_FIELD = "chain_redaction"


def _canonical(field: models.Field, value):
    value = field.get_prep_value(value)
    if isinstance(value, decimal.Decimal) and getattr(field, "decimal_places", None) is not None:
        return str(value.quantize(decimal.Decimal(1).scaleb(-field.decimal_places)))
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time | uuid.UUID | decimal.Decimal):
        return str(value) if not isinstance(value, dt.date | dt.time) else value.isoformat()
    return value


def _is_default(field: models.Field, value) -> bool:
    if value in (None, "", [], {}):
        return True
    return field.has_default() and not callable(field.default) and value == _canonical(field, field.default)


def row_payload(row: models.Model) -> bytes:
    """Every column but the row's own id and seal, in one canonical form. Columns holding
    their default (or nothing) are left out, so a column a later migration adds, with a
    default, keeps old seals valid; changing any value, to or from its default, does not."""
    values = {}
    for field in type(row)._meta.concrete_fields:
        if field.primary_key or field.attname in (SEAL_FIELD, REDACTION_FIELD):
            continue
        value = _canonical(field, getattr(row, field.attname))
        if not _is_default(field, value):
            values[field.attname] = value
    return json.dumps(
        [type(row)._meta.label_lower, values], sort_keys=True, separators=(",", ":"), default=str
    ).encode()


# --- rows that chain per object -------------------------------------------------------------


class ChainedRow(models.Model):
    """A row sealed on insert and linked to the previous row of the same chain."""

    chain_seq = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("chain position"))
    chain_previous = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("previous row's seal")
    )
    chain_hash = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("seal"))
    chain_redaction = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("redaction seal")
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding or self.chain_hash:
            super().save(*args, **kwargs)
            return
        # Inside a transaction the writer holds the object's row lock, so the chain's last
        # row cannot move under us. Outside one (autocommit), a concurrent writer may take
        # the same position first: the unique (chain, position) refuses it, and we retry.
        attempts = 1 if connection.in_atomic_block else 3
        for attempt in range(attempts):
            self.seal(self._last_in_chain())
            try:
                super().save(*args, **kwargs)
                return
            except IntegrityError:
                if attempt == attempts - 1:
                    raise

    # When a row was written, as the row says: what the anchors' windows go by.
    chain_time_field = "created_at"

    @classmethod
    def chain_columns(cls) -> tuple[str, ...]:
        """The columns that name one chain (an object's id, a case)."""
        raise NotImplementedError

    def chain_label(self) -> str:
        """How the check names this row."""
        return f"{self._meta.model_name} #{self.pk}"

    def starts_chain(self) -> bool:
        """True when this row is known to be its chain's first, so no lookup is needed."""
        return False

    def seal(self, previous: tuple[int, str] | None) -> None:
        self.chain_seq, self.chain_previous = (previous[0] + 1, previous[1]) if previous else (1, "")
        self.chain_hash = mac(row_payload(self))

    def _last_in_chain(self) -> tuple[int, str] | None:
        if self.starts_chain():
            return None
        chain = {column: getattr(self, column) for column in self.chain_columns()}
        return (
            type(self)
            ._base_manager.filter(**chain, chain_seq__gt=0)
            .order_by("-chain_seq")
            .values_list("chain_seq", "chain_hash")
            .first()
        )


def redaction_payload(row: models.Model) -> bytes:
    """What a redaction seal covers: the row's content now and the seal it was written with."""
    return row_payload(row) + b"\n" + row.chain_hash.encode()


def seal_holds(row: ChainedRow) -> bool:
    """Does the row hold its original seal, or (pseudonymised) its redaction seal?"""
    if holds(row_payload(row), row.chain_hash):
        return True
    return bool(row.chain_redaction) and holds(redaction_payload(row), row.chain_redaction)


def chain_constraint(table: str, columns: Iterable[str]) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=[*columns, "chain_seq"], condition=Q(chain_seq__gt=0), name=f"{table}_chain"[:63]
    )


class ChainedHistory(ChainedRow):
    """The base of every historical model: each object's history is one chain."""

    chain_time_field = "history_date"

    class Meta:
        abstract = True

    @classmethod
    def chain_columns(cls) -> tuple[str, ...]:
        return (cls.instance_type._meta.pk.attname,)

    def chain_label(self) -> str:
        tracked = self.instance_type._meta.model_name
        object_id = getattr(self, self.instance_type._meta.pk.attname)
        return (
            f"{self._meta.model_name} of {tracked} #{object_id} row #{self.pk} (position {self.chain_seq}, "
            f"{self.history_type} at {self.history_date:%Y-%m-%d %H:%M:%S%z}, user #{self.history_user_id})"
        )

    def starts_chain(self) -> bool:
        return self.history_type == "+"


class ChainedHistoricalRecords(HistoricalRecords):
    """simple-history with the chain: use it for every tracked model. Rows are sealed in
    their own ``save()``; simple-history's bulk helpers (``bulk_create_with_history``),
    which skip ``save()``, must not be used on these models."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("bases", (ChainedHistory,))
        super().__init__(*args, **kwargs)

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        table = f"{model._meta.app_label}_historical{model._meta.model_name}"
        meta["constraints"] = [chain_constraint(table, [model._meta.pk.attname])]
        return meta


def chained_models() -> list[type[ChainedRow]]:
    """Every model whose rows chain per object: the field histories and the reveal log."""
    return [model for model in global_apps.get_models() if issubclass(model, ChainedRow)]


# --- checking a chain -------------------------------------------------------------------------

UNSEALED = "it carries no seal: it was written behind the application's back (or before the chain was keyed)"
CHANGED = "its content no longer matches its seal: it was changed"
GAP = "its position follows a gap: the row(s) before it in this chain were removed"
UNLINKED = "it does not link to the row before it: a row before it was removed or rewritten"


def chain_faults(model: type[ChainedRow]) -> Iterator[tuple[ChainedRow, str]]:
    """Rows of ``model``, chain by chain, whose seal, position or link does not hold."""
    columns = model.chain_columns()
    rows = model._base_manager.order_by(*columns, "chain_seq", model._meta.pk.attname).iterator(
        chunk_size=2000
    )
    chain, expected, previous = None, 1, ""
    for row in rows:
        key = tuple(getattr(row, column) for column in columns)
        if key != chain:
            chain, expected, previous = key, 1, ""
        if not row.chain_hash or row.chain_seq == 0:
            yield row, UNSEALED
        elif not seal_holds(row):
            yield row, CHANGED
        elif row.chain_seq != expected:
            yield row, GAP
        elif row.chain_previous != previous:
            yield row, UNLINKED
        expected, previous = row.chain_seq + 1, row.chain_hash


# --- sealing what was written before the chain was keyed (migrations) -------------------------


def seal_unsealed(model: type[models.Model], columns: Iterable[str], order: Iterable[str]) -> int:
    """Seal and link every row of ``model`` (a migration's historical model is fine) that
    has no seal yet, chain by chain in ``order``; rows sealed already are left alone.
    Returns how many were sealed."""
    columns, order = tuple(columns), tuple(order)
    sealed = 0
    batch: list[models.Model] = []
    chain, previous = None, None
    rows = model._base_manager.order_by(*columns, *order)
    for row in rows.iterator(chunk_size=2000):
        key = tuple(getattr(row, column) for column in columns)
        if key != chain:
            chain, previous = key, None
        if row.chain_hash and row.chain_seq:
            previous = (row.chain_seq, row.chain_hash)
            continue
        ChainedRow.seal(row, previous)
        previous = (row.chain_seq, row.chain_hash)
        batch.append(row)
        if len(batch) >= 1000:
            sealed += _write_seals(model, batch)
    return sealed + _write_seals(model, batch)


def _write_seals(model, batch: list) -> int:
    count = len(batch)
    with transaction.atomic():
        model._base_manager.bulk_update(batch, ["chain_seq", "chain_previous", "chain_hash"])
    batch.clear()
    return count


def seal_history_in_migration(app_label: str):
    """A migration operation's function: seal the field history of ``app_label``'s models."""

    def run(apps, schema_editor) -> None:
        for model in global_apps.get_app_config(app_label).get_models():
            if not issubclass(model, ChainedHistory):
                continue
            try:
                at_this_point = apps.get_model(app_label, model.__name__)
            except LookupError:
                continue  # a model a later migration makes: it has no rows to seal yet
            seal_unsealed(at_this_point, model.chain_columns(), ("history_date", "history_id"))

    return run
