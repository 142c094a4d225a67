"""Uploaded files (refund evidence, authentication evidence, complaint attachments): the one
check every upload passes before anything is written, whichever door it came through, and
what their authorised download needs (its address, its type, its Content-Disposition).

The check reads the whole file, not its first bytes: the extension, the type the client
declared and the type the bytes are must agree, on a short allow-list (PDF, JPEG, PNG);
an image is decoded in full under a pixel limit, must end where its format says it ends,
and is re-encoded, which drops its metadata (a phone photo's GPS position) and anything
hidden in it; a PDF is parsed strictly, every page read, must end at its ``%%EOF`` and
carry no active content (JavaScript, launch actions, embedded files).

Each case app registers its file models (``register``) from its ``AppConfig.ready``, so
the download view learns which record belongs to which case without importing them.
"""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.translation import gettext

from casework.core.errors import InvalidInput


@dataclass(frozen=True)
class FileType:
    """One accepted kind of file: its names, the content types a client may declare for it,
    the one it is stored and served as, and the bytes it starts with."""

    label: str
    extensions: tuple[str, ...]
    content_type: str
    declared_as: tuple[str, ...]
    signature: bytes


PDF = FileType("PDF", ("pdf",), "application/pdf", ("application/pdf", "application/x-pdf"), b"%PDF-")
JPEG = FileType(
    "JPEG", ("jpg", "jpeg"), "image/jpeg", ("image/jpeg", "image/jpg", "image/pjpeg"), b"\xff\xd8\xff"
)
PNG = FileType("PNG", ("png",), "image/png", ("image/png", "image/x-png"), b"\x89PNG\r\n\x1a\n")
# The allow-list: nothing else is stored (no executables, no HTML, no SVG, no archives).
FILE_TYPES = (PDF, JPEG, PNG)
EVIDENCE_EXTENSIONS = tuple(extension for kind in FILE_TYPES for extension in kind.extensions)
BY_EXTENSION = {extension: kind for kind in FILE_TYPES for extension in kind.extensions}
# What a client sends when it does not say what the file is (curl, some apps): not a claim.
UNDECLARED = ("", "application/octet-stream")

# Names in a PDF that run something or carry a file inside it, as keys or action types.
PDF_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/RichMedia", "/XFA"}
)
PDF_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute", "/GoToE", "/EmbeddedFile"}
)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


class Refused(Exception):
    """Why a file's content is not what it claims to be (said after its name)."""


# The check.


def check_evidence_file(file, *, field: str = "file"):
    """Refuse a file that is not wholly what its name and declared type say, or too large,
    naming it and the field; answer the file to store (an image re-encoded)."""
    try:
        return checked_file(file)
    except ValidationError as refusal:
        raise InvalidInput(refusal.messages[0], field=field) from None


def validate_evidence_file(file) -> None:
    """The model fields' validator: the same check, for any form built on the model."""
    if getattr(file, "_committed", False):
        return  # stored already, checked when it came in
    checked_file(file)


def checked_file(file):
    """The check itself (``ValidationError``); its answer is kept on the upload, so the
    form's validation and the service that stores it read and decode it once."""
    if isinstance(file, FieldFile) and not file._committed:
        file = file.file  # a model form's copy of the upload: check the upload itself
    cached = getattr(file, "_evidence_checked", None)
    if cached is not None:
        return cached
    name = PurePath(file.name or "").name
    extension = PurePath(name).suffix.lower().lstrip(".")
    kind = BY_EXTENSION.get(extension)
    if kind is None:
        raise ValidationError(
            gettext("'%(name)s' is not an accepted evidence file; send one of: %(allowed)s.")
            % {"name": name, "allowed": ", ".join(EVIDENCE_EXTENSIONS)},
            code="extension",
        )
    limit = settings.EVIDENCE_MAX_BYTES
    too_large = ValidationError(
        gettext("'%(name)s' is larger than the %(limit)s limit.")
        % {"name": name, "limit": human_size(limit)},
        code="size",
    )
    if file.size is not None and file.size > limit:
        raise too_large  # before reading it
    declared = (getattr(file, "content_type", None) or "").split(";")[0].strip().lower()
    if declared not in UNDECLARED and declared not in kind.declared_as:
        raise ValidationError(
            gettext("'%(name)s' was sent as %(declared)s; a %(type)s file is sent as %(expected)s.")
            % {"name": name, "declared": declared, "type": kind.label, "expected": kind.content_type},
            code="content_type",
        )
    file.seek(0)
    data = file.read(limit + 1)
    file.seek(0)
    if len(data) > limit:
        raise too_large
    if not data.startswith(kind.signature):
        raise ValidationError(
            gettext("'%(name)s' is not really a %(type)s file.") % {"name": name, "type": kind.label},
            code="type",
        )
    try:
        if kind is PDF:
            _check_pdf(data)
            answer = file
        else:
            answer = ContentFile(_reencoded_image(data, kind), name=name)
    except Refused as refusal:
        raise ValidationError(
            gettext("'%(name)s' is refused: %(why)s") % {"name": name, "why": refusal}, code="content"
        ) from None
    answer._evidence_checked = answer  # the re-encoded file passes as it is
    file._evidence_checked = answer
    return answer


# Images.


def _png_end(data: bytes) -> tuple[int, int]:
    """Where the PNG's IEND chunk ends, and its pixel count (from IHDR, the first chunk):
    each chunk is length, type, data, CRC."""
    if data[12:16] != b"IHDR":
        raise Refused(gettext("the image is damaged."))
    pixels = int.from_bytes(data[16:20], "big") * int.from_bytes(data[20:24], "big")
    at = len(PNG.signature)
    while at + 12 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        at += 12 + length
        if kind == b"IEND":
            return at, pixels
    raise Refused(gettext("the image is cut short."))


# Start-of-frame markers, which carry the picture's height and width.
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_end(data: bytes) -> tuple[int, int]:
    """Where the JPEG's end-of-image marker ends, and its largest frame's pixel count,
    walking its segments and the entropy-coded data after each start-of-scan (a 0xFF there
    is followed by 0x00 or a restart marker)."""
    at, size, pixels = 2, len(data), 0
    while at < size:
        if data[at] != 0xFF:
            raise Refused(gettext("the image is damaged."))
        while at < size and data[at] == 0xFF:  # fill bytes
            at += 1
        if at >= size:
            break
        marker = data[at]
        at += 1
        if marker == 0xD9:  # end of image
            return at, pixels
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        if at + 2 > size:
            break
        if marker in SOF_MARKERS and at + 7 <= size:
            height = int.from_bytes(data[at + 3 : at + 5], "big")
            width = int.from_bytes(data[at + 5 : at + 7], "big")
            pixels = max(pixels, height * width)
        at += int.from_bytes(data[at : at + 2], "big")
        if marker == 0xDA:  # start of scan: skip the coded data to the next real marker
            while True:
                at = data.find(b"\xff", at)
                if at < 0 or at + 1 >= size:
                    raise Refused(gettext("the image is cut short."))
                following = data[at + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    at += 2
                    continue
                break
    raise Refused(gettext("the image is cut short."))


def _reencoded_image(data: bytes, kind: FileType) -> bytes:
    """The picture decoded in full and written again: pixels and colour profile kept,
    metadata (EXIF with GPS, text chunks) and anything after the image dropped."""
    from PIL import Image, ImageOps

    limit = settings.EVIDENCE_MAX_PIXELS
    too_many = Refused(gettext("the image has more than %(limit)s pixels.") % {"limit": f"{limit:,}"})
    end, pixels = _png_end(data) if kind is PNG else _jpeg_end(data)
    if pixels > limit:
        raise too_many  # before anything is decompressed
    if end != len(data):
        raise Refused(gettext("data follows the end of the image."))
    formats = [kind.label]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            width, height = image.size
            if width * height > limit:
                raise too_many
            image.verify()
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.load()
            options = {key: image.info[key] for key in ("icc_profile", "dpi") if image.info.get(key)}
            out = io.BytesIO()
            if kind is PNG:
                if "transparency" in image.info:
                    options["transparency"] = image.info["transparency"]
                image.save(out, format="PNG", **options)
            elif image.getexif().get(0x0112, 1) != 1:
                # Without its EXIF the photo would show on its side: turn the pixels instead.
                ImageOps.exif_transpose(image).save(out, format="JPEG", quality=95, **options)
            else:
                image.save(out, format="JPEG", quality="keep", **options)
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many from None
    except Exception:  # Pillow's many ways of saying "this is not a valid image"
        raise Refused(gettext("the image cannot be read.")) from None
    return out.getvalue()


# PDF.


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    if not data.rstrip(b" \t\r\n\f").endswith(b"%%EOF"):
        raise Refused(gettext("the document does not end at its %%EOF (something follows it)."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if reader.is_encrypted:
            raise Refused(gettext("the document is encrypted or password-protected."))
        if not reader.pages:
            raise Refused(gettext("the document has no pages."))
        for page in reader.pages:
            contents = page.get_contents()
            if contents is not None:
                contents.operations  # noqa: B018  parsed: every page must read
        # Every object reachable from the trailer, once, looking for active content.
        seen: set[tuple[int, int]] = set()
        pending = [reader.trailer]
        while pending:
            node = pending.pop()
            if isinstance(node, IndirectObject):
                if (node.idnum, node.generation) in seen:
                    continue
                seen.add((node.idnum, node.generation))
                node = node.get_object()
            if isinstance(node, DictionaryObject):
                for key, value in node.items():
                    is_action = isinstance(value, NameObject) and value in PDF_ACTIVE_ACTIONS
                    if key in PDF_ACTIVE_KEYS or is_action:
                        raise Refused(
                            gettext("the document carries active content or an embedded file (%(name)s).")
                            % {"name": value if key in ("/S", "/Type") else key}
                        )
                    pending.append(value)
            elif isinstance(node, ArrayObject):
                pending.extend(node)
    except Refused:
        raise
    except Exception:  # pypdf's errors, and anything a broken file makes it trip over
        raise Refused(gettext("the document is not a readable PDF.")) from None


# Storing and serving.


def unguessable_path(folder: str, filename: str) -> str:
    """``<folder>/<random>/<filename>``: the uploader's name is kept for the download, and
    nobody can guess where a file is from a case's reference."""
    return f"{folder}/{secrets.token_hex(12)}/{filename}"


def stored_content_type(name: str) -> str:
    """The type a stored file is served as: its accepted type (checked against its bytes when
    it came in), or opaque bytes for anything older than the check."""
    kind = BY_EXTENSION.get(PurePath(name).suffix.lower().lstrip("."))
    return kind.content_type if kind else "application/octet-stream"


def attachment_disposition(filename: str) -> str:
    """``Content-Disposition: attachment`` with the file's name for any browser: an ASCII
    fallback, and the name itself in RFC 5987 form (RFC 6266, section 4.3)."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback).strip("._") or "file"
    suffix = PurePath(filename).suffix
    if suffix.isascii() and not fallback.endswith(suffix):
        fallback += suffix
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# Which record holds which case's file: learnt from each app's ready().
_CASE_OF: dict[type[models.Model], str] = {}


def register(model: type[models.Model], *, case: str) -> None:
    """``model``'s ``file`` belongs to the case its ``case`` foreign key points at."""
    _CASE_OF[model] = case


def case_field_of(model: type[models.Model]) -> str | None:
    return _CASE_OF.get(model)


def download_url(record: models.Model) -> str:
    meta = record._meta
    return reverse("admin:casework_filedownload_download", args=[meta.app_label, meta.model_name, record.pk])


class EvidenceFieldFile(FieldFile):
    """A stored evidence file, whose address is its authorised download, never the storage's."""

    @property
    def url(self) -> str:
        self._require_file()
        if self.instance.pk is None:
            raise ValueError("A file is downloaded once its record is saved.")
        return download_url(self.instance)


class EvidenceFileField(models.FileField):
    """A ``FileField`` whose uploads pass ``validate_evidence_file`` and whose links go
    through the authorised download (never ``/media/``)."""

    attr_class = EvidenceFieldFile
    default_validators = [validate_evidence_file]  # the extension too, in the check's words

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)


def discard_file_of(record) -> None:
    """After a rolled-back save: the stored file must not outlive its row."""
    # Only a file the save stored: a refused upload never reached storage, and its bare
    # name could be someone else's file.
    if record.file and record.file._committed:
        record.file.storage.delete(record.file.name)
