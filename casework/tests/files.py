"""Real files for upload tests, good and crafted: every upload is read whole (see
``casework.core.evidence``), so a test's file must be what it claims, or precisely not."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "pdf": "application/pdf"}


def picture(format: str, size: tuple[int, int] = (16, 12), **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 220, 240)).save(out, format=format, **options)
    return out.getvalue()


def pdf(change=None) -> bytes:
    """A one-page A4 PDF; ``change(writer, page)`` may add to it before it is written."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    if change is not None:
        change(writer, page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, idat: bytes) -> bytes:
    """A PNG of 8-bit grey pixels with the given size and compressed data, as a crafter writes it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def decompression_bomb_png() -> bytes:
    """10,000 x 10,000 black pixels (100 MB decoded) in under 100 KB."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + 10_000)  # filter byte, then the row
    data = b"".join(compressor.compress(row) for _ in range(10_000)) + compressor.flush()
    return png_declaring(10_000, 10_000, data)


def _set_open_action(action):
    def change(writer, page):
        writer._root_object[NameObject("/OpenAction")] = action(page)

    return change


# The good ones: what Pillow and pypdf write, so the check's re-encoding keeps these bytes.
PNG = picture("PNG")
JPEG = picture("JPEG", quality=90)
PDF = pdf()
# A PDF that opens on its first page, fitted: an ordinary destination, not an action.
PDF_OPENING_AT_PAGE_ONE = pdf(
    _set_open_action(lambda page: ArrayObject([page.indirect_reference, NameObject("/Fit")]))
)


def jpeg_with_gps() -> bytes:
    """A phone photo that says where it was taken (EXIF GPS: Shanghai)."""
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    return picture("JPEG", exif=exif.tobytes())


JPEG_WITH_GPS = jpeg_with_gps()

# The crafted ones.
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
PNG_THEN_HTML = PNG + HTML
PDF_HEADER_THEN_HTML = b"%PDF-1.7\n" + HTML
PDF_THEN_HTML = PDF + HTML
JPEG_THEN_HTML = JPEG + HTML
PNG_OF_100000_BY_100000 = png_declaring(100_000, 100_000, zlib.compress(bytes(1_000)))
PNG_BOMB = decompression_bomb_png()
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + bytes(48)
    + b"This program cannot be run in DOS mode."
)
PDF_WITH_JAVASCRIPT = pdf(
    _set_open_action(
        lambda page: DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
        )
    )
)
PDF_WITH_LAUNCH = pdf(
    _set_open_action(
        lambda page: DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
        )
    )
)
PDF_WITH_EMBEDDED_FILE = pdf(lambda writer, page: writer.add_attachment("setup.exe", EXE))
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def upload(name: str, content: bytes, content_type: str | None = None) -> SimpleUploadedFile:
    """The file as a browser sends it: the content type its extension says, unless told."""
    extension = name.rpartition(".")[2].lower()
    declared = content_type or CONTENT_TYPES.get(extension, "application/octet-stream")
    return SimpleUploadedFile(name, content, content_type=declared)
