"""Checking an uploaded evidence file before anything is written: its type by name and by
its first bytes (a renamed executable is not a scan), and its size."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings

from .errors import InvalidInput

EVIDENCE_EXTENSIONS = ("pdf", "jpg", "jpeg", "png")
# What each accepted file type starts with.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


def check_evidence_file(file, *, field: str = "file") -> None:
    """Refuse a file of the wrong type or too large, naming it and the field."""
    extension = PurePath(file.name).suffix.lower().lstrip(".")
    if extension not in EVIDENCE_EXTENSIONS:
        allowed = ", ".join(EVIDENCE_EXTENSIONS)
        raise InvalidInput(
            f"'{file.name}' is not an accepted evidence file; send one of: {allowed}.", field=field
        )
    head = file.read(8)
    file.seek(0)
    if not any(head.startswith(signature) for signature in SIGNATURES[extension]):
        raise InvalidInput(f"'{file.name}' is not really a {extension.upper()} file.", field=field)
    if file.size > settings.EVIDENCE_MAX_BYTES:
        raise InvalidInput(
            f"'{file.name}' is larger than the {human_size(settings.EVIDENCE_MAX_BYTES)} limit.", field=field
        )


def discard_file_of(record) -> None:
    """After a rolled-back save: the stored file must not outlive its row."""
    # Only a file the save stored: a refused upload never reached storage, and its bare
    # name could be someone else's file.
    if record.file and record.file._committed:
        record.file.storage.delete(record.file.name)
