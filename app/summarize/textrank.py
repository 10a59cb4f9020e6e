"""Sentence splitting and TextRank-style ranking, offline (pysbd rules + numpy; no data downloads).

Text from PDFs arrives hard-wrapped, hyphenated across lines and with running headers; the
cleanup here undoes that layout so sentences can be quoted whole. Ranking is a TF-IDF cosine
graph scored with PageRank, personalised towards the lawyer's request (topic-sensitive PageRank),
so sentences about what was asked rise. Long documents are pre-filtered by centrality to keep
the graph small: the 154-page sample (3,000+ sentences) ranks in well under a second.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pysbd


@dataclass(frozen=True)
class Sentence:
    text: str  # as in the source, but whitespace collapsed, line-break hyphens and markup removed
    page: int | None
    position: int  # order within its document


# --- cleanup and splitting ---------------------------------------------------------------------

_HYPHEN_BREAK = re.compile(r"(\w)-[ \t]*\n[ \t]*([a-z])")
# "(a) ", "iv) ", "12. ", "3.1 ", bullets, "Article 5": lower-case letters only, so a wrapped
# "Inc. (the ..." or "No. 20-1507" does not start a paragraph.
_LIST_START = re.compile(
    r"^\s*(?:\(?[a-z0-9]{1,3}[.)]\s|\d+(?:\.\d+)+\.?\s|[•·▪●◦\-–]\s|(?:Article|ARTICLE|Section|SECTION)\s)"
)
# A clause number inside run-together text ("... of the Services 1.2 This Agreement ..."), not a
# number with its unit ("USD 1.5 Million", "within 2.5 Years").
_CLAUSE_NUMBER = re.compile(
    r"(?<=[a-z.;:)])\s(?=\d{1,2}\.\d{1,2}\.?\s+[A-Z])"
    r"(?!\d{1,2}\.\d{1,2}\.?\s+(?:Million|Billion|Thousand|Percent|Per|Years?|Months?|Weeks?|Days?|Hours?)\b)"
)
_SENTENCE_END = re.compile(r"[.!?;:)\]\"”’]$")
_MAY_SPLIT = re.compile(r"[.!?;:]['\"”’)\]]*\s|\s\(?[a-z0-9ivx]{1,4}\)\s")
# Markup that text from Markdown or HTML sources may still carry; summaries are plain text.
# Emphasis is only taken out in pairs, so a "[***]" redaction stays as it is.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,200}>|^#{1,6}\s+", re.M)
_EMPHASIS = re.compile(r"(?<![*\w\[])(\*\*|__)(?=[^\s*_])([^*_\n]{1,200}?)(?<=[^\s*_])\1(?![*\w\]])")
_MD_LINK = re.compile(r"\[([^\]]{1,200})\]\((?:https?://|/|#)[^)\s]{0,500}\)")
# Definitions and recitals are central by word count, not by what a lawyer needs first.
_LOW_VALUE = re.compile(
    r"^(?:whereas\b|now,?\s+therefore\b|[“\"][^”\"]{1,80}[”\"]\s+(?:means|shall\s+mean)\b)", re.I
)
_CHUNK = 3000
_CUTS = [re.compile(r"(?<=[a-z]{3}[.!?])\s+(?=[A-Z])"), re.compile(r"(?<=[.!?;])\s+"), re.compile(r"\s+")]
_PAGE_MARK = re.compile(r"\bPage\s+\d+\s+of\s+\d+\b", re.I)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    # Built once: pysbd compiles many regexes per instance.
    return pysbd.Segmenter(language="en", clean=False)


def strip_repeated_lines(pages: Sequence[str]) -> list[str]:
    """Pages without their running headers and footers: short lines that recur (digits aside) on
    at least three pages and an eighth of them, such as "Case: 20-1507 Document: ... Page: 3"."""
    if len(pages) < 3:
        return list(pages)

    def shape(line: str) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.strip()).lower())

    counts = Counter(
        key for page in pages for key in {shape(line) for line in page.splitlines()} if 0 < len(key) <= 160
    )
    threshold = max(3, len(pages) // 8)
    repeated = {key for key, count in counts.items() if count >= threshold}
    return ["\n".join(line for line in page.splitlines() if shape(line) not in repeated) for page in pages]


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of hard-wrapped text: a blank line, a short line (a heading or a paragraph's
    last line) or a list marker starts a new one; wrapped lines are joined with a space."""
    text = _HYPHEN_BREAK.sub(r"\1\2", text.replace("\r", ""))
    text = _EMPHASIS.sub(r"\2", _MARKUP.sub("", _MD_LINK.sub(r"\1", text)))
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        # The usual full line width; the longest line may be a stray (a table row, a URL).
        width = sorted(len(line) for line in lines)[int(0.8 * (len(lines) - 1))]
        current: list[str] = []
        for line in lines:
            if current and (_LIST_START.match(line) or len(current[-1]) < 0.6 * width):
                paragraphs.append(" ".join(current))
                current = []
            current.append(line)
        paragraphs.append(" ".join(current))
    return paragraphs


def _chunks(paragraph: str) -> list[str]:
    """A paragraph in pieces of `_CHUNK` to twice that many characters for pysbd, whose time grows
    with the square of its input (120,000 characters on one line: 18 s). A cut goes after a full
    stop that follows a lower-case word (no abbreviation looks like that), else after any stop,
    else at a space."""
    chunks: list[str] = []
    while len(paragraph) > 2 * _CHUNK:
        cut = next(
            (m for pattern in _CUTS if (m := pattern.search(paragraph, _CHUNK, 2 * _CHUNK))),
            None,
        )
        at = cut.end() if cut else 2 * _CHUNK
        chunks.append(paragraph[:at].strip())
        paragraph = paragraph[at:]
    return [chunk for chunk in [*chunks, paragraph.strip()] if chunk]


def split_sentences(text: str) -> list[str]:
    """Sentences of `text` in order, whitespace collapsed.

    Paragraph by paragraph, so pysbd never sees one huge string, and only paragraphs that could
    hold a boundary go through it: pysbd has a high fixed cost per call. `processor().process()`
    is what `segment()` runs before mapping each sentence back onto the input with a regex compiled
    per sentence (a third of its time) only to restore whitespace, which is collapsed here anyway."""
    sentences: list[str] = []
    for paragraph in _paragraphs(text):
        pieces = []
        for chunk in _chunks(re.sub(r"\s+", " ", paragraph).strip()):
            pieces += _segmenter().processor(chunk).process() if _MAY_SPLIT.search(chunk) else [chunk]
        for piece in pieces:
            # CUAD-style text runs numbered clauses together ("... CRO. 1.2 This Agreement ...").
            sentences.extend(part.strip() for part in _CLAUSE_NUMBER.split(piece) if part.strip())
    return sentences


# A clause number or list marker opening a sentence: "1) ", "(a) ", "3. ", "1.2 ", "iv) ", "B. ".
_ENUMERATOR = re.compile(
    r"^(?:\(?(?:[a-z]|[ivx]{1,5}|\d{1,2})\)|\d{1,2}(?:\.\d{1,2})+\.?|\d{1,2}\.|[A-Z]\.)\s+(?=[A-Z“\"(\[])"
    r"(?!(?:Million|Billion|Thousand|Percent|Per|Years?|Months?|Weeks?|Days?|Hours?)\b)"
)


def strip_enumerator(sentence: str) -> str:
    """`sentence` without a leading clause number ("1) Subject to ..." -> "Subject to ..."); kept when
    what follows is lower case ("(a) the Buyer ..."), which would then read as a fragment."""
    return _ENUMERATOR.sub("", sentence, count=1)


def document_sentences(pages: Sequence[tuple[int | None, str]]) -> list[Sentence]:
    """Every sentence of a document with its page, running headers removed."""
    cleaned = strip_repeated_lines([text for _, text in pages])
    sentences: list[Sentence] = []
    for (number, _), text in zip(pages, cleaned, strict=True):
        for index, sentence in enumerate(split_sentences(text)):
            previous = sentences[-1] if sentences else None
            # A sentence cut by a page break continues in lower case on the next page: rejoin it
            # (it is quoted with the page where it starts).
            if index == 0 and previous and sentence[0].islower() and not _SENTENCE_END.search(previous.text):
                sentences[-1] = Sentence(f"{previous.text} {sentence}", previous.page, previous.position)
                continue
            sentences.append(Sentence(sentence, number, len(sentences)))
    return [Sentence(strip_enumerator(s.text) or s.text, s.page, s.position) for s in sentences]


def is_quotable(sentence: str) -> bool:
    """Whether a sentence reads as prose worth quoting: not a heading, a table-of-contents line,
    a page stamp, a run of numbers, a redaction or a fragment cut off at a page break."""
    text = _PAGE_MARK.sub("", sentence).strip()
    letters = sum(ch.isalpha() for ch in text)
    words = text.split()
    if len(words) < 6 or letters < 30 or len(text) > 700:
        return False
    if letters < 0.6 * len(text.replace(" ", "")):  # mostly digits, dots, punctuation
        return False
    # Headings and captions: in capitals, or in title case with hardly a lower-case word.
    if sum(ch.isupper() for ch in text) > 0.6 * letters or sum(w[0].islower() for w in words) < 0.2 * len(
        words
    ):
        return False
    if re.search(r"\.{4,}|…{2,}|(?:\s\d+){3,}\s*$", text):  # table of contents
        return False
    if not text[0].isupper() and not text[0].isdigit() and text[0] not in "([\"“‘'":
        return False  # a fragment: the start of its sentence was lost to the layout
    if text.count("[***]") >= 3 or letters - 3 * text.count("[***]") < 30:
        return False
    return bool(_SENTENCE_END.search(text))


# --- ranking -----------------------------------------------------------------------------------

_STOPWORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "either", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him",
    "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me",
    "might", "more", "most", "must", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should",
    "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "upon", "very",
    "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "within", "would", "you", "your", "yours", "yourself", "hereby", "herein", "hereof", "hereto",
    "hereunder", "thereof", "therein", "thereto", "whereas", "without", "shall",
})  # fmt: skip
_TOKEN = re.compile(r"[a-z][a-z'\-]{2,}")
_MAX_TERMS = 3000
_GRAPH_SIZE = 400  # sentences in the PageRank graph; more only costs time (the matrix is n²)
_DAMPING = 0.85


def _terms(text: str) -> list[str]:
    terms = []
    for token in _TOKEN.findall(text.lower()):
        if token in _STOPWORDS:
            continue
        # A light plural fold, so "obligation" and "obligations" meet; no stemmer data needed.
        if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
            token = token[:-1]
        terms.append(token)
    return terms


def _tfidf(texts: Sequence[str], focus: str) -> tuple[np.ndarray, np.ndarray]:
    """Unit-length TF-IDF vectors for `texts`, and for `focus` in the same space.

    Only terms that two sentences share (or a sentence and the focus) get a column: no other term
    adds to a dot product. Every term still counts in a vector's length, so cosines are exact;
    this keeps the matrix narrow for long documents."""
    term_counts = [Counter(_terms(text)) for text in texts]
    focus_counts = Counter(_terms(focus))
    document_frequency = Counter(term for counts in term_counts for term in counts)

    def weight(term: str, count: int) -> float:
        return (1 + np.log(count)) * (np.log((len(texts) + 1) / (document_frequency[term] + 1)) + 1)

    shared = [term for term, df in document_frequency.most_common() if df >= 2 or term in focus_counts]
    index = {term: column for column, term in enumerate(shared[:_MAX_TERMS])}
    matrix = np.zeros((len(texts), len(index)), dtype=np.float32)
    for row, counts in enumerate(term_counts):
        length = np.sqrt(sum(weight(term, count) ** 2 for term, count in counts.items()))
        for term, count in counts.items():
            if term in index:
                matrix[row, index[term]] = weight(term, count) / length
    focus_vector = np.zeros(len(index), dtype=np.float32)
    for term, count in focus_counts.items():
        if term in index:
            focus_vector[index[term]] = weight(term, count)
    # The focus is unit length over the document's vocabulary only: its other words are no signal.
    focus_norm = np.linalg.norm(focus_vector)
    if focus_norm > 0:
        focus_vector /= focus_norm
    return matrix, focus_vector


def _pagerank(similarity: np.ndarray, teleport: np.ndarray) -> np.ndarray:
    weights = similarity.copy()
    np.fill_diagonal(weights, 0.0)
    weights[weights < 0.05] = 0.0  # faint links are noise (shared boilerplate words)
    out_degree = weights.sum(axis=1, keepdims=True)
    # A sentence linked to nothing passes its score on along the teleport vector.
    transition = np.where(out_degree > 0, weights / np.where(out_degree > 0, out_degree, 1), teleport)
    scores = np.full(len(teleport), 1 / len(teleport))
    for _ in range(100):
        updated = (1 - _DAMPING) * teleport + _DAMPING * (transition.T @ scores)
        if np.abs(updated - scores).sum() < 1e-6:
            return updated
        scores = updated
    return scores


@dataclass(frozen=True)
class Ranking:
    """Scores for a list of sentences (higher is more central), with their TF-IDF vectors."""

    sentences: list[Sentence]
    scores: np.ndarray
    vectors: np.ndarray

    def top(self, count: int, max_overlap: float = 0.5) -> list[int]:
        """Indices of the best `count` sentences in document order, skipping near-duplicates of
        ones already picked and, while others remain, taking at most two from any one of `count`
        equal stretches of the document, so the picks cover it instead of bunching on page 1."""
        candidates = sorted(range(len(self.sentences)), key=lambda i: -self.scores[i])
        stretch = max(1, -(-len(self.sentences) // max(count, 1)))
        picked: list[int] = []
        for spread in (True, False):
            for index in candidates:
                if len(picked) == count:
                    return sorted(picked)
                crowded = spread and sum(i // stretch == index // stretch for i in picked) >= 2
                if index in picked or crowded:
                    continue
                if picked and float(np.max(self.vectors[picked] @ self.vectors[index])) > max_overlap:
                    continue
                picked.append(index)
        return sorted(picked)


def rank_sentences(sentences: list[Sentence], focus: str = "") -> Ranking:
    """Rank `sentences` by TextRank centrality, personalised towards `focus` (the case details).

    Every sentence gets a score: the ones in the PageRank graph score above 1, the rest keep their
    centrality (cosine to the document centroid) in [0, 1]."""
    if not sentences:
        return Ranking([], np.zeros(0), np.zeros((0, 0), dtype=np.float32))
    vectors, focus_vector = _tfidf([sentence.text for sentence in sentences], focus)
    centroid = vectors.sum(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    relevance = vectors @ focus_vector
    centrality = vectors @ centroid
    scores = (centrality + relevance).astype(np.float64)
    scores /= max(float(scores.max()), 1e-9)
    graph = _graph_members(scores, _GRAPH_SIZE)
    teleport = np.full(len(graph), 1.0)
    if relevance[graph].sum() > 0:
        # Half the random jumps land on sentences about what the lawyer asked.
        teleport += len(graph) * relevance[graph] / relevance[graph].sum()
    teleport /= teleport.sum()
    pagerank = _pagerank(vectors[graph] @ vectors[graph].T, teleport)
    scores[graph] = 1 + pagerank / pagerank.max()
    scores *= [0.6 if _LOW_VALUE.match(sentence.text) else 1.0 for sentence in sentences]
    # A mild lead bias: the operative text comes before exhibits, forms and signature pages.
    scores *= 1 - 0.25 * np.arange(len(sentences)) / len(sentences)
    return Ranking(sentences, scores, vectors)


def _graph_members(scores: np.ndarray, size: int) -> np.ndarray:
    """The sentences that enter the graph: the best by centrality within each of ten equal
    stretches of the document, so a long contract's later sections are not crowded out."""
    if len(scores) <= size:
        return np.arange(len(scores))
    members: list[int] = []
    for stretch in np.array_split(np.arange(len(scores)), 10):
        best = stretch[np.argsort(-scores[stretch])[: size // 10]]
        members.extend(int(i) for i in best)
    return np.array(sorted(members))
