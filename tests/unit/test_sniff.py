import io
import tempfile
import zipfile
from collections.abc import Callable

import pytest
from PIL import Image

from app import sniff as mime
from app.sniff import sniff
from tests import docs


def _image(fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format=fmt, **options)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _sniff(data: bytes, filename: str = "upload") -> str:
    return sniff(io.BytesIO(data), filename)


CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "pdf": (lambda: docs.make_pdf(["Hello"]), mime.PDF),
    "pdf after a blank line": (lambda: b"\r\n" + docs.make_pdf(["Hello"]), mime.PDF),
    "pdf after whitespace lines": (lambda: b"  \n\n\t" + docs.make_pdf(["Hello"]), mime.PDF),
    "scanned pdf": (lambda: docs.make_scanned_pdf(["Hello"]), mime.PDF),
    "encrypted pdf": (lambda: docs.make_encrypted_pdf("Hello"), mime.PDF),
    "corrupt pdf": (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 4, mime.PDF),
    "docx": (lambda: docs.make_docx(["Hello"]), mime.DOCX),
    "truncated docx": (lambda: docs.make_docx(["Hello"] * 200)[:6000], mime.DOCX),
    "xlsx": (
        lambda: _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
        mime.XLSX,
    ),
    "pptx": (lambda: _zip({"ppt/presentation.xml": b"<presentation/>"}), mime.PPTX),
    "odt": (
        lambda: _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
        "application/vnd.oasis.opendocument.text",
    ),
    "zip": (lambda: _zip({"notes.txt": b"hello"}), mime.ZIP),
    "png": (lambda: docs.make_png_scan(["Hello"]), mime.PNG),
    "jpeg": (lambda: _image("JPEG"), mime.JPEG),
    "tiff little-endian": (lambda: _image("TIFF"), mime.TIFF),
    "tiff big-endian": (lambda: b"MM\x00*\x00\x00\x00\x08" + bytes(64), mime.TIFF),
    "gif": (lambda: _image("GIF"), mime.GIF),
    "webp": (lambda: _image("WEBP"), mime.WEBP),
    "rtf": (lambda: b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Hello}", mime.RTF),
    "ole2 (old .doc)": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), mime.OLE2),
    "eml": (lambda: docs.make_eml("Hearing", "See you."), mime.EML),
    "eml with received chain": (
        lambda: (
            b"Received: from mx.example.com\n\tby mx2.example.com; Fri, 13 Jan 2023\n"
            b"Return-Path: <a@example.com>\nSubject: Notice\n\nBody\n"
        ),
        mime.EML,
    ),
    "eml with headers longer than the head": (
        lambda: (
            b"Return-Path: <a@example.com>\n"
            + b"Received: from relay.example.com by mx.example.com; Fri, 13 Jan 2023\n" * 200
            + b"Subject: Notice\n\nBody\n"
        ),
        mime.EML,
    ),
    "html doctype": (lambda: b"<!DOCTYPE html>\n<html><body><p>Hi</p></body></html>", mime.HTML),
    "html with bom and whitespace": (lambda: b"\xef\xbb\xbf\n  <HTML lang=en><p>Hi</p>", mime.HTML),
    "html after a comment": (lambda: b"<!-- saved page -->\n<head><title>x</title></head>", mime.HTML),
    "html fragment body": (lambda: b"<body>\n<p>Hi</p></body>", mime.HTML),
    "utf-8 text": (lambda: "Ünïcödé contract “terms” — 5 €\n".encode() * 3, mime.TEXT),
    "latin-1 text": (lambda: "Café, naïve façade.\n".encode("latin-1"), mime.TEXT),
    "cp1252 text": (lambda: b"\x93Quoted\x94 \x96 dash\r\n", mime.TEXT),
    "typed memo": (lambda: b"TO: Partner\nFROM: Associate\nDATE: 1 May 2024\nRE: Smith\n\nText", mime.TEXT),
    "text mentioning %PDF-": (lambda: b"The file header reads %PDF-1.7 on its first line.\n", mime.TEXT),
    "binary": (lambda: bytes(range(256)) * 8, mime.BINARY),
    "empty": (lambda: b"", mime.BINARY),
}


@pytest.mark.parametrize("name", CASES)
def test_sniffs_type_from_content(name: str) -> None:
    build, expected = CASES[name]
    assert _sniff(build()) == expected


def test_markdown_needs_text_content_and_a_markdown_name() -> None:
    assert _sniff(b"# Terms\n\n1. **Use**.", "nda.md") == mime.MARKDOWN
    assert _sniff(b"# Terms\n", "NDA.Markdown") == mime.MARKDOWN
    assert _sniff(b"# Terms\n", "nda.txt") == mime.TEXT
    assert _sniff(bytes(range(256)), "nda.md") == mime.BINARY


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (docs.make_pdf(["Hello"]), "contract.docx", mime.PDF),
        (b"Just a note, not a PDF.\n", "scan.pdf", mime.TEXT),
        (docs.make_docx(["Hello"]), "letter.pdf", mime.DOCX),
        (docs.make_png_scan(["Hello"]), "evidence.txt", mime.PNG),
    ],
)
def test_extension_does_not_decide(data: bytes, filename: str, expected: str) -> None:
    assert _sniff(data, filename) == expected


def test_utf8_character_cut_by_the_head_is_still_text() -> None:
    data = b"a" * (mime.HEAD_BYTES - 1) + "é and more".encode()
    assert _sniff(data, "long.txt") == mime.TEXT


@pytest.mark.parametrize("data", [docs.make_pdf(["Hello"]), docs.make_docx(["Hello"]), b"plain text"])
def test_stream_is_left_at_start(data: bytes) -> None:
    stream = io.BytesIO(data)
    stream.seek(5)
    sniff(stream, "x")
    assert stream.tell() == 0


@pytest.mark.parametrize("spool_limit", [1 << 20, 16], ids=["in memory", "on disk"])
def test_sniffs_werkzeug_style_spooled_upload(spool_limit: int) -> None:
    with tempfile.SpooledTemporaryFile(max_size=spool_limit) as upload:
        upload.write(docs.make_docx(["Hello"]))
        assert sniff(upload, "upload.docx") == mime.DOCX
        assert upload.tell() == 0
