"""Decide a file's MIME type from its content; the name only tells Markdown from plain text."""

from __future__ import annotations

import re
import zipfile
from typing import IO

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ZIP = "application/zip"
OLE2 = "application/x-ole-storage"  # old .doc/.xls/.msg: the container does not say which
RTF = "application/rtf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
GIF = "image/gif"
WEBP = "image/webp"
EML = "message/rfc822"
HTML = "text/html"
TEXT = "text/plain"
MARKDOWN = "text/markdown"
BINARY = "application/octet-stream"

HEAD_BYTES = 8192

# What the case page calls each type.
LABELS = {
    PDF: "PDF",
    DOCX: "Word document",
    XLSX: "Excel workbook",
    PPTX: "PowerPoint",
    ZIP: "ZIP archive",
    OLE2: "old Office file",
    RTF: "RTF document",
    PNG: "PNG image",
    JPEG: "JPEG image",
    TIFF: "TIFF image",
    GIF: "GIF image",
    WEBP: "WebP image",
    EML: "e-mail",
    HTML: "HTML page",
    TEXT: "text",
    MARKDOWN: "Markdown",
    BINARY: "binary file",
}


def label(mime: str | None) -> str:
    return LABELS.get(mime or "", mime or "unknown type")


_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE2),
    (b"{\\rtf", RTF),
]
# Readers accept the header anywhere in the first 1024 bytes and real files may start with a blank
# line; asking for it at a line start keeps a note that merely mentions "%PDF-" a text file.
_PDF_HEADER = re.compile(rb"(?m)^[ \t\r\f\x00]*%PDF-")
_OOXML_PARTS = [("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX)]
# Typed memos also open with "To:/From:/Date:/Re:" lines, so a message must carry at least one header
# that only mail software writes as well as two that look like mail headers.
_MAIL_HEADERS = {"from", "to", "cc", "subject", "date", "reply-to", "sender"}
_MACHINE_HEADERS = {"received", "return-path", "mime-version", "message-id", "delivered-to", "content-type"}
_HEADER_LINE = re.compile(r"([A-Za-z0-9-]+):")
_HTML_START = re.compile(
    r"\s*(?:<\?xml.*?\?>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.I | re.S
)


def sniff(stream: IO[bytes], filename: str) -> str:
    """The MIME type of `stream`'s content. Reads a head (and a ZIP's directory), then rewinds to 0."""
    try:
        stream.seek(0)
        head = stream.read(HEAD_BYTES)
        for magic, mime in _MAGIC:
            if head.startswith(magic):
                return mime
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return WEBP
        if _PDF_HEADER.search(head[:1024]):
            return PDF
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return _zip_type(stream, head, filename)
        truncated = len(head) == HEAD_BYTES
        text = _as_text(head, truncated=truncated)
        if text is None:
            return BINARY
        if _looks_like_email(text, truncated=truncated):
            return EML
        if _HTML_START.match(text):
            return HTML
        if filename.lower().endswith((".md", ".markdown")):
            return MARKDOWN
        return TEXT
    finally:
        stream.seek(0)


def _zip_type(stream: IO[bytes], head: bytes, filename: str) -> str:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            for part, mime in _OOXML_PARTS:
                if part in names:
                    return mime
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared.startswith("application/vnd.oasis.opendocument."):
                    return declared
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        # A truncated or damaged archive has no readable directory; the first local headers in the
        # head still name its parts, so a broken DOCX is still reported (and refused) as a DOCX.
        for part, mime in _OOXML_PARTS:
            if part.split("/")[0].encode() + b"/" in head:
                return mime
        # Cut off before any part was named: the content says "damaged ZIP", and only then is the
        # name allowed to say which kind, so the file is reported as a corrupt DOCX, not a mystery.
        if filename.lower().endswith(".docx"):
            return DOCX
    return ZIP


def _as_text(head: bytes, *, truncated: bool) -> str | None:
    """The head decoded, when it reads as text: UTF-8 (or UTF-16 with a BOM) or mostly printable 8-bit."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    if not head or b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The head may cut a multi-byte character in two.
        if truncated and error.start >= len(head) - 3:
            text = head[: error.start].decode("utf-8")
        else:
            text = head.decode("latin-1")
    controls = sum(1 for char in text if (char < " " and char not in "\t\n\r\f\v\x1b") or char == "\x7f")
    return text.lstrip("\ufeff") if controls <= len(text) * 0.02 else None


def _looks_like_email(text: str, *, truncated: bool) -> bool:
    lines = text.splitlines()
    if truncated:  # a long Received chain can fill the head and cut its last line short
        lines = lines[:-1]
    if lines and lines[0].startswith("From "):  # mbox separator line
        lines = lines[1:]
    names: set[str] = set()
    for line in lines:
        if not line.strip():
            break
        if line[0] in " \t":  # folded continuation of the previous header
            continue
        match = _HEADER_LINE.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    return len(names & (_MAIL_HEADERS | _MACHINE_HEADERS)) >= 2 and bool(names & _MACHINE_HEADERS)
