"""The real documents in ../shared/samples, and their extraction done once per test run.

Reading the 154-page contract takes pypdf one to four minutes; every samples module shares one read.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import IO, Any

from app.extract import Extraction, extract
from app.sniff import sniff

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
MISSING = f"real sample documents not found at {SAMPLES} (they sit beside the checkout in CI)"


@functools.cache
def extracted(name: str) -> Extraction:
    """`app.extract.extract` of one sample, as the worker runs it, computed once per run."""
    with (SAMPLES / name).open("rb") as stream:
        return extract(stream, sniff(stream, name))


def text_of(name: str) -> str:
    return "\n\n".join(page.text for page in extracted(name).pages)


@functools.cache
def _names_by_digest() -> dict[str, str]:
    return {
        hashlib.sha256(path.read_bytes()).hexdigest(): path.name
        for path in SAMPLES.iterdir()
        if path.is_file()
    }


def extract_reusing_samples(stream: IO[bytes], content_type: str, **limits: Any) -> Extraction:
    """Stands in for `extract` in the worker: a sample file (known by its bytes) gets the one shared
    extraction, with the same default limits; any other file is extracted as usual."""
    digest = hashlib.sha256(stream.read()).hexdigest()
    stream.seek(0)
    name = _names_by_digest().get(digest)
    return extracted(name) if name else extract(stream, content_type, **limits)
