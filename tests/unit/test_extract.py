import io
import time

import pytesseract
import pytest
from PIL import Image

from app import sniff as mime
from app.extract import OCR_UNAVAILABLE, Extraction, extract
from app.summarize import Page
from tests import docs

needs_tesseract = pytest.mark.usefixtures("tesseract")


def _extract(data: bytes, content_type: str, **limits: int) -> Extraction:
    return extract(io.BytesIO(data), content_type, **limits)


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _text(result: Extraction) -> str:
    return "\n\n".join(page.text for page in result.pages)


@pytest.fixture
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    return docs.make_zip_bomb_docx()


# --- PDF -------------------------------------------------------------------------------------------


def test_pdf_text_layer_keeps_page_numbers() -> None:
    result = _extract(docs.make_pdf(["Supply Agreement", "Term: three years", "Signed in Hamburg"]), mime.PDF)
    assert result.pages == [
        Page(1, "Supply Agreement"),
        Page(2, "Term: three years"),
        Page(3, "Signed in Hamburg"),
    ]
    assert (result.method, result.page_count, result.unreadable, result.notes) == ("text layer", 3, None, [])


def test_pdf_with_leading_blank_line() -> None:
    result = _extract(b"\r\n" + docs.make_pdf(["Gift Surplus v. State"]), mime.PDF)
    assert _text(result) == "Gift Surplus v. State"


def test_pdf_page_limit_is_noted() -> None:
    result = _extract(docs.make_pdf([f"Page {n}" for n in range(1, 6)]), mime.PDF, max_pages=2)
    assert [page.number for page in result.pages] == [1, 2]
    assert result.page_count == 5
    assert result.notes == ["pages 3-5 not read: page limit of 2 reached"]


def test_pdf_reports_progress_per_page() -> None:
    steps: list[str] = []
    extract(io.BytesIO(docs.make_pdf(["One", "Two"])), mime.PDF, progress=steps.append)
    assert steps == ["page 1 of 2", "page 2 of 2"]


def test_pdf_page_limit_of_zero_reads_nothing() -> None:
    result = _extract(docs.make_pdf(["One"]), mime.PDF, max_pages=0)
    assert result.unreadable == "no text extracted: page 1 not read: page limit of 0 reached"
    assert result.page_count == 1


def test_password_protected_pdf_is_unreadable() -> None:
    result = _extract(docs.make_encrypted_pdf("Confidential settlement"), mime.PDF)
    assert result.unreadable == "encrypted PDF (password protected)"
    assert result.pages == []


def test_pdf_encrypted_without_user_password_is_read() -> None:
    result = _extract(docs.make_encrypted_pdf("Restricted but open", user_password=""), mime.PDF)
    assert _text(result) == "Restricted but open"
    assert result.unreadable is None


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 8,
        _truncated(docs.make_pdf(["Clause " * 500] * 3)),
        b"%PDF-",
    ],
    ids=["garbage", "truncated", "header only"],
)
def test_corrupt_pdf_is_unreadable(data: bytes) -> None:
    result = _extract(data, mime.PDF)
    assert result.unreadable is not None
    assert result.unreadable.startswith("corrupt PDF: ")
    assert result.pages == []


@needs_tesseract
def test_scanned_pdf_is_read_by_ocr() -> None:
    result = _extract(
        docs.make_scanned_pdf(["TARRANT REGIONAL WATER DISTRICT", "Red River Compact"]), mime.PDF
    )
    assert result.method == "ocr"
    assert result.page_count == 1
    assert result.notes == ["page 1 read by OCR"]
    assert "TARRANT REGIONAL WATER DISTRICT" in result.pages[0].text
    assert "Red River Compact" in result.pages[0].text


@needs_tesseract
def test_pdf_mixing_text_and_scanned_pages() -> None:
    pdf = docs.join_pdfs(docs.make_pdf(["Typed cover page"]), docs.make_scanned_pdf(["Scanned exhibit A"]))
    steps: list[str] = []
    result = extract(io.BytesIO(pdf), mime.PDF, progress=steps.append)
    assert steps == ["page 1 of 2", "page 2 of 2", "OCR of page 2 of 2"]
    assert result.method == "text layer + ocr"
    assert result.pages[0] == Page(1, "Typed cover page")
    assert result.pages[1].number == 2
    assert "Scanned exhibit A" in result.pages[1].text
    assert result.notes == ["page 2 read by OCR"]


@needs_tesseract
def test_ocr_page_limit_is_noted() -> None:
    scan = docs.make_scanned_pdf(["Exhibit"])
    result = _extract(docs.join_pdfs(docs.make_pdf(["Cover"]), scan, scan, scan), mime.PDF, max_ocr_pages=1)
    assert [page.number for page in result.pages] == [1, 2]
    assert result.notes == ["page 2 read by OCR", "pages 3-4 not read: OCR limit of 1 pages reached"]


@pytest.mark.usefixtures("no_tesseract")
def test_scanned_pdf_without_ocr_is_marked() -> None:
    result = _extract(docs.make_scanned_pdf(["Exhibit"]), mime.PDF)
    assert result.unreadable == OCR_UNAVAILABLE
    assert result.page_count == 1
    assert result.method is None


@pytest.mark.usefixtures("no_tesseract")
def test_mixed_pdf_without_ocr_keeps_the_text_layer() -> None:
    pdf = docs.join_pdfs(docs.make_pdf(["Typed cover page"]), docs.make_scanned_pdf(["Exhibit"]))
    result = _extract(pdf, mime.PDF)
    assert result.pages == [Page(1, "Typed cover page")]
    assert result.method == "text layer"
    assert result.unreadable is None
    assert result.notes == [f"page 2: {OCR_UNAVAILABLE}"]


# --- Images ----------------------------------------------------------------------------------------


@needs_tesseract
def test_png_scan_is_read_by_ocr() -> None:
    result = _extract(docs.make_png_scan(["NOTICE OF HEARING", "January 19, 2023"]), mime.PNG)
    assert (result.method, result.page_count, result.unreadable) == ("ocr", 1, None)
    assert "NOTICE OF HEARING" in _text(result)
    assert "January 19, 2023" in _text(result)


@needs_tesseract
def test_multipage_tiff_pages_are_read() -> None:
    frames = [Image.open(io.BytesIO(docs.make_png_scan([f"Fax page {n}"]))) for n in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    result = _extract(out.getvalue(), mime.TIFF)
    assert result.page_count == 2
    assert [(page.number, page.text) for page in result.pages] == [(1, "Fax page 1"), (2, "Fax page 2")]


@pytest.mark.usefixtures("no_tesseract")
def test_image_without_ocr_is_marked() -> None:
    result = _extract(docs.make_png_scan(["NOTICE"]), mime.PNG)
    assert result.unreadable == OCR_UNAVAILABLE
    assert result.page_count == 1


def test_corrupt_image_is_unreadable() -> None:
    result = _extract(b"\x89PNG\r\n\x1a\nnot really", mime.PNG)
    assert result.unreadable == "corrupt image: cannot be opened"


# --- DOCX ------------------------------------------------------------------------------------------


def test_docx_paragraphs_tables_and_header_in_document_order() -> None:
    data = docs.make_docx(
        ["Cloud Service Agreement", "Order Form"],
        [["Provider", "{provider_name}"], ["Customer", "{customer_name}"]],
        after_table=["Standard Terms follow."],
        header="ORDER FORM",
    )
    result = _extract(data, mime.DOCX)
    assert result.method == "docx"
    assert result.pages == [
        Page(
            None,
            "ORDER FORM\n\nCloud Service Agreement\n\nOrder Form\n\n"
            "Provider | {provider_name}\n\nCustomer | {customer_name}\n\nStandard Terms follow.",
        )
    ]


def test_zip_bomb_docx_is_refused_quickly(zip_bomb: bytes) -> None:
    started = time.perf_counter()
    result = _extract(zip_bomb, mime.DOCX)
    assert time.perf_counter() - started < 1
    assert result.unreadable == "refused: DOCX expands to 300 MB (zip bomb?)"


@pytest.mark.parametrize(
    "data",
    [docs.make_docx(["Hello"] * 200)[:6000], b"PK\x03\x04 not a zip", docs.make_pdf(["Not a DOCX"])],
    ids=["truncated", "bad zip", "pdf content"],
)
def test_corrupt_docx_is_unreadable(data: bytes) -> None:
    result = _extract(data, mime.DOCX)
    assert result.unreadable is not None
    assert result.unreadable.startswith("corrupt DOCX: ")


# --- Text, HTML, e-mail ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("\ufeffTerms “quoted” — 5 €".encode(), "Terms “quoted” — 5 €"),
        (b"\x93Quoted\x94 \x96 cp1252", "“Quoted” – cp1252"),
        (b"Caf\xe9 \x81 latin-1", "Café \x81 latin-1"),
        ("UTF-16 text".encode("utf-16"), "UTF-16 text"),
    ],
    ids=["utf-8 with bom", "cp1252", "latin-1", "utf-16"],
)
def test_text_encodings(data: bytes, expected: str) -> None:
    assert _extract(data, mime.TEXT).pages == [Page(None, expected)]


def test_text_whitespace_is_tidied() -> None:
    data = b"Clause  1.\t\tTerm.   \r\n\r\n\r\n\r\nClause 2.\x00 Fees.\n  indented\fnext page"
    result = _extract(data, "text/plain; charset=utf-8")
    assert result.pages == [Page(None, "Clause 1. Term.\n\nClause 2. Fees.\nindented\n\nnext page")]
    assert result.method == "text"


def test_markdown_is_text() -> None:
    result = _extract(b"# Standard Terms\n\n1. **Introduction**.", mime.MARKDOWN)
    assert result.pages == [Page(None, "# Standard Terms\n\n1. **Introduction**.")]


def test_empty_text_is_unreadable() -> None:
    assert _extract(b"  \n\n ", mime.TEXT).unreadable == "no text extracted: the file holds no text"


def test_html_to_text() -> None:
    html = (
        b"<!doctype html><html><head><title>Notice</title><style>p {color: red}</style>"
        b"<script>alert('x')</script></head><body><h1>Hearing</h1><p>Set for\n  1/19/2023 &amp; "
        b"before Judge Tigar.<br>Zoom only.</p><table><tr><td>Case</td><td>4:22-cv-05541</td></tr></table>"
        b"<pre>keep\n  this</pre></body></html>"
    )
    result = _extract(html, mime.HTML)
    assert result.method == "html"
    assert result.pages == [
        Page(
            None,
            "Notice\n\nHearing\n\nSet for 1/19/2023 & before Judge Tigar.\nZoom only.\n\n"
            "Case 4:22-cv-05541\n\nkeep\nthis",
        )
    ]


def test_email_headers_body_and_attachment_names() -> None:
    data = docs.make_eml(
        "Activity in Case 4:22-cv-05541 Simon v. San Francisco",
        "Motion hearing set for 1/19/2023.",
        attachments=[("order.pdf", b"%PDF-1.4"), ("exhibit.docx", b"PK")],
    )
    result = _extract(data, mime.EML)
    assert result.method == "email"
    assert result.pages == [
        Page(
            None,
            "From: Court Clerk <clerk@court.example.com>\n"
            "To: Counsel <counsel@firm.example.com>\n"
            "Cc: Docketing <docketing@firm.example.com>\n"
            "Date: Fri, 13 Jan 2023 09:30:00 +0000\n"
            "Subject: Activity in Case 4:22-cv-05541 Simon v. San Francisco\n\n"
            "Motion hearing set for 1/19/2023.\n\n"
            "Attachments: order.pdf, exhibit.docx",
        )
    ]


def test_email_with_only_an_html_body() -> None:
    html = (
        "<html><body><p>CLERK&#39;S NOTICE &amp; order</p><script>x()</script><p>Zoom only</p></body></html>"
    )
    text = _text(_extract(docs.make_eml("Notice", None, html), mime.EML))
    assert text.endswith("Subject: Notice\n\nCLERK'S NOTICE & order\n\nZoom only")


def test_email_prefers_the_plain_body() -> None:
    text = _text(_extract(docs.make_eml("Notice", "Plain version.", "<p>HTML version.</p>"), mime.EML))
    assert "Plain version." in text
    assert "HTML version." not in text


# --- Anything else ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [mime.ZIP, mime.OLE2, mime.RTF, mime.BINARY])
def test_unsupported_types_are_kept_unread(content_type: str) -> None:
    result = _extract(b"whatever", content_type)
    assert result == Extraction(unreadable=f"no text extracted: unsupported type ({content_type})")


@pytest.mark.parametrize(
    "content_type", [mime.PDF, mime.DOCX, mime.TEXT, mime.HTML, mime.EML, mime.PNG, mime.JPEG, mime.TIFF]
)
@pytest.mark.parametrize("data", [b"", b"\x00" * 64, bytes(range(256)) * 4], ids=["empty", "nul", "binary"])
def test_bad_input_never_raises(content_type: str, data: bytes) -> None:
    result = _extract(data, content_type)
    assert result.unreadable or result.pages


def test_stream_is_read_from_the_start() -> None:
    stream = io.BytesIO(docs.make_pdf(["From the start"]))
    stream.seek(100)
    assert _text(extract(stream, mime.PDF)) == "From the start"
