"""The `local` summarizer over the real documents in ../shared/samples (skipped when absent).

Text comes from the worker's own extraction (`app.extract`, shared across the samples tests, so the
154-page contract is read once per run); a file with no text reaches the summarizer with no pages.
"""

import json
import re
from datetime import date, timedelta
from functools import cache

import pytest

from app.summarize import CaseText, Document
from app.summarize.finders import text_mentions_date, text_mentions_party
from app.summarize.local import EXTRACTIVE_NOTE, LocalSummarizer
from app.summarize.schema import DETAILS_SOURCE, Summary
from tests.samples.documents import MISSING, SAMPLES, extracted

pytestmark = [pytest.mark.samples, pytest.mark.skipif(not SAMPLES.is_dir(), reason=MISSING)]


@cache
def _document(name: str) -> Document:
    # The worker's own extraction, shared with the other samples tests; an unreadable scan has no pages.
    return Document(name, extracted(name).pages)


def _cases() -> list[dict]:
    return json.loads((SAMPLES / "cases.json").read_text(encoding="utf-8")) if SAMPLES.is_dir() else []


@cache
def _summary_of_case(index: int) -> Summary:
    case = _cases()[index]
    text = CaseText(
        title=case["title"],
        details=case["details"],
        due_date=date.today() + timedelta(days=case["due_in_days"]),
        documents=[_document(name) for name in case["files"]],
    )
    return LocalSummarizer().summarize(text, lambda step: None).summary


@cache
def _summary_of_file(name: str) -> Summary:
    case = CaseText("Review", "Please summarize the attached document.", date.today(), [_document(name)])
    return LocalSummarizer().summarize(case, lambda step: None).summary


def _case_index(file: str) -> int:
    return next(i for i, case in enumerate(_cases()) if file in case["files"])


def _assert_sound(summary: Summary, documents: list[Document]) -> None:
    """What every summary must be: valid, extractive, each quote from where it says it is."""
    assert Summary.model_validate_json(summary.model_dump_json()) == summary
    assert summary.method == "extractive" and EXTRACTIVE_NOTE in summary.notes
    texts = {
        (document.name, page.number): re.sub(r"\s+", " ", page.text)
        for document in documents
        for page in document.pages
    }
    for fact in summary.key_points + summary.risks:
        assert fact.source is not None
        source_text = texts[(fact.source.file, fact.source.page)]
        # Quotes are the page's words; layout (line-break hyphens, markup) may be tidied.
        words = re.findall(r"\w+", fact.text)
        assert sum(word in source_text for word in words) >= 0.95 * len(words), fact
    for item in summary.dates:
        assert item.source is not None
        if item.source.file != DETAILS_SOURCE and re.fullmatch(r"\d{4}-\d{2}-\d{2}", item.date):
            assert text_mentions_date(texts[(item.source.file, item.source.page)], item.date), item


@pytest.mark.parametrize(
    "name",
    [path.name for path in sorted(SAMPLES.glob("*.txt")) + sorted(SAMPLES.glob("*.md"))]
    if SAMPLES.is_dir()
    else [],
)
def test_plain_text_samples_summarize_soundly(name: str) -> None:
    summary = _summary_of_file(name)
    _assert_sound(summary, [_document(name)])
    assert summary.key_points, name
    assert summary.documents[0].line and summary.documents[0].pages is None


def test_paxmedica_master_service_agreement_parties() -> None:
    name = "cuad_paxmedica_cro_master_service_agreement_2018.txt"
    summary = _summary_of_file(name)
    assert [(party.name, party.role) for party in summary.parties] == [
        ("CRO Consulting (Pty) Limited", 'defined as "CRO"'),
        ("Purinix Pharmaceuticals LLC", 'defined as "Client"'),
    ]
    assert "2018-05-25" in {item.date for item in summary.dates}
    assert any("[***]" in question.text for question in summary.open_questions)


def test_dc_circuit_caption_parties_and_roles() -> None:
    summary = _summary_of_file("dc_cir_1997_ideal_electronic_v_intl_fidelity_ins.txt")
    assert [(party.name, party.role) for party in summary.parties] == [
        ("Ideal Electronic Security Co., Inc.", "appellant, cross-appellee"),
        ("International Fidelity Insurance Company", "appellee, cross-appellant"),
    ]
    assert {"1997-09-03", "1997-11-07"} <= {item.date for item in summary.dates}
    assert any("IFIC" in point.text for point in summary.key_points)


def test_cremer_supply_agreement_case() -> None:
    index = _case_index("cuad_ultragenyx_cremer_supply_agreement_2013.pdf")
    summary = _summary_of_case(index)
    _assert_sound(summary, [_document("cuad_ultragenyx_cremer_supply_agreement_2013.pdf")])
    names = [party.name for party in summary.parties]
    assert any(text_mentions_party(name, "Cremer Oleo GmbH & Co KG") for name in names)
    assert any(text_mentions_party(name, "Ultragenyx Pharmaceutical Inc") for name in names)
    assert "2012-11-19" in {item.date for item in summary.dates}
    assert summary.matter_type == "contract review"
    assert any("exclusively" in point.text for point in summary.key_points)
    assert any("[***] redactions" in question.text for question in summary.open_questions)
    assert any(step.text.startswith("Please summarize the exclusivity") for step in summary.next_steps)


def test_simon_hearing_notice_case_calendars_both_deadlines() -> None:
    index = _case_index("nef_cand_simon_v_san_francisco_hearing_notice_2023.eml")
    summary = _summary_of_case(index)
    _assert_sound(summary, [_document("nef_cand_simon_v_san_francisco_hearing_notice_2023.eml")])
    dates = {item.date: item for item in summary.dates}
    assert dates["2023-01-18"].is_deadline  # the list of counsel
    assert not dates["2023-01-19"].is_deadline  # the hearing itself is an event
    # The lawyer's "1/18" and "1/19" are the notice's dates: merged, not listed twice.
    assert "1/18" not in dates and "1/19" not in dates
    assert "From:" not in dates["2023-01-13"].what
    assert [party.name for party in summary.parties] == ["Simon", "City and County of San Francisco"]
    quoted = " ".join(fact.text for fact in summary.key_points)
    assert (
        "automatic e-mail" not in quoted and "DO NOT RESPOND" not in quoted and "30 page limit" not in quoted
    )
    assert summary.matter_type == "litigation"
    assert any(step.text.startswith("Please calendar both deadlines") for step in summary.next_steps)


def test_discharge_review_and_appeal_decisions() -> None:
    names = [
        "navy_ndrb_discharge_review_decision_2016.docx",
        "dc_cir_1997_ideal_electronic_v_intl_fidelity_ins.txt",
    ]
    case = CaseText(
        "Discharge review appeal and surety bond precedent - compare",
        "Former Marine sergeant wants to challenge the Naval Discharge Review Board's 2016 decision. Summarize "
        "the board's findings and the deadlines for further review. Separately, summarize the D.C. Circuit's "
        "decision on a surety's claim for attorney's fees and privilege waiver over billing records.",
        date.today(),
        [_document(name) for name in names],
    )
    summary = LocalSummarizer().summarize(case, lambda step: None).summary
    _assert_sound(summary, [_document(name) for name in names])
    dates = {item.date for item in summary.dates}
    assert {"2016-11-30", "2007-08-17", "1997-11-07"} <= dates  # "20161130": the board's date
    assert "1997-09-23" not in dates  # FDIC v. Bender, a cited case
    first_court_point = next(p for p in summary.key_points if p.source and p.source.file == names[1])
    assert first_court_point.text.startswith("We affirm the District Court's judgment")
    assert not any("We affirm" in risk.text for risk in summary.risks)
    duties = " ".join(fact.text for fact in summary.obligations)
    assert "argues" not in duties and "courts in other jurisdictions" not in duties
    assert any("further review" in p.text or "personal appearance" in p.text for p in summary.key_points)


def test_saas_package_case_lists_blank_placeholders() -> None:
    index = _case_index("common_paper_cloud_service_agreement_v2.1_template.docx")
    summary = _summary_of_case(index)
    names = _cases()[index]["files"]
    _assert_sound(summary, [_document(name) for name in names])
    blanks = [q.text for q in summary.open_questions if "{placeholder} fields left blank" in q.text]
    assert len(blanks) == 2 and "{provider_name}" in blanks[0]
    assert {line.file for line in summary.documents} == set(names)
    assert "<span" not in summary.model_dump_json()  # the Markdown file's HTML is not quoted


@pytest.mark.usefixtures("tesseract")
def test_the_scan_without_a_text_layer_is_summarized_from_its_ocr_text() -> None:
    index = _case_index("scotus_tarrant_v_herrmann_2013_syllabus_scan.pdf")
    summary = _summary_of_case(index)
    quoted = " ".join(point.text for point in summary.key_points)
    assert "Red River" in quoted or "Tarrant" in quoted, quoted
    assert all(p.source.page in (1, 2) for p in summary.key_points if p.source.file.endswith(".pdf"))
    assert summary.matter_type == "legal research"


def test_court_opinion_pdfs_caption_parties() -> None:
    calvary = _summary_of_file("ca1_calvary_chapel_of_bangor_v_mills_2020.pdf")
    assert [(p.name, p.role) for p in calvary.parties] == [
        ("CALVARY CHAPEL OF BANGOR", "plaintiff, appellant"),
        ("JANET T. MILLS", "defendant, appellee"),
    ]
    gift = _summary_of_file("nc_supreme_court_gift_surplus_v_state_2022.pdf")
    assert [p.name for p in gift.parties][:3] == [
        "GIFT SURPLUS, LLC",
        "SANDHILL AMUSEMENTS, INC.",
        "STATE OF NORTH CAROLINA",
    ]
    assert "2022-02-11" in {item.date for item in gift.dates}


# pypdf needs 45 s to several minutes (on a busy machine) to read this PDF; the summary takes ~2 s.
@pytest.mark.timeout(900)
def test_long_collaboration_agreement_case() -> None:
    """The 154-page, 356,000-character stress case."""
    index = _case_index("cuad_ceres_iger_collaboration_agreement_2012.pdf")
    summary = _summary_of_case(index)
    _assert_sound(summary, [_document("cuad_ceres_iger_collaboration_agreement_2012.pdf")])
    assert [(p.name, p.role) for p in summary.parties] == [
        ("INSTITUTE OF GRASSLAND AND ENVIRONMENTAL RESEARCH", 'defined as "IGER"'),
        ("CERES, INC.", 'defined as "CERES"'),
    ]
    assert "2007-04-01" in {item.date for item in summary.dates}
    assert summary.matter_type == "due diligence"
    assert summary.documents[0].pages == 154
    assert len({point.source.page for point in summary.key_points if point.source}) >= 4
