"""The offline `local` summarizer on a synthetic case built here: extractive, sourced, valid."""

import random
import re
import time
from datetime import date

import pytest

from app.summarize import CaseText, Document, Page, Result
from app.summarize.local import EXTRACTIVE_NOTE, LocalSummarizer
from app.summarize.schema import DETAILS_SOURCE, Summary

CONTRACT_PAGES = [
    # Page 1: preamble, parties, a dated deadline, an amount.
    'SUPPLY AGREEMENT\n\nThis Supply Agreement (the "Agreement") is made on March 3, 2024 between Acme '
    'Widgets Inc. ("Acme") and Beta Foods LLC ("Beta").\n\nWHEREAS, Acme manufactures industrial widgets '
    "and Beta wishes to buy them for its bakeries.\n\n1. Supply. Acme shall supply Beta with widgets that "
    "meet the specifications in Annex A. Beta shall deliver the first purchase forecast no later than "
    "April 15, 2024. Each purchase order shall state the quantity and the delivery date requested by "
    "Beta. The annual minimum purchase commitment of Beta is $250,000 for each contract year.",
    # Page 2: price, payment, exclusivity, a redaction, termination and liability.
    "2. Price and payment. The purchase price is USD 1,000,000 per contract year, payable within thirty "
    "(30) days of invoice. Acme may adjust the price by [***] percent once a year with written notice to "
    "Beta. Beta shall purchase widgets exclusively from Acme during the term of this Agreement.\n\n"
    "3. Term and termination. Either party may terminate this Agreement upon sixty (60) days written "
    "notice if the other party materially breaches it and fails to cure the breach. The liability of "
    "Acme for any claim under this Agreement is limited to the price paid in the preceding year.",
    # Page 3: the law and the signature block (a heading and short lines that are not sentences).
    "4. Governing law. This Agreement is governed by the laws of the State of New York and the parties "
    "submit to the courts of New York County. Notices under this Agreement must be in writing and are "
    "effective on receipt by the other party.\n\nACME WIDGETS INC.\nBy: ____________\nDate: ________",
]
NOTES_TEXT = (
    "Meeting notes from the client call. Beta Foods is unhappy with late deliveries from Acme in the "
    "winter months. The client wants to know whether the exclusivity clause prevents a second supplier. "
    "Two shipments arrived damaged and were rejected by the warehouse team."
)
DETAILS = (
    "Client Beta Foods wants a review of the Acme supply agreement before renewing it. Please summarize "
    "the termination rights and calendar the forecast deadline. The signed amendment must be returned "
    "to Acme by May 1, 2024."
)


def _case(documents: list[Document], details: str = DETAILS) -> CaseText:
    return CaseText(
        title="Acme supply review", details=details, due_date=date(2024, 4, 30), documents=documents
    )


def _documents() -> list[Document]:
    return [
        Document("contract.pdf", [Page(n, text) for n, text in enumerate(CONTRACT_PAGES, start=1)]),
        Document("notes.txt", [Page(None, NOTES_TEXT)]),
        Document(
            "scan.pdf", [Page(1, ""), Page(2, "  \n")], notes=["pages 1-2 are images; OCR found no text"]
        ),
        Document("archive.zip", []),
    ]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def result() -> Result:
    return LocalSummarizer().summarize(_case(_documents()), lambda step: None)


@pytest.fixture(scope="module")
def summary(result: Result) -> Summary:
    return result.summary


def test_summary_is_extractive_valid_and_says_so(result: Result, summary: Summary) -> None:
    assert result.usage is None
    assert summary.method == "extractive"
    assert Summary.model_validate_json(summary.model_dump_json()) == summary
    assert EXTRACTIVE_NOTE in summary.notes
    assert "scan.pdf: pages 1-2 are images; OCR found no text" in summary.notes
    assert summary.matter_type == "contract review"


def test_progress_names_meaningful_steps() -> None:
    steps: list[str] = []
    LocalSummarizer().summarize(_case(_documents()), steps.append)
    assert "ranking sentences in contract.pdf" in steps
    assert "ranking sentences in notes.txt" in steps
    assert len(steps) >= 3


def test_key_points_are_sentences_of_the_input_with_their_file_and_page(summary: Summary) -> None:
    pages = {("contract.pdf", n): _flat(text) for n, text in enumerate(CONTRACT_PAGES, start=1)}
    pages[("notes.txt", None)] = _flat(NOTES_TEXT)
    assert summary.key_points
    for point in summary.key_points:
        assert point.source is not None
        assert point.text in pages[(point.source.file, point.source.page)], point
    assert {point.source.file for point in summary.key_points if point.source} == {
        "contract.pdf",
        "notes.txt",
    }
    # Headings and signature lines are not quoted as key points.
    assert not any(point.text.startswith(("SUPPLY AGREEMENT", "By:", "ACME")) for point in summary.key_points)


def test_overview_quotes_the_request_and_the_documents(summary: Summary) -> None:
    assert summary.overview.startswith(
        "Request (case details): Client Beta Foods wants a review of the Acme supply agreement"
    )
    assert "contract.pdf" in summary.overview
    assert "No text could be read from scan.pdf, archive.zip." in summary.overview


def test_parties_found_with_defined_terms(summary: Summary) -> None:
    parties = {(party.name, party.role) for party in summary.parties}
    assert ("Acme Widgets Inc.", 'defined as "Acme"') in parties
    assert ("Beta Foods LLC", 'defined as "Beta"') in parties
    assert all(
        party.source and party.source.file == "contract.pdf" and party.source.page == 1
        for party in summary.parties
    )


def test_dates_are_iso_sourced_and_flag_deadlines(summary: Summary) -> None:
    dates = {item.date: item for item in summary.dates}
    assert set(dates) == {"2024-03-03", "2024-04-15", "2024-05-01"}
    assert dates["2024-04-15"].is_deadline
    assert dates["2024-04-15"].source is not None
    assert (dates["2024-04-15"].source.file, dates["2024-04-15"].source.page) == ("contract.pdf", 1)
    assert "first purchase forecast no later than April 15, 2024" in dates["2024-04-15"].what
    assert dates["2024-05-01"].is_deadline
    assert dates["2024-05-01"].source is not None and dates["2024-05-01"].source.file == DETAILS_SOURCE
    assert not dates["2024-03-03"].is_deadline
    assert [item.date for item in summary.dates] == sorted(dates)  # calendar order


def test_amounts_as_written_with_context(summary: Summary) -> None:
    amounts = {item.amount: item for item in summary.amounts}
    assert set(amounts) == {"$250,000", "USD 1,000,000"}
    assert amounts["USD 1,000,000"].source is not None and amounts["USD 1,000,000"].source.page == 2
    assert "purchase price" in amounts["USD 1,000,000"].what


def test_obligations_next_steps_and_risks(summary: Summary) -> None:
    obligations = [fact.text for fact in summary.obligations]
    assert "The signed amendment must be returned to Acme by May 1, 2024." in obligations  # from the details
    assert any("no later than April 15, 2024" in text for text in obligations)
    assert summary.next_steps[0].text == (
        "Please summarize the termination rights and calendar the forecast deadline."
    )
    assert all(fact.source and fact.source.file == DETAILS_SOURCE for fact in summary.next_steps)
    risks = " ".join(fact.text for fact in summary.risks)
    assert "liability" in risks
    # Asked about in the details ("termination rights"): a key point, so not repeated as a risk.
    assert any("may terminate" in fact.text for fact in summary.key_points)
    assert any("exclusively" in fact.text for fact in summary.obligations + summary.key_points)


def test_a_sentence_is_shown_in_one_section_only(summary: Summary) -> None:
    sections = [summary.key_points, summary.obligations, summary.risks, summary.next_steps]
    texts = [fact.text for section in sections for fact in section]
    assert len(texts) == len(set(texts))


def test_open_questions_only_what_the_text_shows(summary: Summary) -> None:
    questions = [fact.text for fact in summary.open_questions]
    assert "1 [***] redactions in contract.pdf, on pages 2." in questions
    assert "No text could be read from scan.pdf." in questions
    assert "No text could be read from archive.zip." in questions
    assert len(questions) == 3


def test_one_line_per_document(summary: Summary) -> None:
    lines = {line.file: line for line in summary.documents}
    assert list(lines) == ["contract.pdf", "notes.txt", "scan.pdf", "archive.zip"]
    assert lines["contract.pdf"].pages == 3 and lines["notes.txt"].pages is None
    assert _flat(lines["contract.pdf"].line) in " ".join(_flat(text) for text in CONTRACT_PAGES)
    assert lines["scan.pdf"].line == "No text could be read from this file."
    assert not any(line.summarized_in_parts for line in summary.documents)


def test_everything_is_plain_text(summary: Summary) -> None:
    dumped = summary.model_dump_json().replace("[***]", "")
    assert "<" not in dumped and "**" not in dumped


def test_markdown_and_html_markup_is_not_quoted() -> None:
    text = (
        '# Mutual NDA\n\nThe **Receiving Party** shall protect the <span class="x">Confidential '
        "Information</span> of the other party for the [Term](https://example.com/term) of this MNDA. "
        "A redacted fee of [***] is due within ten days of signature by each party."
    )
    summary = (
        LocalSummarizer()
        .summarize(_case([Document("nda.md", [Page(None, text)])]), lambda step: None)
        .summary
    )
    quoted = " ".join(point.text for point in summary.key_points)
    assert (
        "The Receiving Party shall protect the Confidential Information of the other party for the Term"
        in quoted
    )
    assert "[***]" in quoted
    assert "<span" not in quoted and "**" not in quoted.replace("[***]", "") and "](" not in quoted


def test_a_case_with_no_readable_text_still_summarizes() -> None:
    case = _case([Document("scan.pdf", [Page(1, "")])], details="Please review.")
    summary = LocalSummarizer().summarize(case, lambda step: None).summary
    assert summary.key_points == [] and summary.parties == [] and summary.dates == []
    assert summary.documents[0].line == "No text could be read from this file."
    assert summary.overview == "Request (case details): Please review. No text could be read from scan.pdf."
    empty = LocalSummarizer().summarize(_case([], details=""), lambda step: None).summary
    assert empty.overview == "No documents are attached."
    assert empty.matter_type == ""


def _long_contract(pages: int = 154, seed: int = 7) -> list[Page]:
    """About 356,000 characters of varied contract prose, like the 154-page sample."""
    rng = random.Random(seed)
    subjects = ["The Licensee", "The Licensor", "Each Party", "The Management Committee", "CERES", "IGER"]
    verbs = ["shall provide", "may terminate", "will negotiate", "shall own", "agrees to pay", "must notify"]
    objects = [
        "all joint intellectual property arising from each research project",
        "a written report on the results of the collaboration crops",
        "royalties on net sales of each licensed variety in the territory",
        "the other party of any breach within thirty (30) days",
        "reasonable remuneration for background intellectual property",
        "the schedule for each research project and its budget",
    ]
    tails = [
        "",
        " subject to Article 5.3",
        " in accordance with Exhibit F",
        " before the end of each contract year",
    ]
    texts = []
    for number in range(1, pages + 1):
        sentences = [
            f"{number}.{i} {rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}{rng.choice(tails)}."
            for i in range(1, 19)
        ]
        texts.append(
            Page(number, "\n".join(sentences) + f"\nCollaboration Agreement Page {number} of {pages}")
        )
    return texts


def test_a_long_document_completes() -> None:
    pages = _long_contract()
    assert 300_000 < sum(len(page.text) for page in pages) < 420_000
    case = _case([Document("long.pdf", pages)], details="Summarize ownership of joint intellectual property.")
    started = time.perf_counter()
    summary = LocalSummarizer().summarize(case, lambda step: None).summary
    elapsed = time.perf_counter() - started
    print(f"\nlocal summarizer, {sum(len(p.text) for p in pages):,} characters in 154 pages: {elapsed:.2f} s")
    assert 2 <= len(summary.key_points) <= 8
    assert all(point.source and point.source.file == "long.pdf" for point in summary.key_points)
    # Spread over the document, not all from its first pages.
    assert len({point.source.page for point in summary.key_points if point.source}) >= 3


def test_one_huge_line_of_text_completes() -> None:
    """CUAD-style text runs whole contracts together on a few lines; pysbd is fed it in pieces."""
    rng = random.Random(3)
    words = [
        "the",
        "party",
        "shall",
        "pay",
        "all",
        "fees",
        "within",
        "thirty",
        "days",
        "of",
        "invoice",
        "and",
        "may",
        "terminate",
        "on",
        "notice",
    ]
    sentences = [" ".join(rng.choice(words) for _ in range(18)).capitalize() + "." for _ in range(3000)]
    case = _case([Document("merged.txt", [Page(None, " ".join(sentences))])])
    started = time.perf_counter()
    summary = LocalSummarizer().summarize(case, lambda step: None).summary
    print(
        f"\nlocal summarizer, one line of {len(' '.join(sentences)):,} characters: {time.perf_counter() - started:.2f} s"
    )
    assert summary.key_points and all(point.text in sentences for point in summary.key_points)


def _summary_of(documents: list[Document], details: str = DETAILS, title: str = "Review") -> Summary:
    case = CaseText(title=title, details=details, due_date=date(2024, 4, 30), documents=documents)
    return LocalSummarizer().summarize(case, lambda step: None).summary


OPINION = (
    "Edwards, Chief Judge: This case involves a claim under an indemnity agreement by a surety company "
    "against the holders of a payment bond. The surety seeks recovery of attorney's fees incurred in "
    "defending a claim brought by a subcontractor against the holders of the bond.\n\n"
    "Second, the surety argues that the indemnity agreement's voucher clause means the holders shall pay "
    "the full amount of the attorney billing statements submitted. However, courts in other jurisdictions "
    "have indicated that a surety must show reasonable necessity when seeking attorney's fees. We think "
    "the surety must disclose the billing statements before the holders can be made to pay any fees. "
    "The court must weigh the billing statements against the claims of privilege raised by the surety. "
    "See Smith v. Jones, 127 F.3d 58 (D.C. Cir. Sept. 23, 1997) (billing statements and fees). "
    "The District Court entered its order awarding attorney's fees to the surety on July 1, 1996.\n\n"
    "We affirm the District Court's judgment finding the holders liable for attorney's fees incurred by "
    "the surety, but reverse and remand for determination of a reasonable fee award.\n\nSo ordered."
)


def test_a_court_opinion_leads_with_its_disposition_and_has_no_reasoning_as_duties() -> None:
    summary = _summary_of(
        [Document("opinion.txt", [Page(None, OPINION)])],
        details="Summarize the decision on the surety's claim for attorney's fees.",
    )
    assert summary.key_points[0].text.startswith("We affirm the District Court's judgment")
    assert "Decision in opinion.txt: “We affirm" in summary.overview
    duties = " ".join(fact.text for fact in summary.obligations)
    assert "argues" not in duties and "courts in other jurisdictions" not in duties
    assert "We think" not in duties and "The court must" not in duties
    assert not any("We affirm" in fact.text for fact in summary.risks)
    dates = {item.date: item for item in summary.dates}
    assert "1997-09-23" not in dates  # the date of a cited case
    assert "1996-07-01" in dates


NOTICE = (
    "From: court@example.com\nTo: efiling@example.com\nDate: Fri, 13 Jan 2023 19:23:03 -0800\n"
    "Subject: Activity in Case 4:22-cv-05541 Simon v. City and County of San Francisco\n\n"
    "This is an automatic e-mail message generated by the CM/ECF system. Please DO NOT RESPOND to this "
    "e-mail because the mail box is unattended. PACER access fees apply to all other users of the "
    "system. To avoid later charges, download a copy of each document during this first viewing. "
    "However, if the referenced document is a transcript, the free copy and 30 page limit do not apply."
    "\n\nNotice of Electronic Filing\n\nThe following transaction was entered on 1/13/2023 at 7:23 PM "
    "and filed on 1/13/2023.\n\nMotion Hearing set for 1/19/2023 02:00 PM in Oakland before Judge Jon "
    "S. Tigar. One list of names of all counsel appearing for all parties must be sent in one email to "
    "the clerk no later than January 18, 2023 by 2:00 p.m. Persons granted access to court proceedings "
    "are reminded that photographing and recording of court proceedings is absolutely prohibited.\n\n"
    "Notice has NOT been electronically mailed to the following recipients of this filing notice."
)
NOTICE_DETAILS = (
    "We just got the attached ECF notice in Simon v. CCSF. Judge Tigar set the motion hearing for 1/19 at "
    "2:00 pm. One combined list of all counsel appearing must be e-mailed to the clerk by 1/18 at 2:00 pm. "
    "Please calendar both deadlines."
)


def test_a_court_notice_without_its_boilerplate() -> None:
    summary = _summary_of([Document("notice.eml", [Page(None, NOTICE)])], details=NOTICE_DETAILS)
    quoted = " ".join(fact.text for fact in summary.key_points + summary.obligations + summary.risks)
    for boilerplate in ("automatic e-mail", "DO NOT RESPOND", "later charges", "30 page limit", "PACER"):
        assert boilerplate not in quoted
    assert "NOT been electronically mailed" not in quoted
    dates = {item.date: item for item in summary.dates}
    # "1/18" and "1/19" in the details are the notice's dates: one entry each, with the year.
    assert set(dates) == {"2023-01-13", "2023-01-18", "2023-01-19"}
    assert dates["2023-01-18"].is_deadline
    assert not dates["2023-01-19"].is_deadline  # a hearing is an event, not a deadline
    assert "From:" not in dates["2023-01-13"].what and "Subject:" not in dates["2023-01-13"].what
    # "CCSF" in the details is the City and County of San Francisco of the notice.
    names = [party.name for party in summary.parties]
    assert "City and County of San Francisco" in names and "CCSF" not in names


def test_agency_dates_and_trimmed_date_context() -> None:
    text = (
        "Application Received: 20161018\n\nDate of Discharge: 20070817 Highest Rank: Sgt\n\n"
        "The Board reviewed the record on the merits and found the discharge proper and equitable. "
        "Relief denied.\n\nSee Opinion at 4-5 (May 3, 1996); Order Awarding Fees (July 1, 1996). "
        "The District Court entered its judgment on October 13, 1995 after a hearing."
    )
    summary = _summary_of([Document("ndrb.docx", [Page(None, text)])], details="Summarize the decision.")
    dates = {item.date: item for item in summary.dates}
    assert {"2016-10-18", "2007-08-17", "1996-05-03", "1996-07-01", "1995-10-13"} <= set(dates)
    assert dates["1996-07-01"].what == "Order Awarding Fees (July 1, 1996)."
    assert not any(item.what[0] in ";,\"'“" for item in summary.dates)


def test_obligations_need_a_party_and_a_duty() -> None:
    text = (
        "The Supplier shall deliver the goods to the Buyer at the Buyer's warehouse in good condition. "
        "This Agreement shall be governed by the laws of the State of New York in all respects. "
        "The Product will be ordered by the Buyer through written purchase orders from time to time. "
        "Delivery of the goods by the Supplier shall be made at the risk of the Buyer in all cases. "
        "Either Party agrees to keep the terms of this Agreement confidential during the term. "
        "The agreement sets a good faith standard for deciding whether the Buyer is obligated to pay fees."
    )
    summary = _summary_of([Document("c.txt", [Page(None, text)])], details="Please review the contract.")
    everything = {
        fact.text: name for name in ("key_points", "obligations") for fact in getattr(summary, name)
    }
    duties = [text for text, name in everything.items() if name == "obligations"]
    assert all(
        not text.startswith(("This Agreement", "The Product", "Delivery", "The agreement")) for text in duties
    )
    assert "Either Party agrees" in " ".join(everything)


def test_leading_enumerators_go_and_the_overview_prefers_standalone_sentences() -> None:
    text = (
        "1) Subject to the terms of this Agreement the Supplier shall supply the Buyer with the Product "
        "worldwide. (a) The Buyer shall purchase the Product exclusively from the Supplier worldwide. "
        "Thereafter, the Agreement shall be renewed for additional terms of two years unless notice is given."
    )
    summary = _summary_of([Document("c.txt", [Page(None, text)])], details="Please review the supply terms.")
    quoted = [fact.text for fact in summary.key_points + summary.obligations + summary.risks]
    assert (
        "Subject to the terms of this Agreement the Supplier shall supply the Buyer with the Product worldwide."
        in quoted
    )
    assert not any(text.startswith(("1)", "(a)")) for text in quoted)
    assert "“Thereafter" not in summary.overview and "“1)" not in summary.overview


def test_asked_topics_pull_their_clauses_into_the_key_points() -> None:
    filler = " ".join(
        f"The Supplier shall pack shipment {n} of the widgets in the standard crates and label them."
        for n in range(30)
    )
    text = (
        f"{filler} The liability of the Supplier is limited to the price paid in the preceding year. "
        "This Agreement is governed by the laws of Germany and the courts of Hamburg have jurisdiction."
    )
    summary = _summary_of(
        [Document("c.txt", [Page(None, text)])],
        details="Summarize the limitation of liability and the governing law.",
    )
    points = " ".join(fact.text for fact in summary.key_points)
    assert "liability of the Supplier is limited" in points and "governed by the laws of Germany" in points


def test_capped_lists_say_so() -> None:
    goods = [
        "widgets",
        "bolts",
        "nuts",
        "screws",
        "gears",
        "springs",
        "valves",
        "pumps",
        "hoses",
        "belts",
        "chains",
        "cables",
    ]
    places = [
        "Hamburg",
        "Bremen",
        "Berlin",
        "Munich",
        "Cologne",
        "Dresden",
        "Leipzig",
        "Hanover",
        "Essen",
        "Bonn",
        "Kiel",
        "Ulm",
    ]
    text = " ".join(
        f"The Supplier shall {verb} the {item} to the Buyer's plant in {place} every {when}."
        for verb, when in (("deliver", "week"), ("ship", "month"))
        for item, place in zip(goods, places, strict=True)
    )
    summary = _summary_of([Document("c.txt", [Page(None, text)])], details="Please review.")
    assert len(summary.obligations) == 8
    assert any(
        note.startswith("Showing 8 of ") and note.endswith(" obligations found.") for note in summary.notes
    )
