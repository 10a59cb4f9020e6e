"""Text extraction from a stored file, page by page where the file has pages.

`extract` never raises for bad input: whatever cannot be read becomes `Extraction.unreadable`, a short
reason a user can act on, and the case goes on without that file.
"""

from __future__ import annotations

import logging
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import IO, Any, cast

import docx
import pytesseract
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from PIL import Image
from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import DependencyError

from app import sniff
from app.summarize import Page, Progress

# pypdf logs every robustness fix it applies to a non-conforming file (one sample merely starts with a
# blank line) as a warning. They say nothing a user can act on and would flood the worker log.
logging.getLogger("pypdf").setLevel(logging.ERROR)

OCR_UNAVAILABLE = "no text layer; OCR not available"
# Tesseract takes ~15 s for a 300-dpi page on two cores; a page taking 10x that is stuck, and a worker's
# time limit cannot interrupt the blocking wait on the subprocess.
OCR_TIMEOUT_S = 150
# Plain text is read up to this size: far more than a summary can use, and it bounds memory.
MAX_TEXT_BYTES = 20 * 1024 * 1024
# Refuse a DOCX that would expand beyond this, or with a large member compressed beyond this ratio.
# zipfile never inflates a member past its declared size, so checking the declared sizes is enough.
MAX_DOCX_BYTES = 200 * 1024 * 1024
MAX_DOCX_RATIO = 100
_RATIO_CHECK_FROM_BYTES = 10 * 1024 * 1024

_IMAGES = {sniff.PNG, sniff.JPEG, sniff.TIFF, sniff.GIF, sniff.WEBP}
# Text layers with broken font maps yield NUL and lone surrogates, which PostgreSQL text cannot store.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass
class Extraction:
    pages: list[Page] = field(default_factory=list)  # pages with text only; number=None without pages
    method: str | None = None  # "text layer", "ocr", "text layer + ocr", "text", "docx", "email", "html"
    page_count: int | None = None  # pages in a PDF (frames in a TIFF, 1 for other images)
    unreadable: str | None = None  # why no text at all could be read
    notes: list[str] = field(default_factory=list)  # partial reads, e.g. "pages 2-3 read by OCR"
    ocr_pages: int = 0  # pages put through OCR, counted against the case's OCR cap


def extract(
    stream: IO[bytes],
    content_type: str,
    *,
    max_pages: int = 500,
    max_ocr_pages: int = 20,
    progress: Progress | None = None,
) -> Extraction:
    """Read the text of a seekable binary stream whose type was sniffed from its content.

    A long PDF or a scan takes minutes: `progress` is called before each page ("page 40 of 154", "OCR of
    page 2 of 8") so the caller can show the step and keep its lease on the case alive.
    """
    report = progress or _ignore
    mime = content_type.split(";")[0].strip().lower()
    try:
        stream.seek(0)
        if mime == sniff.PDF:
            return _pdf(stream, max_pages, max_ocr_pages, report)
        if mime == sniff.DOCX:
            return _docx(stream)
        notes: list[str] = []
        if mime in (sniff.TEXT, sniff.MARKDOWN):
            return _single(_tidy(_read_text(stream, notes)), "text", notes)
        if mime == sniff.HTML:
            return _single(_html_to_text(_read_text(stream, notes)), "html", notes)
        if mime == sniff.EML:
            return _single(_email_text(stream), "email")
        if mime in _IMAGES:
            return _image(stream, min(max_pages, max_ocr_pages), report)
        return Extraction(unreadable=f"no text extracted: unsupported type ({mime or 'unknown'})")
    except Exception as error:
        return Extraction(unreadable=f"no text extracted: {_reason(error)}")


def _ignore(step: str) -> None:
    pass


def ocr_available() -> bool:
    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None


def _html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    """Collapse runs of spaces and blank lines, keep paragraph breaks, drop characters a DB refuses."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = _JUNK.sub("", text)
    text = re.sub(r"[^\S\n]+", " ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _single(text: str, method: str, notes: list[str] | None = None) -> Extraction:
    if not text:
        return Extraction(unreadable="no text extracted: the file holds no text", notes=notes or [])
    return Extraction(pages=[Page(None, text)], method=method, notes=notes or [])


def _reason(error: Exception) -> str:
    detail = str(error).strip()
    reason = f"{type(error).__name__}: {detail.splitlines()[0]}" if detail else type(error).__name__
    return reason[:160]


def _page_list(numbers: list[int]) -> str:
    """[2, 3, 5] -> "pages 2-3, 5"; [4] -> "page 4"."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
    return f"page {text}" if len(numbers) == 1 else f"pages {text}"


# --- PDF -------------------------------------------------------------------------------------------


def _pdf(stream: IO[bytes], max_pages: int, max_ocr_pages: int, report: Progress) -> Extraction:
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            return Extraction(unreadable="encrypted PDF (password protected)")
        count = len(reader.pages)
    except DependencyError as error:  # AES needs the `cryptography` package
        return Extraction(unreadable=f"encrypted PDF (cannot decrypt: {_reason(error)})")
    except Exception as error:
        return Extraction(unreadable=f"corrupt PDF: {_reason(error)}")

    texts: dict[int, str] = {}
    notes: list[str] = []
    without_text: list[int] = []
    read = max(0, min(count, max_pages))
    for number in range(1, read + 1):
        report(f"page {number} of {read}")
        try:
            text = _tidy(reader.pages[number - 1].extract_text())
        except Exception as error:
            notes.append(f"page {number}: text not read ({_reason(error)})")
            continue
        if text:
            texts[number] = text
        else:
            without_text.append(number)
    layer_pages = sorted(texts)

    ocr_pages: list[int] = []
    ocr_missing = bool(without_text) and not ocr_available()
    if without_text and not ocr_missing:
        ocr_pages, ocr_missing = _ocr_pdf_pages(reader, without_text[:max_ocr_pages], texts, notes, report)
        if len(without_text) > max_ocr_pages:
            skipped = _page_list(without_text[max_ocr_pages:])
            notes.append(f"{skipped} not read: OCR limit of {max_ocr_pages} pages reached")
    if ocr_missing:
        notes.append(f"{_page_list(without_text)}: {OCR_UNAVAILABLE}")
    if ocr_pages:
        notes.insert(0, f"{_page_list(ocr_pages)} read by OCR")
    if count > read:
        skipped = _page_list(list(range(read + 1, count + 1)))
        notes.append(f"{skipped} not read: page limit of {max_pages} reached")

    methods = [name for name, used in (("text layer", layer_pages), ("ocr", ocr_pages)) if used]
    result = Extraction(
        pages=[Page(number, texts[number]) for number in sorted(texts)],
        method=" + ".join(methods) or None,
        page_count=count,
        notes=notes,
        ocr_pages=len(ocr_pages),
    )
    if not result.pages:
        if ocr_missing:
            result.unreadable = OCR_UNAVAILABLE
        elif notes:
            result.unreadable = f"no text extracted: {notes[-1]}"
        else:
            result.unreadable = "no text extracted: no text layer, and OCR found none"
    return result


def _ocr_pdf_pages(
    reader: PdfReader, numbers: list[int], texts: dict[int, str], notes: list[str], report: Progress
) -> tuple[list[int], bool]:
    """OCR each page's largest image into `texts`; returns the pages read and whether OCR went missing."""
    done: list[int] = []
    for number in numbers:
        report(f"OCR of page {number} of {len(reader.pages)}")
        try:
            image = _largest_image(reader.pages[number - 1])
            text = _tidy(_ocr(image)) if image is not None else ""
        except pytesseract.TesseractNotFoundError:
            return done, True
        except Exception as error:
            notes.append(f"page {number}: OCR failed ({_reason(error)})")
            continue
        if text:
            texts[number] = text
            done.append(number)
    return done, False


def _largest_image(page: PageObject) -> Image.Image | None:
    # A scanned page is one full-page image; smaller ones are logos or stamps.
    largest: Image.Image | None = None
    for embedded in page.images:
        image = embedded.image
        if image is not None and (largest is None or _area(image) > _area(largest)):
            largest = image
    return largest


def _area(image: Image.Image) -> int:
    return image.width * image.height


def _ocr(image: Image.Image) -> str:
    if image.mode not in ("1", "L", "RGB"):  # CMYK, palette, 16-bit: not all reach Tesseract intact
        image = image.convert("RGB")
    return pytesseract.image_to_string(image, timeout=OCR_TIMEOUT_S)


# --- Images ----------------------------------------------------------------------------------------


def _image(stream: IO[bytes], max_frames: int, report: Progress) -> Extraction:
    try:
        image = Image.open(stream)
    except Exception:
        return Extraction(unreadable="corrupt image: cannot be opened")
    with image:
        # Only a TIFF's frames are pages (a fax, a multi-page scan); a GIF's are animation.
        count = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1
        if not ocr_available():
            return Extraction(page_count=count, unreadable=OCR_UNAVAILABLE)
        pages: list[Page] = []
        notes: list[str] = []
        for index in range(min(count, max_frames)):
            image.seek(index)
            report(f"OCR of page {index + 1} of {count}")
            try:
                text = _tidy(_ocr(image))
            except pytesseract.TesseractNotFoundError:
                return Extraction(page_count=count, unreadable=OCR_UNAVAILABLE)
            except Exception as error:
                notes.append(f"page {index + 1}: OCR failed ({_reason(error)})")
                continue
            if text:
                pages.append(Page(index + 1, text))
    if count > max_frames:
        skipped = _page_list(list(range(max_frames + 1, count + 1)))
        notes.append(f"{skipped} not read: OCR limit of {max_frames} pages reached")
    ocr_pages = min(count, max_frames)
    if not pages:
        return Extraction(
            page_count=count,
            unreadable="no text extracted: OCR found no text",
            notes=notes,
            ocr_pages=ocr_pages,
        )
    return Extraction(pages=pages, method="ocr", page_count=count, notes=notes, ocr_pages=ocr_pages)


# --- DOCX ------------------------------------------------------------------------------------------


def _docx(stream: IO[bytes]) -> Extraction:
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
        expanded = sum(member.file_size for member in members)
        bomb = any(
            member.file_size > _RATIO_CHECK_FROM_BYTES
            and member.file_size > MAX_DOCX_RATIO * max(member.compress_size, 1)
            for member in members
        )
        if expanded > MAX_DOCX_BYTES or bomb:
            return Extraction(unreadable=f"refused: DOCX expands to {expanded // 2**20} MB (zip bomb?)")
        stream.seek(0)
        document = docx.Document(stream)
        # Sections often repeat their header and footer: keep each text once.
        headers = dict.fromkeys(
            line for section in document.sections for line in _story_lines(section.header)
        )
        footers = dict.fromkeys(
            line for section in document.sections for line in _story_lines(section.footer)
        )
        lines = [*headers, *_block_lines(document.element.body, document), *footers]
    except Exception as error:
        return Extraction(unreadable=f"corrupt DOCX: {_reason(error)}")
    return _single(_tidy("\n\n".join(lines)), "docx")


def _story_lines(story: Any) -> list[str]:
    return [] if story.is_linked_to_previous else _block_lines(story._element, story)


def _block_lines(container: Any, parent: Any) -> list[str]:
    """Paragraphs and table rows in document order, including those inside content controls."""
    lines: list[str] = []
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(Paragraph(child, parent).text)
        elif child.tag == qn("w:tbl"):
            for row in child.iterchildren(qn("w:tr")):
                # Walking the cells themselves (not python-docx's grid) reads a merged cell once.
                cells = [" ".join(_block_lines(cell, parent)) for cell in row.iterchildren(qn("w:tc"))]
                lines.append(" | ".join(cell.strip() for cell in cells if cell.strip()))
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                lines += _block_lines(content, parent)
    return lines


# --- Text, HTML, e-mail ----------------------------------------------------------------------------


def _read_text(stream: IO[bytes], notes: list[str]) -> str:
    data = stream.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        # Cut after a line break so a multi-byte character is never split.
        cut = data.rfind(b"\n", 0, MAX_TEXT_BYTES) + 1
        data = data[: cut or MAX_TEXT_BYTES]
        notes.append(f"text after the first {MAX_TEXT_BYTES // 2**20} MB not read")
    return _decode_text(data)


def _decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252, else Latin-1 (which always works)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


class _HTMLText(HTMLParser):
    _SKIP = frozenset({"script", "style", "template", "noscript"})
    _BLOCK = re.compile(
        r"p|div|br|hr|li|dt|dd|dl|ul|ol|tr|h[1-6]|table|thead|tbody|tfoot|blockquote|pre|section|article"
        r"|header|footer|main|nav|aside|figure|figcaption|address|form|fieldset|title"
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif self._BLOCK.fullmatch(tag):
            self.parts.append("\n\n" if tag in ("p", "div", "table", "blockquote") else "\n")
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif self._BLOCK.fullmatch(tag):
            self.parts.append("\n")
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # Outside <pre>, source line breaks are just spaces.
            self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def _email_text(stream: IO[bytes]) -> str:
    message = cast(EmailMessage, BytesParser(policy=policy.default).parse(stream))
    lines = [
        f"{name}: {value}"
        for name in ("From", "To", "Cc", "Date", "Subject")
        if (value := _header(message, name))
    ]
    body = message.get_body(preferencelist=("plain", "html"))
    if isinstance(body, EmailMessage):
        content = _part_text(body)
        lines += ["", _html_to_text(content) if body.get_content_subtype() == "html" else content]
    names = [
        part.get_filename() or f"unnamed {part.get_content_type()}"
        for part in message.walk()
        if part is not body
        and not part.is_multipart()
        and (part.get_filename() or part.get_content_disposition() == "attachment")
    ]
    if names:
        lines += ["", "Attachments: " + ", ".join(names)]
    return _tidy("\n".join(lines))


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message[name]
    except Exception:  # a malformed header: show it as written
        value = next((raw for key, raw in message.raw_items() if key.lower() == name.lower()), None)
    return " ".join(str(value).split()) if value is not None else ""


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except Exception:  # unknown charset or broken transfer encoding
        content = None
    if isinstance(content, str):
        return content
    payload = part.get_payload(decode=True)
    return _decode_text(payload) if isinstance(payload, bytes) else ""
