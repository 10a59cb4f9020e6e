"""Fixture documents built in code, so tests need no binary files in the repository.

Every builder returns the file's bytes. Texts for `make_pdf` must be latin-1 (fpdf2's core
fonts have no other glyphs).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import docx
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter


def make_pdf(pages: list[str]) -> bytes:
    """A PDF with a text layer, one page per string."""
    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(w=0, h=7, text=text)
    return bytes(pdf.output())


def _scan_image(lines: Sequence[str]) -> Image.Image:
    # Letter size at 200 dpi with a 40 px font: big and clean enough for Tesseract to read exactly.
    image = Image.new("L", (1700, 2200), color=255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=40)
    for row, line in enumerate(lines):
        draw.text((150, 200 + row * 70), line, fill=0, font=font)
    return image


def make_scanned_pdf(lines: list[str]) -> bytes:
    """A one-page PDF that is only an image of the lines: no text layer, so only OCR can read it."""
    out = io.BytesIO()
    _scan_image(lines).save(out, format="PDF", resolution=200)
    return out.getvalue()


def make_png_scan(lines: list[str]) -> bytes:
    out = io.BytesIO()
    _scan_image(lines).save(out, format="PNG", dpi=(200, 200))
    return out.getvalue()


def make_docx(
    paragraphs: list[str],
    table: list[list[str]] | None = None,
    *,
    after_table: Sequence[str] = (),
    header: str | None = None,
) -> bytes:
    """Paragraphs, then the table (rows of cell texts), then `after_table` paragraphs."""
    document = docx.Document()
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for cells, row in zip(grid.rows, table, strict=True):
            for cell, text in zip(cells.cells, row, strict=False):
                cell.text = text
    for text in after_table:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_eml(
    subject: str,
    body: str | None,
    html_body: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> bytes:
    """An e-mail; `body=None` with an `html_body` makes an HTML-only message, as court notices often are."""
    message = EmailMessage()
    message["From"] = "Court Clerk <clerk@court.example.com>"
    message["To"] = "Counsel <counsel@firm.example.com>"
    message["Cc"] = "Docketing <docketing@firm.example.com>"
    message["Date"] = format_datetime(datetime(2023, 1, 13, 9, 30, tzinfo=UTC))
    message["Subject"] = subject
    message["Message-ID"] = "<fixture-1@court.example.com>"
    if body is not None:
        message.set_content(body)
        if html_body is not None:
            message.add_alternative(html_body, subtype="html")
    elif html_body is not None:
        message.set_content(html_body, subtype="html")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def make_encrypted_pdf(text: str, user_password: str = "secret") -> bytes:
    """AES-256 encrypted; with `user_password=""` it opens without a password (owner-restricted only)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([text]))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_zip_bomb_docx(megabytes: int = 300) -> bytes:
    """A real DOCX plus one member of `megabytes` MB of zeros: a few hundred KB on disk."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(make_docx(["Looks harmless."]))) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        # Streamed in 1 MB chunks so building the fixture never holds the expanded member in memory.
        zeros = bytes(1 << 20)
        with bomb.open("word/media/image1.png", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(zeros)
    return out.getvalue()


def join_pdfs(*pdfs: bytes) -> bytes:
    """One PDF with the pages of all, e.g. a text page followed by a scanned one."""
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
