"""Anchors: the trail's state, written periodically where the database cannot rewrite it.

Each anchor is one line of ``settings.AUDIT_ANCHOR_FILE`` (JSON, appended and fsynced
under a file lock): for the rows of every sealed table (transition records, each field
history, the reveal log) written in the window since the last line, their count and a
SHA-256 over their seals in time order, the running totals, the hash of the line before
and an HMAC of the line under the chain's key. ``verify_audit_chain`` recomputes every
window from the database: a row removed, added or rewritten behind an anchor shows, even
the newest rows removed (which no chain link can show) and even a rewrite by someone who
holds the key, once the line's digest was published.

A window ends ``AUDIT_ANCHOR_SETTLE_SECONDS`` before the anchor is written, and before
the oldest transaction still open on PostgreSQL, so no row can still join a window that
was anchored.
"""

from __future__ import annotations

import bisect
import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from casework.core.chain import chain_keys, chained_models, holds, mac
from casework.models import TransitionRecord


@dataclass(frozen=True)
class SealedTable:
    label: str
    model: type[models.Model]
    time_field: str
    seal_field: str

    def rows(self) -> models.QuerySet:
        return self.model._base_manager.order_by(self.time_field, self.model._meta.pk.attname)


def sealed_tables() -> list[SealedTable]:
    tables = [SealedTable("casework.transitionrecord", TransitionRecord, "created_at", "record_hash")]
    for model in chained_models():
        tables.append(SealedTable(model._meta.label_lower, model, model.chain_time_field, "chain_hash"))
    return tables


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def settled_until(now: dt.datetime) -> dt.datetime:
    """The end of the window an anchor written ``now`` may close."""
    until = now - dt.timedelta(seconds=settings.AUDIT_ANCHOR_SETTLE_SECONDS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
            (oldest,) = cursor.fetchone()
        if oldest is not None:
            until = min(until, oldest - dt.timedelta(seconds=settings.AUDIT_ANCHOR_SETTLE_SECONDS))
    return until


def _signed_part(line: dict) -> bytes:
    return json.dumps(
        {k: v for k, v in line.items() if k != "mac"}, sort_keys=True, separators=(",", ":")
    ).encode()


def _last_line(file) -> bytes:
    file.seek(0, os.SEEK_END)
    end = position = file.tell()
    tail = b""
    while position > 0 and tail.count(b"\n") < 2:
        step = min(4096, position)
        position -= step
        file.seek(position)
        tail = file.read(step) + tail
    lines = tail[: end - position].splitlines()
    return lines[-1] if lines else b""


def write_anchor(now: dt.datetime | None = None) -> tuple[dict, str]:
    """Append one anchor line; return it and its digest (SHA-256 of the line), which an
    operator may publish."""
    now = now or timezone.now()
    path = Path(settings.AUDIT_ANCHOR_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)  # two beats overlapping never share a window
        raw_last = _last_line(file)
        last = json.loads(raw_last) if raw_last else None
        since = dt.datetime.fromisoformat(last["until"]) if last else None
        until = settled_until(now)
        if since is not None and until < since:
            until = since
        chains, totals = {}, {}
        for table in sealed_tables():
            rows = table.rows().filter(**{f"{table.time_field}__lt": until})
            if since is not None:
                rows = rows.filter(**{f"{table.time_field}__gte": since})
            digest, count = hashlib.sha256(), 0
            for seal in rows.values_list(table.seal_field, flat=True).iterator(chunk_size=5000):
                digest.update(seal.encode() + b"\n")
                count += 1
            if count:
                chains[table.label] = [count, digest.hexdigest()]
            totals[table.label] = (last["totals"].get(table.label, 0) if last else 0) + count
        line = {
            "at": _time(now),
            "since": _time(since) if since else None,
            "until": _time(until),
            "chains": chains,
            "totals": totals,
            "previous": hashlib.sha256(raw_last).hexdigest() if raw_last else "",
        }
        line["mac"] = mac(_signed_part(line))
        encoded = json.dumps(line, sort_keys=True, separators=(",", ":")).encode()
        file.write(encoded + b"\n")
        file.flush()
        os.fsync(file.fileno())
    if created:  # the new file's name must survive a crash too
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return line, hashlib.sha256(encoded).hexdigest()


def anchor_lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line.strip()] if path.exists() else []


def anchor_faults() -> tuple[int, list[tuple[str, str]]]:
    """How many anchors there are, and what in the file or the database does not match them."""
    chain_keys()  # a missing key is refused before anything is read
    path = Path(settings.AUDIT_ANCHOR_FILE)
    raw_lines = anchor_lines(path)
    faults: list[tuple[str, str]] = []
    windows: list[tuple[dt.datetime | None, dt.datetime, dict]] = []
    previous_raw, previous_until = b"", None
    for number, raw in enumerate(raw_lines, start=1):
        which = f"anchor line {number} of {path}"
        try:
            line = json.loads(raw)
            since = dt.datetime.fromisoformat(line["since"]) if line["since"] else None
            until = dt.datetime.fromisoformat(line["until"])
        except (ValueError, KeyError, TypeError):
            faults.append((which, "it is not an anchor: the file was changed"))
            continue
        if not holds(_signed_part(line), str(line.get("mac", ""))):
            faults.append((which, "its HMAC does not match: the line was changed or not written by us"))
            continue
        if line["previous"] != (hashlib.sha256(previous_raw).hexdigest() if previous_raw else ""):
            faults.append((which, "it does not follow the line before it: anchor lines were removed"))
        if since != previous_until:
            faults.append((which, "its window does not start where the one before it ended"))
        windows.append((since, until, line))
        previous_raw, previous_until = raw, until
    if not windows:
        return len(raw_lines), faults
    untils = [until for _since, until, _line in windows]
    for table in sealed_tables():
        found = [[0, hashlib.sha256()] for _ in windows]
        rows = table.rows().filter(**{f"{table.time_field}__lt": untils[-1]})
        for when, seal in rows.values_list(table.time_field, table.seal_field).iterator(chunk_size=5000):
            index = bisect.bisect_right(untils, when)
            found[index][0] += 1
            found[index][1].update(seal.encode() + b"\n")
        for (since, until, line), (count, digest) in zip(windows, found, strict=True):
            anchored_count, anchored_digest = line["chains"].get(
                table.label, [0, hashlib.sha256().hexdigest()]
            )
            if (count, digest.hexdigest()) == (anchored_count, anchored_digest):
                continue
            if count < anchored_count:
                what = f"{anchored_count - count} of them were removed"
            elif count > anchored_count:
                what = f"{count - anchored_count} were added behind the anchor's back"
            else:
                what = "some were rewritten"
            faults.append(
                (
                    f"{table.label} rows of {_time(since) if since else 'the start'} to {_time(until)}",
                    f"the anchor of {line['at']} holds {anchored_count}, the database {count}: {what}",
                )
            )
    return len(raw_lines), faults


def published_digests() -> Iterator[tuple[str, str]]:
    """Each anchor's time and digest, as an operator would publish them."""
    for raw in anchor_lines(Path(settings.AUDIT_ANCHOR_FILE)):
        yield json.loads(raw).get("at", "?"), hashlib.sha256(raw).hexdigest()
