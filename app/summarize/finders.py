"""Rule-based finders for dates, money amounts, parties and deadline/obligation/risk cues.

Used twice: by the local summarizer to list facts, and by the OpenAI provider to verify that a
date, amount or party the model cites really occurs in its source text (hence the normalisers and
the `text_mentions_*` checks, which compare normalised values, not spellings).

Numeric dates are read month-first (US style: 3/4/2024 is March 4) unless the first number cannot
be a month (25/12/2024 is December 25). Two-digit years 00-69 are 20xx, 70-99 are 19xx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

# --- dates -----------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
# Longest names first so "September" is not read as "Sep" + "tember".
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"

# Full dates (year known). Month names match in any case ("MARCH 3, 2024"); "may 3, 2006" as a
# verb followed by a year is not a real risk.
_FULL_DATE_PATTERNS = [
    # March 3, 2024 / Mar. 3, 2024 / May 25th, 2018 / May 3,2006 / March 3 2024
    re.compile(rf"\b(?P<mon>{_MONTH})\.?\s+(?P<day>\d{{1,2}}){_ORD}(?:,\s*|\s+)(?P<year>\d{{4}})\b", re.I),
    # 3 March 2024 / 19th November 2012 / 1st day of April, 2007 / 3rd of March, 2024
    re.compile(
        rf"\b(?P<day>\d{{1,2}}){_ORD}\s+(?:day\s+of\s+|of\s+)?(?P<mon>{_MONTH})\.?,?\s+(?P<year>\d{{4}})\b",
        re.I,
    ),
    # 2024-03-03
    re.compile(r"(?<![\d-])(?P<year>\d{4})-(?P<imon>\d{1,2})-(?P<day>\d{1,2})(?![\d-])"),
    # 3/3/2024 / 03/03/24
    re.compile(r"(?<![\d/])(?P<mnum>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4}|\d{2})(?![\d/])"),
    # 20161130 (agency records, Navy/NDRB decisions): a standalone token only, years 1900-2100, so a
    # docket, phone or ZIP+4 number is not read as a date.
    re.compile(
        r"(?<![\w\-/.,])(?P<year>19\d{2}|20\d{2}|2100)(?P<imon>0[1-9]|1[0-2])(?P<day>0[1-9]|[12]\d|3[01])"
        r"(?![\w\-/]|[.,]\d)"
    ),
]
# Dates without a year ("by 1/18", "on January 19 at 2:00 pm") are only taken with a preposition
# before or a time after them: a bare "1/19" is as likely a fraction or a ratio.
_TIME = r"\s+at\s+\d{1,2}(?::\d{2})?\s*(?i:[ap]\.?m\b)"
_YEARLESS = (
    rf"(?:(?P<mon>(?:{_MONTH.title()}|{_MONTH.upper()}))\.?\s+(?P<day>\d{{1,2}}){_ORD}"
    r"|(?P<mnum>\d{1,2})/(?P<day2>\d{1,2}))"
    # Not when a year follows after all: "April 25 and 26, 1996", "May 3-4, 2020".
    r"(?![\d/]|,?\s*\d{4}|\s*(?:and|to|through|-|–)\s*\d{1,2}(?:st|nd|rd|th)?,?\s*\d{4})"
)
# Case-sensitive on purpose: "May 3" is a date, "may 3" is more likely a verb.
_YEARLESS_PATTERNS = [
    re.compile(rf"\b(?i:on|by|for|before|until|through)\s+(?P<date>{_YEARLESS})"),
    re.compile(rf"(?<![\w/])(?P<date>{_YEARLESS})(?={_TIME})"),
]


@dataclass(frozen=True)
class DateMatch:
    text: str  # as written
    iso: str | None  # YYYY-MM-DD, or None when the year is not stated
    month: int
    day: int
    start: int
    end: int


def _year(raw: str) -> int:
    value = int(raw)
    if len(raw) == 2:
        value += 2000 if value < 70 else 1900
    return value


def _month_day(groups: dict[str, str | None]) -> tuple[int, int]:
    if groups.get("imon"):
        return int(groups["imon"] or 0), int(groups["day"] or 0)
    if groups.get("mon"):
        return _MONTHS[groups["mon"].lower().rstrip(".")], int(groups.get("day") or groups["day2"] or 0)
    first, second = int(groups["mnum"] or 0), int(groups.get("day") or groups.get("day2") or 0)
    if first > 12 >= second:  # cannot be a month: read day-first
        first, second = second, first
    return first, second


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1800 <= year <= 2200


def find_dates(text: str) -> list[DateMatch]:
    """Every date in `text`, in order; impossible dates (February 30) are left out."""
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for pattern in _FULL_DATE_PATTERNS:
        for match in pattern.finditer(text):
            if not free(match.start(), match.end()):
                continue
            month, day = _month_day(match.groupdict())
            year = _year(match["year"])
            if not _valid(year, month, day):
                continue
            found.append(DateMatch(match[0], f"{year:04d}-{month:02d}-{day:02d}", month, day, *match.span()))
            taken.append(match.span())
    for pattern in _YEARLESS_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span("date")
            if not free(start, end):
                continue
            month, day = _month_day(match.groupdict())
            # 2000 is a leap year, so February 29 without a year is accepted.
            if not _valid(2000, month, day):
                continue
            found.append(DateMatch(match["date"], None, month, day, start, end))
            taken.append((start, end))
    return sorted(found, key=lambda m: m.start)


# A parenthetical that dates a cited case: "(D.C. Cir. Sept. 23, 1997)", "(9th Cir. 2001)", "(Cal. Ct.
# App. 1999)"; or a reporter citation just before it ("1997 WL 582901", "127 F.3d 58").
_COURT_ABBREVIATION = re.compile(
    r"\b(?:Cir|Ct|App|Supp|Dist|Bankr|Fed|D\.\s?C|S\.D|N\.D|E\.D|W\.D|C\.D|M\.D)\.", re.I
)
_REPORTER_CITE = re.compile(
    r"\b\d{1,4}\s+(?:U\.S\.|S\.\s?Ct\.|L\.\s?Ed|F\.(?:\s?\dd|\s?Supp|\s?App'x)?|[A-Z][a-z]?\.(?:\s?\dd)?|WL)\s*\d"
)


def in_citation(text: str, start: int, end: int) -> bool:
    """Whether the date at text[start:end] dates a case cited as authority, not this matter."""
    opening = text.rfind("(", 0, start)
    if opening < 0 or ")" in text[opening:start]:
        return False
    closing = text.find(")", end)
    inside = text[opening + 1 : closing if closing >= 0 else len(text)]
    before = text[max(0, opening - 60) : opening]
    return bool(_COURT_ABBREVIATION.search(inside) or _REPORTER_CITE.search(before))


def normalize_date(text: str) -> str | None:
    """The ISO date (YYYY-MM-DD) that `text` spells, e.g. "Mar. 3, 2024" -> "2024-03-03"; else None."""
    stripped = text.strip().strip(".,;")
    for match in find_dates(stripped):
        if match.iso and match.start == 0 and match.end >= len(stripped.rstrip(".")):
            return match.iso
    return None


def text_mentions_date(text: str, iso: str) -> bool:
    """Whether `text` mentions the date `iso` (any supported spelling; `iso` may be any format too)."""
    wanted = normalize_date(iso)
    if wanted is None:  # no year ("1/18"): the words themselves must be there
        return bool(_squash(iso)) and f" {_squash(iso)} " in f" {_squash(text)} "
    return any(match.iso == wanted for match in find_dates(text))


# --- amounts ---------------------------------------------------------------------------------

_CURRENCY_CODES = {
    "US$": "USD", "U.S.$": "USD", "USD": "USD", "$": "USD", "EUR": "EUR", "€": "EUR", "GBP": "GBP",
    "£": "GBP", "CHF": "CHF", "CAD": "CAD", "C$": "CAD", "AUD": "AUD", "A$": "AUD", "JPY": "JPY",
    "¥": "JPY", "CNY": "CNY", "ZAR": "ZAR", "INR": "INR", "SEK": "SEK", "NOK": "NOK", "DKK": "DKK",
}  # fmt: skip
_CURRENCY_WORDS = {
    "dollars": "USD", "us dollars": "USD", "u.s. dollars": "USD", "united states dollars": "USD",
    "canadian dollars": "CAD", "australian dollars": "AUD", "euros": "EUR", "euro": "EUR",
    "pounds sterling": "GBP", "swiss francs": "CHF", "rand": "ZAR",
}  # fmt: skip
_SCALES = {"thousand": 1000, "k": 1000, "million": 10**6, "m": 10**6, "mn": 10**6, "billion": 10**9,
           "bn": 10**9, "b": 10**9}  # fmt: skip

_PREFIX = (
    r"(?P<cur>U\.S\.\s?\$|US\s?\$|C\$|A\$|\$|€|£|¥|(?:USD|EUR|GBP|CHF|CAD|AUD|JPY|CNY|ZAR|INR|SEK|NOK|DKK)\b)"
)
_NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE = r"(?:\s*(?P<scale>thousand|million|billion)\b|(?P<abbr>mn|bn|m|k|b)\b)?"
_SUFFIX = (
    r"\s+(?P<cur2>(?:USD|EUR|GBP|CHF|CAD|AUD|JPY|CNY|ZAR|INR|SEK|NOK|DKK)\b|"
    r"(?:(?:US|U\.S\.|United\s+States|Canadian|Australian)\s+)?[Dd]ollars\b|[Ee]uros?\b|"
    r"[Pp]ounds\s+[Ss]terling\b|Swiss\s+[Ff]rancs\b|[Rr]and\b)"
)
_AMOUNT_PATTERNS = [
    # A range ("£30-40K") has no one value: it is left out rather than half read.
    re.compile(rf"(?<![\w$€£¥.]){_PREFIX}\s?{_NUMBER}(?![.,]?\d){_SCALE}(?!\s?[-–](?:\s?\d|\s*$))", re.I),
    re.compile(rf"(?<![\w$€£¥.,]){_NUMBER}(?![.,]?\d){_SCALE}{_SUFFIX}", re.I),
]
_BARE_AMOUNT = re.compile(rf"{_NUMBER}{_SCALE}", re.I)


@dataclass(frozen=True)
class AmountMatch:
    text: str  # as written
    currency: str | None  # ISO 4217 code
    value: Decimal
    start: int
    end: int


def _currency(raw: str) -> str:
    compact = re.sub(r"\s+", " ", raw.strip())
    return _CURRENCY_CODES.get(compact.replace(" ", "").upper()) or _CURRENCY_WORDS[compact.lower()]


def _value(number: str, scale: str | None) -> Decimal | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    return value * _SCALES[scale.lower()] if scale else value


def find_amounts(text: str) -> list[AmountMatch]:
    """Every money amount with a currency marker ("$5 million", "USD 250,000", "100 euros")."""
    found: list[AmountMatch] = []
    for pattern in _AMOUNT_PATTERNS:
        for match in pattern.finditer(text):
            if any(not (match.end() <= m.start or match.start() >= m.end) for m in found):
                continue
            value = _value(match["num"], match["scale"] or match["abbr"])
            if value is None:
                continue
            currency = _currency(match.groupdict().get("cur") or match["cur2"])
            found.append(AmountMatch(match[0].strip(), currency, value, *match.span()))
    return sorted(found, key=lambda m: m.start)


def normalize_amount(text: str) -> tuple[str | None, Decimal] | None:
    """(currency code or None, value) for an amount such as "USD 1 million" or "$1,000,000"."""
    stripped = text.strip().rstrip(".")
    for match in find_amounts(stripped):
        if match.start == 0 and match.end == len(stripped):
            return match.currency, match.value
    bare = _BARE_AMOUNT.fullmatch(stripped)
    if bare:
        value = _value(bare["num"], bare["scale"] or bare["abbr"])
        return (None, value) if value is not None else None
    return None


def text_mentions_amount(text: str, amount: str) -> bool:
    """Whether `text` states `amount` ("$1,000,000" matches "USD 1 million"); a currency must agree."""
    wanted = normalize_amount(amount)
    if wanted is None:
        return False
    currency, value = wanted
    return any(
        match.value == value and (currency is None or match.currency == currency)
        for match in find_amounts(text)
    )


# --- parties ---------------------------------------------------------------------------------

_SUFFIX_WORDS = {"incorporated": "inc", "corporation": "corp", "company": "co", "limited": "ltd"}
_CORP_SUFFIX = (
    r"(?:Inc|INC|Incorporated|Corp|CORP|Corporation|CORPORATION|Co|CO|Company|COMPANY|Ltd|LTD|Limited|"
    r"LIMITED|LLC|L\.L\.C|LLP|L\.L\.P|LP|L\.P|plc|PLC|P\.L\.C|AG|SE|SA|S\.A|N\.V|B\.V|S\.p\.A|"
    r"GmbH(?:\s*&\s*Co\.?\s*KG)?|KG|Pty(?:\s+Ltd)?)\.?"
)
_GAP = r"(?:[ \t]+|[ \t]*\n[ \t]*)"  # a space or one line break, never a blank line
# A capitalised word that is not a company suffix (those end a name) nor "AND" (which may join two).
_CAP_WORD = rf"(?!(?:{_CORP_SUFFIX}|AND)(?![\w&]))(?:[A-Z][\w'’.\-]*|\(Pty\))"
_NAME_START = r"(?<![\w\-/:.&])"
_LINK_WORD = r"(?:of|the|for|de|du|la|von|van|y|&)"
_NAME_CORE = rf"{_CAP_WORD}(?:{_GAP}(?:{_LINK_WORD}{_GAP})*{_CAP_WORD})*"
_NAME_CORE_WITH_AND = rf"{_CAP_WORD}(?:{_GAP}(?:(?:{_LINK_WORD}|and|AND){_GAP})*{_CAP_WORD})*"
_WITH_SUFFIX = rf",?{_GAP}{_CORP_SUFFIX}(?![\w&])"
_NAME = rf"{_NAME_START}{_NAME_CORE}(?:{_WITH_SUFFIX})*"
_NAME_WITH_AND = rf"{_NAME_START}{_NAME_CORE_WITH_AND}(?:{_WITH_SUFFIX})*"
_ENTITY = re.compile(rf"(?P<name>{_NAME})")
_ENTITY_WITH_AND = re.compile(rf"(?P<name>{_NAME_WITH_AND})")
_ENDS_WITH_SUFFIX = re.compile(rf"{_WITH_SUFFIX}$")
_DEFINED_TERM = re.compile(
    r"""\A[\s,]*\(\s*(?:the\s+|hereinafter\s+(?:referred\s+to\s+as\s+|called\s+)?)?["“']"""
    r"""(?P<term>[^"”'()]{1,40})["”']"""
)
_HEREINAFTER = re.compile(
    r"""hereinafter\s+(?:referred\s+to\s+as|called)\s*:?\s*["“]?"""
    r"""(?P<term>[A-Z][\w&.\- ]{0,38}?)["”]?\s*(?:[)—–,;]|-\s|$)""",
    re.M,
)
_INCORPORATED_AS = re.compile(
    r"\A,\s*an?\s+(?:[A-Z][\w.]*\s+){0,3}(?:corporation|company|limited\s+liability\s+company|partnership|"
    r"limited\s+partnership|public\s+limited\s+company)\b"
)
# Where a preamble ends: recitals, or the first numbered clause.
_PREAMBLE_END = re.compile(
    r"\b(?:WHEREAS|Whereas|RECITALS?|Recitals|Preamble|PREAMBLE|NOW,?\s+THEREFORE|BACKGROUND)\b"
    r"|(?:\.\s+|\n\s*)(?:\d+(?:\.\d+)*\.?|Article|ARTICLE|Section|SECTION)\s+[A-Z]"
)
_BETWEEN = re.compile(r"\b(?:by\s+and\s+)?between\b\s*:?\s*", re.I)
_SEPARATOR = re.compile(r"(?:^|(?<=[\s,;)]))(?:and|AND)\s*:?\s+")

_ROLE_WORDS = (
    "plaintiff", "defendant", "appellant", "appellee", "petitioner", "respondent", "cross-appellant",
    "cross-appellee", "intervenor", "claimant", "applicant", "debtor", "creditor",
)  # fmt: skip
_ROLE_WORD = r"(?:cross-)?(?:plaintiff|defendant|appellant|appellee|petitioner|respondent)s?"
_ROLE_LINE = re.compile(
    rf"^\s*(?:{_ROLE_WORD}|intervenors?|claimants?|applicants?|debtors?|creditors?)"
    rf"(?:\s*[,/&-]\s*(?:and\s+)?{_ROLE_WORD})*\s*[,.;]?\s*$",
    re.I,
)
_VERSUS_LINE = re.compile(r"^\s*(?:v|vs|versus)\.?\s*$", re.I)
# Role words in any case, the name itself capitalised.
_ROLE_PREFIXED = re.compile(
    rf"\b(?P<role>(?i:{_ROLE_WORD}))(?:[-–]\s?(?i:{_ROLE_WORD}))?[ \t]+(?P<name>{_NAME})"
)
_INLINE_CAPTION = re.compile(
    rf"(?P<a>{_NAME_WITH_AND})(?:,?\s+et\s+al\.?)?,?\s+vs?\.\s+(?P<b>{_NAME_WITH_AND})"
)
_ET_AL = re.compile(r",?\s+et\s+al\.?,?\s*$", re.I)
_CAPACITY = re.compile(
    r",?\s+(?:in\s+(?:his|her|its|their)\s+official\s+capacit|ex\s+rel\.|individually|as\s+)", re.I
)
# Words that start a sentence or a citation rather than a name ("In Smith v. Jones").
_NOT_NAME_START = {
    "in", "the", "see", "under", "unlike", "per", "cf", "also", "we", "our", "from", "this", "that", "and",
    "or", "but", "as", "by", "on", "at", "for", "with", "following", "re", "court", "counsel", "exhibit",
    "section", "article", "motion", "no", "case",
}  # fmt: skip
# Citation signals; "In" only counts capitalised ("In Smith v. Jones, ..."), as "notice in Simon
# v. CCSF" names the matter itself.
_CITATION_SIGNALS = {
    "See", "see", "Cf", "cf", "Accord", "accord", "Compare", "Contra", "citing", "In", "Under", "Unlike",
}  # fmt: skip
_PARTY_ROLE_TERMS = {
    "company", "client", "customer", "supplier", "licensor", "licensee", "seller", "buyer", "purchaser",
    "vendor", "contractor", "consultant", "employer", "employee", "landlord", "tenant", "lender",
    "borrower", "guarantor", "provider", "recipient", "discloser", "surety", "indemnitor", "distributor",
}  # fmt: skip


@dataclass(frozen=True)
class PartyMatch:
    name: str
    role: str
    start: int


def _clean_name(raw: str) -> str:
    name = _ET_AL.sub("", re.sub(r"\s+", " ", raw)).strip(" ,;")
    last = name.rsplit(" ", 1)[-1]
    # A sentence's full stop is not part of the name; "Inc." and "T." keep theirs.
    if name.endswith(".") and len(last) > 5 and not re.fullmatch(_CORP_SUFFIX, last):
        name = name[:-1]
    return name


def _plausible_name(name: str) -> bool:
    words = name.split()
    if not words or words[0].lower().strip(".,") in _NOT_NAME_START:
        return False
    letters = sum(ch.isalpha() for ch in name)
    return letters >= 2 and len(name) <= 120 and len(words) <= 14


def _role_from_line(line: str) -> str:
    words = re.findall(r"(?:cross-)?[a-z]+", line.lower())
    roles = [w[:-1] if w.endswith("s") and w[:-1] in _ROLE_WORDS else w for w in words]
    return ", ".join(dict.fromkeys(r for r in roles if r in _ROLE_WORDS))


def _defined_role(term: str) -> str:
    return f'defined as "{term.strip()}"'


def _preamble_parties(text: str) -> list[PartyMatch]:
    """Parties in a contract preamble: "between A ("A") and B, a Delaware corporation".

    A cover page often says "between A and B" too, without the detail that makes a name certain,
    so every "between" near the start is read and the one naming the most parties wins."""
    best: list[PartyMatch] = []
    for between in _BETWEEN.finditer(text):
        region = text[between.end() : between.end() + 2500]
        ends = [m.start() for m in (_PREAMBLE_END.search(region), _BETWEEN.search(region)) if m]
        parties = _parties_in_preamble(region[: min(ends, default=len(region))], between.end())
        if len(parties) > len(best):
            best = parties
    return best


def _parties_in_preamble(region: str, offset: int) -> list[PartyMatch]:
    starts = [0] + [m.end() for m in _SEPARATOR.finditer(region)]
    spans: list[tuple[int, int, str]] = []
    for pos in starts:
        if any(a <= pos < b for a, b, _ in spans):
            continue
        for pattern, needs_term in ((_ENTITY, False), (_ENTITY_WITH_AND, True)):
            match = pattern.match(region, pos)
            if not match or not _plausible_name(match["name"]):
                continue
            after = region[match.end() :]
            has_term = bool(_DEFINED_TERM.match(after)) or after.lstrip(" ,\n").startswith(("—", "–"))
            strong = bool(_ENDS_WITH_SUFFIX.search(match["name"]) or _INCORPORATED_AS.match(after))
            if has_term or (strong and not needs_term):
                spans.append((match.start(), match.end(), _clean_name(match["name"])))
                break
    parties: list[PartyMatch] = []
    for index, (start, end, name) in enumerate(spans):
        segment = region[end : spans[index + 1][0] if index + 1 < len(spans) else len(region)]
        term = (
            _DEFINED_TERM.match(segment)
            or _HEREINAFTER.search(segment)
            or re.search(r"""\(\s*(?:the\s+)?["“](?P<term>[^"”()]{1,40})["”]""", segment)
        )
        parties.append(PartyMatch(name, _defined_role(term["term"]) if term else "", offset + start))
    return parties


_CAPTION_STOP = re.compile(
    r"^(?:No\.|Nos\.|Case\b|Docket|\(No\.|IN THE|In the|UNITED STATES|United States|For the|FOR THE|"
    r"Filed|FILED|Argued|Decided|Submitted|Before|BEFORE|Appeal|APPEAL|On\s|\[|\d)"
)


def _caption_side(lines: list[str]) -> tuple[list[str], str]:
    """(name lines, role) from the lines on one side of a "v." line, nearest line first."""
    role = ""
    names: list[str] = []
    name_ended = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            name_ended = name_ended or bool(names)
            continue
        if _ROLE_LINE.match(stripped):
            if role:
                break
            role = _role_from_line(stripped)
            name_ended = name_ended or bool(names)
            continue
        if name_ended or _CAPTION_STOP.match(stripped) or find_dates(stripped) or len(names) == 4:
            break
        names.append(stripped)
    return names, role


def _split_caption_names(block: str) -> list[str]:
    block = _CAPACITY.split(block, maxsplit=1)[0]
    names = [_clean_name(part) for part in re.split(r",\s+and\s+|;\s+", block)]
    return [name for name in names if _plausible_name(name) and name[0].isupper()]


def _caption_parties(text: str) -> list[PartyMatch]:
    """Parties of a court caption laid out on lines, with "v." alone on its line."""
    lines = text.splitlines(keepends=True)
    offset = 0
    for index, line in enumerate(lines):
        if _VERSUS_LINE.match(line):
            above, above_role = _caption_side(lines[max(0, index - 10) : index][::-1])
            below, below_role = _caption_side(lines[index + 1 : index + 14])
            firsts = _split_caption_names(" ".join(above[::-1]))
            seconds = _split_caption_names(" ".join(below))
            if firsts and seconds:
                return [PartyMatch(name, above_role, offset) for name in firsts] + [
                    PartyMatch(name, below_role, offset) for name in seconds
                ]
        offset += len(line)
    return []


def _role_prefixed_parties(text: str) -> list[PartyMatch]:
    """'Plaintiff Jane Roe', 'defendant-appellee Janet T. Mills'."""
    parties = []
    for match in _ROLE_PREFIXED.finditer(text):
        name = _clean_name(_CAPACITY.split(match["name"], maxsplit=1)[0])
        if not _plausible_name(name) or (name.isupper() and len(name.split()) == 1):
            continue
        role = match["role"].lower()
        role = role[:-1] if role.endswith("s") else role
        parties.append(PartyMatch(name, role, match.start("name")))
    return parties


def _defined_term_parties(text: str) -> list[PartyMatch]:
    """'Acme Corp. ("Company")' where the defined term is a party role such as Company or Supplier."""
    parties = []
    for match in re.finditer(
        rf"(?P<name>{_NAME})\s*\(\s*(?:the\s+)?[\"“](?P<term>[A-Za-z ]{{2,30}})[\"”]",
        text,
    ):
        if match["term"].strip().lower() in _PARTY_ROLE_TERMS and _plausible_name(match["name"]):
            parties.append(
                PartyMatch(_clean_name(match["name"]), _defined_role(match["term"]), match.start())
            )
    return parties


def _inline_caption_parties(text: str) -> list[PartyMatch]:
    """The first "X v. Y" that names this matter, not a case cited as authority: citations open
    with a signal ("In", "See", "Cf.") or go on to a reporter ("Smith v. Jones, 590 U.S. 255")."""
    for match in _INLINE_CAPTION.finditer(text):
        before = re.search(r"(\w+)\W*$", text[: match.start()])
        signal = before is not None and before[1] in _CITATION_SIGNALS
        if signal or re.match(r",?\s*\d", text[match.end() :]):
            continue
        names = []
        for side in ("a", "b"):
            words = match[side].split()
            # Leading words the name pattern swallowed: a signal marks a citation, others just go.
            if side == "a" and words and words[0].strip(".,") in _CITATION_SIGNALS:
                break
            while words and words[0].lower().strip(".,") in _NOT_NAME_START:
                words = words[1:]
            name = _clean_name(" ".join(words))
            if not _plausible_name(name):
                break
            names.append(PartyMatch(name, "", match.start(side)))
        else:
            return names
    return []


def find_parties(text: str, *, head_chars: int = 6000) -> list[PartyMatch]:
    """Parties named where documents name them: the contract preamble, the court caption, role
    words ("Plaintiff X") and party defined terms near the start. Precise over complete: names
    mentioned elsewhere (cited cases, third parties) are not parties of this matter."""
    # Join words hyphenated across line breaks first ("Interna-\ntional").
    head = re.sub(r"(\w)-[ \t]*\n[ \t]*([a-z])", r"\1\2", text[:head_chars])
    found = _preamble_parties(head) + _caption_parties(head)
    if not found:
        found = _inline_caption_parties(head)
    found += _role_prefixed_parties(head) + _defined_term_parties(head)
    return dedupe_parties(found)


def party_key(name: str) -> str:
    """Comparable form of a party name: case, punctuation, "&"/"and" and suffix spellings ignored."""
    text = _squash(name.replace("&", " and "))
    words = [_SUFFIX_WORDS.get(word, word) for word in text.replace(".", "").split()]
    if words and words[0] == "the":
        words = words[1:]
    if words[-2:] == ["et", "al"]:
        words = words[:-2]
    return " ".join(words)


def _squash(text: str) -> str:
    """Lowercase, line-break hyphenation joined, punctuation (but not dots) out, spaces collapsed."""
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text).lower()
    text = re.sub(r"[^\w.&$€£¥%/\-]+", " ", text)
    text = re.sub(r"\.(?=\s|$)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def same_party(name: str, other: str) -> bool:
    """Whether two names denote the same party: equal, or one contained in the other word for
    word ("Janet T. Mills" / "JANET T. MILLS", "Acme" / "Acme Corp.")."""
    key, other_key = party_key(name), party_key(other)
    return bool(key and other_key) and (f" {key} " in f" {other_key} " or f" {other_key} " in f" {key} ")


def abbreviates(short: str, name: str) -> bool:
    """Whether `short` is the acronym of `name`: "CCSF" of "City and County of San Francisco",
    "IFIC" of "International Fidelity Insurance Company" (a company suffix may be left out)."""
    letters = re.sub(r"[^A-Za-z]", "", short)
    if not (3 <= len(letters) <= 8) or not short.strip().replace(".", "").isupper() or " " in short.strip():
        return False
    words = [w for w in re.split(r"[\s,]+", name.replace("&", " ")) if w and w[0].isupper()]
    # With and without trailing company suffixes ("Company Inc." -> "C", "CI" or nothing).
    forms = {"".join(w[0] for w in words).upper()}
    while len(words) > 2 and re.fullmatch(_CORP_SUFFIX, words[-1].rstrip(",")):
        words = words[:-1]
        forms.add("".join(w[0] for w in words).upper())
    return len(words) >= 2 and letters.upper() in forms


def dedupe_parties(parties: list[PartyMatch]) -> list[PartyMatch]:
    """One entry per party, the longer name kept, the first role found kept."""
    kept: list[PartyMatch] = []
    for party in parties:
        for index, other in enumerate(kept):
            if same_party(party.name, other.name):
                longer = other if len(other.name) >= len(party.name) else party
                kept[index] = PartyMatch(longer.name, other.role or party.role, other.start)
                break
        else:
            kept.append(party)
    return kept


def text_mentions_party(text: str, name: str) -> bool:
    """Whether `text` names the party `name`, ignoring case, spacing, commas and "Inc." vs "Inc"."""
    wanted = party_key(name)
    return bool(wanted) and f" {wanted} " in f" {party_key(text)} "


# --- cues ------------------------------------------------------------------------------------

_NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|fourteen|fifteen|twenty|thirty|forty-five|"
    r"sixty|ninety|\d+)"
)
# Real time limits only: a hearing or a signing date is an event, not a deadline. "due" as in "due
# to", "due process" or "than is due" is no time limit.
DEADLINE_CUE = re.compile(
    r"(?<!than\sis\s)\b(?:due\b(?!\s+(?:to|process|diligence|care|course|regard|consideration|respect|deference)\b)|"
    r"deadline|no\s+later\s+than|not\s+later\s+than|on\s+or\s+before|last\s+day|"
    rf"within\s+{_NUMBER_WORDS}(?:\s*\(\d+\))?\s+(?:business\s+|calendar\s+|working\s+)?(?:days?|weeks?|months?)|"
    r"expir\w*|"
    r"(?:must|shall|will)\b[^.;]{0,80}?\bby\s+(?:\d|the\s+\w+\s+day|" + _MONTH + r")|"
    r"must\s+be\s+(?:filed|e-?mailed|served|submitted|sent|delivered|received|returned|paid)|"
    r"(?:filed|served|submitted|e-?mailed|sent|delivered)\s+(?:\w+\s+){0,4}(?:by|before)\s+\d)",
    re.I,
)
OBLIGATION_CUE = re.compile(
    r"\b(?:shall|must|agrees?\s+to|is\s+required\s+to|are\s+required\s+to|undertakes?\s+to|"
    r"is\s+obliged\s+to|will\s+be\s+required)\b",
    re.I,
)
RISK_CUES = {
    "termination": re.compile(r"\bterminat\w*", re.I),
    "liability": re.compile(r"\bliabilit\w*|\bliable\b", re.I),
    "indemnity": re.compile(r"\bindemni\w*", re.I),
    "breach": re.compile(r"\bbreach\w*|\bdefault\b", re.I),
    "penalty": re.compile(r"\bpenalt\w*|liquidated\s+damages|\bforfeit\w*", re.I),
    "exclusivity": re.compile(r"\bexclusiv\w*", re.I),
    "non-compete": re.compile(r"\bnon-?\s?compet\w*|not\s+(?:to\s+)?compete", re.I),
    "waiver": re.compile(r"\bwaive\w*", re.I),
    "redaction": re.compile(r"\[\*\*\*\]"),
}


def is_deadline_like(sentence: str) -> bool:
    return bool(DEADLINE_CUE.search(sentence))


def risk_cues(sentence: str) -> list[str]:
    """Names of the risk cues in `sentence` (termination, liability, indemnity, ...)."""
    return [name for name, pattern in RISK_CUES.items() if pattern.search(sentence)]
