"""The `local` summarizer: offline, no key, no model. An honest extractive summary.

Every sentence it shows is quoted from a document or from the case details (whitespace and
line-break hyphenation tidied); the only words of its own are short labels. Dates, amounts and
parties come from the rule-based finders; what rules cannot know (the client's side, the
strategy) is left empty rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from app.summarize import CaseText, Document, Progress, Result
from app.summarize.finders import (
    OBLIGATION_CUE,
    PartyMatch,
    find_amounts,
    find_dates,
    find_parties,
    is_deadline_like,
    risk_cues,
    same_party,
)
from app.summarize.schema import (
    DETAILS_SOURCE,
    Amount,
    DocumentLine,
    Fact,
    KeyDate,
    Party,
    Source,
    Summary,
)
from app.summarize.textrank import (
    Ranking,
    Sentence,
    document_sentences,
    is_quotable,
    rank_sentences,
    strip_repeated_lines,
)

EXTRACTIVE_NOTE = "Extractive summary: sentences are quoted from the documents, not written by an AI."

MAX_KEY_POINTS = 12
MAX_DATES = 12
MAX_AMOUNTS = 10
MAX_PARTIES = 10
MAX_OBLIGATIONS = 8
MAX_RISKS = 6
MAX_NEXT_STEPS = 6
MAX_QUOTE = 400  # characters of a sentence shown in the overview and document lines
PARTY_HEAD_CHARS = 6000  # parties are named at the start: preamble, caption

_T = TypeVar("_T")

# Asks in the case details: an imperative verb first, or "please", or something "needed"/"due".
_ASK = re.compile(
    r"^(?:please\s+|kindly\s+|also\s+|then\s+)?(?:summari[sz]e|review|prepare|draft|flag|confirm|note|list|"
    r"calendar|coordinate|send|file|check|pull|identify|advise|analy[sz]e|compare|request|obtain|"
    r"schedule|research|respond|circulate|update|call|e-?mail|find|determine|assess|explain|outline|"
    r"mark|highlight|set\s+up)\b|\bplease\b|\b(?:is|are)\s+(?:needed|required|due)\b|\bneeded\b|"
    r"\bdue\s+(?:by|on|in|end|within|before)\b|\bgo(?:es)?\s+back\b",
    re.I,
)
# Ordered: the first kind with the most distinct cues in the title and details wins; a tie goes
# to the earlier (more specific) kind. No cue at all: "" (unsure).
_MATTER_TYPES = [
    ("due diligence", r"due diligence|\bdiligence\b|data room"),
    ("legal research", r"research (?:note|memo)|full opinion|case law|precedents?\b|pin cites?"),
    (
        "litigation",
        r"\bv\.|\bvs\.|plaintiff|defendant|complaint|lawsuit|litigation|hearing|motion|\bjudge\b|"
        r"\bdkt\b|docket|\becf\b|trial|deposition|subpoena|injunction|appeal",
    ),
    ("regulatory", r"regulator|regulatory|compliance|\bagency\b|\bpermit\b|licen[cs]e application|\bfda\b"),
    ("employment", r"employment|employee|severance|dismissal|discharge"),
    (
        "contract review",
        r"\bagreement|\bcontract|\bnda\b|\bmsa\b|\bterms\b|\bclause|playbook|issues list|redline|"
        r"non-?compet|right of first",
    ),
]
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][\w .\-]{0,40}?)\s*\}")
_TEMPLATE_LOGIC = re.compile(r"^(?:IF|ELSE|END|ENDIF|FOR|EACH)\b", re.I)


@dataclass(frozen=True)
class _Source:
    """One text the summary draws on: a document, or the case details."""

    file: str
    sentences: list[Sentence]
    ranking: Ranking  # over `quotable`, in that order
    quotable: list[Sentence]

    def source(self, page: int | None) -> Source:
        return Source(file=self.file, page=page)

    def score(self, index: int) -> float:
        """Rank score of quotable sentence `index`, scaled so this source's best is 1."""
        return float(self.ranking.scores[index] / max(self.ranking.scores.max(), 1e-9))


class LocalSummarizer:
    """Extractive summary with TextRank plus rule-based finders; needs no network and no data."""

    def summarize(self, case: CaseText, progress: Progress) -> Result:
        focus = f"{case.title}\n{case.details}"
        progress("reading the case details")
        details = _analyse(DETAILS_SOURCE, [(None, case.details)], focus)
        documents: list[tuple[Document, _Source]] = []
        for document in case.documents:
            progress(f"ranking sentences in {document.name}")
            pages = [(page.number, page.text) for page in document.pages]
            documents.append((document, _analyse(document.name, pages, focus)))
        progress("collecting dates, amounts, parties and deadlines")
        sources = [details] + [source for _, source in documents]
        texts = [source for _, source in documents]
        notes = [EXTRACTIVE_NOTE]
        dates = _capped(_dates(sources), MAX_DATES, "dates", notes)
        amounts = _capped(_amounts(sources), MAX_AMOUNTS, "amounts", notes)
        notes += [f"{document.name}: {note}" for document, _ in documents for note in document.notes]
        summary = Summary(
            method="extractive",
            overview=_overview(details, documents),
            matter_type=_matter_type(f"{case.title}\n{case.details}"),
            key_points=_key_points(texts),
            parties=_parties(case.details, documents),
            # Listed in calendar order once the cap has kept the most important ones.
            dates=sorted(dates, key=lambda d: (not _ISO.match(d.date), d.date)),
            amounts=amounts,
            obligations=_obligations(sources),
            risks=_risks(texts),
            open_questions=_open_questions(documents),
            next_steps=[
                Fact(text=sentence.text, source=details.source(None))
                for sentence in details.sentences
                if _ASK.search(sentence.text)
            ][:MAX_NEXT_STEPS],
            documents=[_document_line(document, source) for document, source in documents],
            notes=notes,
        )
        return Result(summary=summary, usage=None)


def _analyse(file: str, pages: Sequence[tuple[int | None, str]], focus: str) -> _Source:
    sentences = document_sentences(pages)
    quotable = [s for s in sentences if is_quotable(s.text)]
    # Boilerplate repeated on every page of a text without page breaks (a confidentiality legend,
    # "Page 3 of 7") is not content.
    shapes = [re.sub(r"\d+", "#", s.text.lower()) for s in quotable]
    counts = Counter(shapes)
    quotable = [s for s, shape in zip(quotable, shapes, strict=True) if counts[shape] < 3]
    return _Source(file, sentences, rank_sentences(quotable, focus), quotable)


def _quote(text: str, limit: int = MAX_QUOTE) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _around(text: str, start: int, end: int, width: int = 220) -> str:
    """The words of `text` around [start, end), about `width` characters, cut ends marked "…"."""
    if len(text) <= width:
        return text
    left = max(0, start - (width - (end - start)) // 2)
    right = min(len(text), left + width)
    left = max(0, right - width)
    piece = text[left:right]
    if left > 0:
        piece = "… " + piece.split(" ", 1)[-1]
    if right < len(text):
        piece = piece.rsplit(" ", 1)[0] + " …"
    return piece


def _round_robin(groups: Iterable[list[_T]], limit: int) -> list[_T]:
    """Take from each group in turn, so one long document does not fill a list alone."""
    queues = [list(group) for group in groups if group]
    taken: list[_T] = []
    while queues and len(taken) < limit:
        for queue in queues:
            if queue and len(taken) < limit:
                taken.append(queue.pop(0))
        queues = [queue for queue in queues if queue]
    return taken


def _capped(items: list[_T], limit: int, label: str, notes: list[str]) -> list[_T]:
    if len(items) > limit:
        notes.append(f"Showing {limit} of {len(items)} {label} found (the case details and deadlines first).")
    return items[:limit]


def _key_points(documents: list[_Source]) -> list[Fact]:
    readable = [source for source in documents if source.quotable]
    if not readable:
        return []
    per_document = max(2, min(8, MAX_KEY_POINTS // len(readable)))
    return [
        Fact(text=source.quotable[i].text, source=source.source(source.quotable[i].page))
        for source in readable
        for i in source.ranking.top(per_document)
    ]


def _best_sentence(source: _Source) -> Sentence | None:
    top = source.ranking.top(1)
    return source.quotable[top[0]] if top else None


def _overview(details: _Source, documents: list[tuple[Document, _Source]]) -> str:
    parts: list[str] = []
    # The first real sentence of the request, not a greeting ("Hi team,").
    asked = next((s.text for s in details.sentences if len(s.text.split()) >= 5), None)
    if asked or details.sentences:
        parts.append(f"Request (case details): {_quote(asked or details.sentences[0].text, 300)}")
    quoted = 0
    for document, source in documents:
        best = _best_sentence(source)
        if best is None or quoted == 2:
            continue
        where = f", page {best.page}" if best.page is not None else ""
        parts.append(f"Most central passage of {document.name}{where}: “{_quote(best.text, 300)}”")
        quoted += 1
    unread = [document.name for document, source in documents if not source.sentences]
    if unread:
        parts.append(f"No text could be read from {', '.join(unread)}.")
    if not documents:
        parts.append("No documents are attached.")
    elif quoted < len(documents) - len(unread):
        parts.append(
            f"{len(documents)} documents are attached; the document list quotes each one's top sentence."
        )
    return " ".join(parts)


def _matter_type(text: str) -> str:
    scores = [
        (len({cue.lower() for cue in re.findall(cues, text, re.I)}), kind) for kind, cues in _MATTER_TYPES
    ]
    best = max(score for score, _ in scores)
    return next(kind for score, kind in scores if score == best) if best else ""


def _page_of(pages: Sequence[tuple[int | None, str]], offset: int) -> int | None:
    """The page holding character `offset` of the pages joined by blank lines."""
    for number, text in pages:
        offset -= len(text) + 2
        if offset < 0:
            return number
    return pages[-1][0] if pages else None


def _parties(details: str, documents: list[tuple[Document, _Source]]) -> list[Party]:
    """Parties named by the documents first (fuller names), then by the details."""
    found: list[tuple[PartyMatch, Source]] = []
    for document, source in documents:
        pages = [(page.number, page.text) for page in document.pages]
        head = "\n\n".join(text for _, text in pages)[:PARTY_HEAD_CHARS]
        found += [(match, source.source(_page_of(pages, match.start))) for match in find_parties(head)]
    found += [(match, Source(file=DETAILS_SOURCE, page=None)) for match in find_parties(details)]
    kept: list[Party] = []
    for match, source in found:
        twin = next((party for party in kept if same_party(party.name, match.name)), None)
        if twin is None:
            kept.append(Party(name=match.name, role=match.role, source=source))
        elif not twin.role and match.role:
            twin.role = match.role
    return kept[:MAX_PARTIES]


def _dates(sources: list[_Source]) -> list[KeyDate]:
    """One entry per date, most important first: the details' own, then deadlines, then the
    earliest mentions. A date without a year is kept as written."""
    candidates: list[tuple[tuple[int, int, int], str, KeyDate]] = []
    for rank, source in enumerate(sources):
        for sentence in source.sentences:
            for match in find_dates(sentence.text):
                what = _around(sentence.text, match.start, match.end)
                deadline = is_deadline_like(what)
                # A document's "on May 9" usually retells events of a year stated elsewhere; only
                # recurring or relative deadlines ("by March 31 of each year") are worth listing.
                if match.iso is None and rank > 0 and not deadline:
                    continue
                date = KeyDate(
                    date=match.iso or match.text,
                    what=what,
                    is_deadline=deadline,
                    source=source.source(sentence.page),
                )
                key = match.iso or f"{match.month:02d}-{match.day:02d}"
                candidates.append(((min(rank, 1), 0 if deadline else 1, sentence.position), key, date))
    chosen: dict[str, KeyDate] = {}
    for _, key, date in sorted(candidates, key=lambda item: item[0]):
        chosen.setdefault(key, date)
    return list(chosen.values())


def _amounts(sources: list[_Source]) -> list[Amount]:
    amounts: list[Amount] = []
    seen: set[tuple[str | None, object]] = set()
    for source in sources:
        for sentence in source.sentences:
            for match in find_amounts(sentence.text):
                if (match.currency, match.value) in seen:
                    continue
                seen.add((match.currency, match.value))
                amounts.append(
                    Amount(
                        amount=match.text,
                        what=_around(sentence.text, match.start, match.end),
                        source=source.source(sentence.page),
                    )
                )
    return amounts


def _ranked_facts(source: _Source, keep: Callable[[str], float]) -> list[tuple[float, Fact]]:
    """Quotable sentences that `keep` weighs above 0, best first (weight plus rank score)."""
    weighed = []
    for index, sentence in enumerate(source.quotable):
        weight = keep(sentence.text)
        if weight > 0:
            fact = Fact(text=sentence.text, source=source.source(sentence.page))
            weighed.append((weight + source.score(index), fact))
    return sorted(weighed, key=lambda item: -item[0])


def _obligation_weight(text: str) -> float:
    """Duties with a time limit first (2), other duties after (1)."""
    if not OBLIGATION_CUE.search(text):
        return 0.0
    return 2.0 if is_deadline_like(text) else 1.0


def _obligations(sources: list[_Source]) -> list[Fact]:
    details, documents = sources[0], sources[1:]
    from_details = [fact for weight, fact in _ranked_facts(details, _obligation_weight) if weight >= 2]
    per_document = [[fact for _, fact in _ranked_facts(source, _obligation_weight)] for source in documents]
    return (from_details + _round_robin(per_document, MAX_OBLIGATIONS))[:MAX_OBLIGATIONS]


def _risk_weight(text: str) -> float:
    cues = risk_cues(text)
    # A redaction alone makes a sentence uncertain, not risky: it counts half.
    return len([cue for cue in cues if cue != "redaction"]) + 0.5 * ("redaction" in cues)


def _risks(documents: list[_Source]) -> list[Fact]:
    return _round_robin(
        [[fact for _, fact in _ranked_facts(source, _risk_weight)] for source in documents], MAX_RISKS
    )


def _page_list(pages: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5"."""
    runs: list[list[int]] = []
    for page in sorted(set(pages)):
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def _open_questions(documents: list[tuple[Document, _Source]]) -> list[Fact]:
    """Only what the text itself shows is missing: unreadable files, redactions, blank fields."""
    questions: list[Fact] = []
    for document, source in documents:
        if not source.sentences:
            questions.append(
                Fact(text=f"No text could be read from {document.name}.", source=source.source(None))
            )
            continue
        # Counted without running headers: a legend explaining "[***]" on every page is no redaction.
        texts = strip_repeated_lines([page.text for page in document.pages])
        redacted = [page.number for page, text in zip(document.pages, texts, strict=True) if "[***]" in text]
        if redacted:
            count = sum(text.count("[***]") for text in texts)
            numbered = [number for number in redacted if number is not None]
            where = f", on pages {_page_list(numbered)}" if numbered else ""
            questions.append(
                Fact(
                    text=f"{count} [***] redactions in {document.name}{where}.",
                    source=source.source(redacted[0]),
                )
            )
        blanks = list(
            dict.fromkeys(
                match[1]
                for match in _PLACEHOLDER.finditer(document.text)
                if not _TEMPLATE_LOGIC.match(match[1])
            )
        )
        if blanks:
            shown = ", ".join("{" + name + "}" for name in blanks[:12])
            more = f" and {len(blanks) - 12} more" if len(blanks) > 12 else ""
            questions.append(
                Fact(
                    text=f"{len(blanks)} {{placeholder}} fields left blank in {document.name}: "
                    f"{shown}{more}.",
                    source=source.source(None),
                )
            )
    return questions


def _document_line(document: Document, source: _Source) -> DocumentLine:
    best = _best_sentence(source)
    if best is not None:
        line = _quote(best.text)
    elif source.sentences:
        line = _quote(source.sentences[0].text)
    else:
        line = "No text could be read from this file."
    numbered = [page for page in document.pages if page.number is not None]
    return DocumentLine(file=document.name, line=line, pages=len(numbered) or None, summarized_in_parts=False)
