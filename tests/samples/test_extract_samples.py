"""Sniffing and extraction over the real documents in ../shared/samples (see its SOURCES.md)."""

import pytest

from app import sniff as mime
from app.extract import OCR_UNAVAILABLE, ocr_available
from app.sniff import sniff
from tests.samples.documents import MISSING, SAMPLES, extracted, text_of

if not SAMPLES.is_dir():
    pytest.skip(MISSING, allow_module_level=True)

pytestmark = pytest.mark.samples

# file -> (sniffed type, page count); the types that the extension would suggest are not always right.
EXPECTED: dict[str, tuple[str, int | None]] = {
    "cuad_ultragenyx_cremer_supply_agreement_2013.pdf": (mime.PDF, 7),
    "cuad_ceres_iger_collaboration_agreement_2012.pdf": (mime.PDF, 154),
    "cuad_western_copper_glamis_noncompetition_2006_scan_ocr.pdf": (mime.PDF, 8),
    "cuad_western_copper_glamis_noncompetition_2006_page1_scan.jpg": (mime.JPEG, 1),
    "nc_supreme_court_gift_surplus_v_state_2022.pdf": (mime.PDF, 23),  # starts with CR LF
    "ca1_calvary_chapel_of_bangor_v_mills_2020.pdf": (mime.PDF, 17),
    "scotus_tarrant_v_herrmann_2013_syllabus_scan.pdf": (mime.PDF, 2),
    "common_paper_data_processing_agreement_v1.1_template.docx": (mime.DOCX, None),
    "common_paper_cloud_service_agreement_v2.1_template.docx": (mime.DOCX, None),  # libmagic: "Zip"
    "navy_ndrb_discharge_review_decision_2016.docx": (mime.DOCX, None),
    "dc_cir_1997_ideal_electronic_v_intl_fidelity_ins.txt": (mime.TEXT, None),
    "common_paper_mutual_nda_v1.0_standard_terms.md": (mime.MARKDOWN, None),
    "cuad_paxmedica_cro_master_service_agreement_2018.txt": (mime.TEXT, None),
    "nef_cand_simon_v_san_francisco_hearing_notice_2023.eml": (mime.EML, None),
    "SOURCES.md": (mime.MARKDOWN, None),
    "cases.json": (mime.TEXT, None),
}
SCANS = {
    "scotus_tarrant_v_herrmann_2013_syllabus_scan.pdf",
    "cuad_western_copper_glamis_noncompetition_2006_page1_scan.jpg",
}


def test_every_sample_is_listed() -> None:
    assert {path.name for path in SAMPLES.iterdir() if path.is_file()} == set(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_sniffed_type(name: str) -> None:
    with (SAMPLES / name).open("rb") as stream:
        assert sniff(stream, name) == EXPECTED[name][0]
        assert stream.tell() == 0


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", EXPECTED)
def test_extracts_text(name: str) -> None:
    result = extracted(name)
    assert result.page_count == EXPECTED[name][1]
    if name in SCANS and not ocr_available():
        assert result.unreadable == OCR_UNAVAILABLE
        return
    assert result.unreadable is None
    assert len(text_of(name)) > 1000
    assert "\x00" not in text_of(name)


def test_pdf_pages_are_numbered() -> None:
    result = extracted("cuad_ceres_iger_collaboration_agreement_2012.pdf")
    assert result.method == "text layer"
    assert [page.number for page in result.pages] == list(range(1, 155))
    assert "Ceres" in result.pages[0].text


def test_pdf_with_leading_blank_line_reads() -> None:
    assert "GIFT SURPLUS" in text_of("nc_supreme_court_gift_surplus_v_state_2022.pdf")


def test_scan_with_ocr_layer_uses_the_layer() -> None:
    result = extracted("cuad_western_copper_glamis_noncompetition_2006_scan_ocr.pdf")
    assert result.method == "text layer"
    assert "NON COMPETITION AGREEMENT" in result.pages[0].text


@pytest.mark.usefixtures("tesseract")
@pytest.mark.timeout(600)
def test_image_only_pdf_is_read_by_ocr() -> None:
    result = extracted("scotus_tarrant_v_herrmann_2013_syllabus_scan.pdf")
    assert result.method == "ocr"
    assert result.notes == ["pages 1-2 read by OCR"]
    assert "Tarrant" in "\n".join(page.text for page in result.pages)


@pytest.mark.usefixtures("tesseract")
def test_scanned_jpeg_is_read_by_ocr() -> None:
    assert "GLAMIS GOLD" in text_of("cuad_western_copper_glamis_noncompetition_2006_page1_scan.jpg")


@pytest.mark.parametrize(
    "name",
    [
        "common_paper_data_processing_agreement_v1.1_template.docx",
        "common_paper_cloud_service_agreement_v2.1_template.docx",
    ],
)
def test_docx_templates_keep_placeholders_and_table_cells(name: str) -> None:
    text = text_of(name)
    assert "{" in text
    assert " | " in text  # key terms sit in Word tables


def test_email_notice() -> None:
    text = text_of("nef_cand_simon_v_san_francisco_hearing_notice_2023.eml")
    assert text.startswith("From: ")
    assert (
        "Subject: Activity in Case 4:22-cv-05541-JST Simon et al v. City and County of San Francisco" in text
    )
    assert "Motion Hearing set for 1/19/2023 02:00 PM" in text
    assert "<" not in text.split("\n\n", 1)[1]  # the HTML body became text
