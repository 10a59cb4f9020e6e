"""The rule-based finders: dates, amounts, parties, cues, and the checks a verifier relies on."""

from decimal import Decimal

import pytest

from app.summarize.finders import (
    abbreviates,
    find_amounts,
    find_dates,
    find_parties,
    in_citation,
    is_deadline_like,
    normalize_amount,
    normalize_date,
    risk_cues,
    same_party,
    text_mentions_amount,
    text_mentions_date,
    text_mentions_party,
)


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("March 3, 2024", "2024-03-03"),
        ("3 March 2024", "2024-03-03"),
        ("Mar. 3, 2024", "2024-03-03"),
        ("MARCH 3, 2024", "2024-03-03"),
        ("2024-03-03", "2024-03-03"),
        ("3/3/2024", "2024-03-03"),
        ("03/03/24", "2024-03-03"),
        ("1st day of April, 2007", "2007-04-01"),
        ("19th November 2012", "2012-11-19"),
        ("May 25th, 2018", "2018-05-25"),
        ("May 3,2006", "2006-05-03"),  # OCR lost the space
        ("the 23rd of June 2005", None),  # not a date alone: "the" is extra text
        ("Sept. 23, 1997", "1997-09-23"),
        ("25/12/2024", "2024-12-25"),  # cannot be month-first, so day-first
        ("4/5/2024", "2024-04-05"),  # ambiguous: read month-first (US)
        ("12/31/99", "1999-12-31"),
        ("20161130", "2016-11-30"),  # YYYYMMDD, as agency records write dates
    ],
)
def test_normalize_date_reads_each_format(written: str, iso: str | None) -> None:
    assert normalize_date(written) == iso


@pytest.mark.parametrize(
    "impossible",
    ["February 30, 2024", "30 Feb 2024", "2023-02-29", "13/13/2024", "2024-13-01", "April 31, 2020"],
)
def test_impossible_dates_are_rejected(impossible: str) -> None:
    assert normalize_date(impossible) is None
    assert find_dates(f"It happened on {impossible}.") == []


def test_leap_day_is_a_date() -> None:
    assert normalize_date("February 29, 2024") == "2024-02-29"


def test_find_dates_in_running_text_keeps_spelling_and_offsets() -> None:
    text = "Signed on 1st day of April, 2007; payment due 03/03/24 and again 2024-03-03."
    found = find_dates(text)
    assert [(m.text, m.iso) for m in found] == [
        ("1st day of April, 2007", "2007-04-01"),
        ("03/03/24", "2024-03-03"),
        ("2024-03-03", "2024-03-03"),
    ]
    assert all(text[m.start : m.end] == m.text for m in found)


def test_dates_without_a_year_need_a_preposition_or_a_time() -> None:
    found = find_dates(
        "Hearing for 1/19 at 2:00 pm; the list is due by 1/18. Ratio 3/4 of votes. It may 3 times."
    )
    assert [(m.text, m.iso, m.month, m.day) for m in found] == [("1/19", None, 1, 19), ("1/18", None, 1, 18)]


def test_a_year_after_a_second_day_is_not_a_yearless_date() -> None:
    assert find_dates("A jury trial was held on April 25 and 26, 1996.") == []


def test_numbers_that_look_like_dates_are_not_dates() -> None:
    assert find_dates("Case 4:22-cv-05541 and section 1/2/3/4, docket 2022-NCSC-1, 40 U.S.C. 270a") == []


def test_text_mentions_date_across_spellings() -> None:
    text = "The hearing is set for March 3, 2024 at 10 a.m."
    assert text_mentions_date(text, "2024-03-03")
    assert text_mentions_date(text, "3/3/2024")
    assert text_mentions_date("due 03/03/24", "March 3, 2024")
    assert not text_mentions_date(text, "2024-03-04")
    assert not text_mentions_date(text, "2023-03-03")
    assert not text_mentions_date("no dates here", "2024-03-03")


def test_text_mentions_date_falls_back_to_the_words_for_dates_without_a_year() -> None:
    assert text_mentions_date("the list is due by 1/18 at 2:00 pm", "1/18")
    assert not text_mentions_date("the list is due by 1/18 at 2:00 pm", "1/19")


@pytest.mark.parametrize(
    ("written", "currency", "value"),
    [
        ("$1,000,000", "USD", "1000000"),
        ("$5 million", "USD", "5000000"),
        ("$5M", "USD", "5000000"),
        ("USD 250,000", "USD", "250000"),
        ("US$ 3.5m", "USD", "3500000"),
        ("U.S.$100", "USD", "100"),
        ("EUR 1.2 million", "EUR", "1200000"),
        ("€100", "EUR", "100"),
        ("£ 50", "GBP", "50"),
        ("£2,500.50", "GBP", "2500.50"),
        ("250,000 US Dollars", "USD", "250000"),
        ("1,000 euros", "EUR", "1000"),
        ("1 million", None, "1000000"),  # no currency: value only
    ],
)
def test_normalize_amount_reads_each_format(written: str, currency: str | None, value: str) -> None:
    assert normalize_amount(written) == (currency, Decimal(value))


@pytest.mark.parametrize("not_amount", ["€[***]", "$", "about a million", "500 pounds of product", "£30-40K"])
def test_things_that_are_not_one_amount(not_amount: str) -> None:
    assert find_amounts(not_amount) == []


def test_find_amounts_in_running_text() -> None:
    text = "A fee of $1,000,000 and EUR 1.2 million, plus €100 and US$ 300; a price of €[***] per kilogram."
    found = find_amounts(text)
    assert [(m.text, m.currency, m.value) for m in found] == [
        ("$1,000,000", "USD", Decimal("1000000")),
        ("EUR 1.2 million", "EUR", Decimal("1200000")),
        ("€100", "EUR", Decimal("100")),
        ("US$ 300", "USD", Decimal("300")),
    ]
    assert all(text[m.start : m.end] == m.text for m in found)


def test_a_number_is_not_cut_short_to_make_an_amount() -> None:
    assert [m.text for m in find_amounts("costs $1,000,0000 or $12.5.")] == ["$12.5"]


def test_text_mentions_amount_across_spellings() -> None:
    text = "Licensee shall pay USD 1,000,000 within thirty (30) days."
    assert text_mentions_amount(text, "$1,000,000")
    assert text_mentions_amount(text, "USD 1 million")
    assert text_mentions_amount(text, "1000000")  # no currency asked: the value decides
    assert not text_mentions_amount(text, "EUR 1,000,000")  # a currency must agree
    assert not text_mentions_amount(text, "$100,000")
    assert not text_mentions_amount(text, "a lot of money")
    assert text_mentions_amount("a cap of EUR 1.2 million", "€1,200,000")


def test_parties_from_a_contract_preamble() -> None:
    text = (
        'SUPPLY AGREEMENT made on 19 November 2012 between Cremer Oleo GmbH & Co KG ("Cremer") '
        'and Ultragenyx Pharmaceutical Inc., a Delaware corporation ("Ultragenyx").\n'
        "WHEREAS, Cremer produces oleo chemicals and Acme Widgets Ltd. is not a party."
    )
    found = find_parties(text)
    assert [(p.name, p.role) for p in found] == [
        ("Cremer Oleo GmbH & Co KG", 'defined as "Cremer"'),
        ("Ultragenyx Pharmaceutical Inc.", 'defined as "Ultragenyx"'),
    ]


def test_preamble_names_with_and_need_a_defined_term() -> None:
    text = (
        "THIS AGREEMENT is made by and between INSTITUTE OF GRASSLAND AND ENVIRONMENTAL RESEARCH "
        '("IGER"), a company limited by guarantee, United Kingdom and CERES, INC. ("CERES"), a '
        "Delaware corporation.\nWHEREAS the Parties wish to collaborate;"
    )
    assert [p.name for p in find_parties(text)] == [
        "INSTITUTE OF GRASSLAND AND ENVIRONMENTAL RESEARCH",
        "CERES, INC.",
    ]


def test_parties_from_a_caption_on_lines() -> None:
    text = (
        "United States Court of Appeals\nFor the First Circuit\nNo. 20-1507\n"
        "CALVARY CHAPEL OF BANGOR,\nPlaintiff, Appellant,\nv.\n"
        "JANET T. MILLS, in her official capacity as Governor of the\nState of Maine,\n\n"
        "Defendant, Appellee.\n\nAPPEAL FROM THE UNITED STATES DISTRICT COURT\n"
        "Defendant-appellee Janet T. Mills, the Governor of Maine, issued orders."
    )
    assert [(p.name, p.role) for p in find_parties(text)] == [
        ("CALVARY CHAPEL OF BANGOR", "plaintiff, appellant"),
        ("JANET T. MILLS", "defendant, appellee"),
    ]


def test_parties_from_an_inline_caption_and_role_words() -> None:
    found = find_parties(
        "Activity in Case 4:22-cv-05541-JST Simon et al v. City and County of San Francisco et al"
    )
    assert [p.name for p in found] == ["Simon", "City and County of San Francisco"]
    found = find_parties("Plaintiff Jane Roe sued Defendant Acme Corp. in state court.")
    assert [(p.name, p.role) for p in found] == [("Jane Roe", "plaintiff"), ("Acme Corp.", "defendant")]


def test_cited_cases_and_sentence_words_are_not_parties() -> None:
    assert find_parties("In Smith v. Jones the court held that the plaintiff's claim failed.") == []
    assert find_parties("The rule is settled. Smith v. Jones, 590 U.S. 255 (2020).") == []
    assert find_parties("The court then ruled. Nothing else here.") == []
    found = find_parties(
        "We just got the attached ECF notice in Simon v. CCSF (N.D. Cal. 4:22-cv-05541-JST)."
    )
    assert [p.name for p in found] == ["Simon", "CCSF"]


def test_defined_term_party_roles() -> None:
    found = find_parties('This Agreement is made by Acme Holdings LLC (the "Company") with its lenders.')
    assert [(p.name, p.role) for p in found] == [("Acme Holdings LLC", 'defined as "Company"')]


def test_text_mentions_party_ignores_case_spacing_and_punctuation() -> None:
    text = "between ULTRAGENYX PHARMACEUTICAL, INC.  and Cremer Oleo GmbH &\nCo KG"
    assert text_mentions_party(text, "Ultragenyx Pharmaceutical Inc")
    assert text_mentions_party(text, "Ultragenyx Pharmaceutical Inc.")
    assert text_mentions_party(text, "Cremer Oleo GmbH and Co. KG")
    assert text_mentions_party("Acme Corporation agrees", "Acme Corp.")
    assert text_mentions_party(
        "appellee Interna-\ntional Fidelity Insurance Co.", "International Fidelity Insurance Company"
    )
    assert not text_mentions_party(text, "Ultragenyx Holdings Inc")
    assert not text_mentions_party("Ultragenyxes", "Ultragenyx")  # whole words only
    assert not text_mentions_party(text, "")


def test_same_party_matches_contained_names_only_word_for_word() -> None:
    assert same_party("JANET T. MILLS", "Janet T. Mills")
    assert same_party("Ideal Electronic Security Co., Inc., et al.", "Ideal Electronic Security Co. Inc.")
    assert not same_party("Acme", "Acmeco Ltd")


def test_deadline_and_risk_cues() -> None:
    assert is_deadline_like("Notice must be given no later than January 18, 2023.")
    assert is_deadline_like("The buyer shall reject within thirty (30) days of delivery.")
    assert is_deadline_like("The list must be e-mailed to the clerk by 1/18 at 2:00 pm.")
    assert is_deadline_like("Payment is due on May 1.")
    assert is_deadline_like("The last day to file is June 3.")
    assert not is_deadline_like("Motion hearing set for 1/19/2023.")  # an event, not a time limit
    assert not is_deadline_like("He had setbacks due to family issues.")
    assert not is_deadline_like("No higher characterization than is due.")
    assert not is_deadline_like("The agreement was signed in Hamburg on 19 November 2012.")
    assert risk_cues("Either party may terminate upon breach; liability is capped.") == [
        "termination",
        "liability",
        "breach",
    ]
    assert risk_cues("The price is [***] per kilogram.") == ["redaction"]
    assert risk_cues("The weather was fine.") == []


def test_compact_dates_only_as_valid_standalone_tokens() -> None:
    found = find_dates("Application Received: 20161018. Active: 20011206 - 20061004; - 20070516: Art. 92")
    assert [m.iso for m in found] == ["2016-10-18", "2001-12-06", "2006-10-04", "2007-05-16"]
    not_dates = (
        "DC 20301-4000, 1-877-995-5247, 20161332, 18991231, 21011010, x20161130, 2016113011, 20161130.5"
    )
    assert find_dates(not_dates) == []
    assert text_mentions_date("Date: 20161130 Location: WASHINGTON D.C.", "2016-11-30")


def test_dates_of_cited_cases_are_recognised() -> None:
    def cited(text: str) -> bool:
        match = find_dates(text)[0]
        return in_citation(text, match.start, match.end)

    assert cited("FDIC v. Bender, 1997 WL 582901, *3 (D.C. Cir. Sept. 23, 1997).")
    assert cited("FDIC v. Bender, 127 F.3d 58 (D.C. Cir. Sept. 23, 1997).")
    assert cited("Smith v. Jones, 127 F.3d 58 (Sept. 23, 1997).")
    assert not cited("See Memorandum Opinion at 4-5 (May 3, 1996).")
    assert not cited("The court ruled on October 13, 1995 (after argument).")


def test_acronyms_of_party_names() -> None:
    assert abbreviates("CCSF", "City and County of San Francisco")
    assert abbreviates("IFIC", "International Fidelity Insurance Company")
    assert abbreviates("IFIC", "International Fidelity Insurance Company Inc.")
    assert not abbreviates("Simon", "Simon Jones")
    assert not abbreviates("CCSF", "City of San Francisco")
    assert not abbreviates("CO", "Cremer Oleo GmbH & Co KG")  # two letters say too little
