"""The Content-Disposition of every download: an attachment under the original file name.

One builder for both backends, so a file comes down under the same name whether the app serves it
(`local`) or S3 does through a presigned URL. Non-ASCII names go in `filename*` (RFC 5987/6266);
`filename` carries an ASCII stand-in for clients that ignore `filename*`.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# RFC 5987 attr-chars besides letters and digits; everything else in `filename*` is percent-encoded.
_ATTR_CHARS = "!#$&+-.^_`|~"
# Not safe inside the quoted fallback: quotes and backslashes end or escape it, control characters
# break the header, and some browsers percent-decode `filename`.
_UNSAFE_IN_QUOTES = re.compile(r'[^\x20-\x7e]|["\\%]')


def attachment(filename: str) -> str:
    """`attachment; filename="<ASCII stand-in>"; filename*=UTF-8''<percent-encoded name>`."""
    encoded = quote(filename, safe=_ATTR_CHARS)
    return f"attachment; filename=\"{_ascii_stand_in(filename)}\"; filename*=UTF-8''{encoded}"


def _ascii_stand_in(filename: str) -> str:
    # Accents fold to their base letter ("Ä" → "A"); characters with no ASCII form become "_", so
    # "報告書.pdf" comes out as "___.pdf" rather than the hidden-file name ".pdf".
    letters = (
        unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii") or "_"
        for char in unicodedata.normalize("NFC", filename)
    )
    return _UNSAFE_IN_QUOTES.sub("_", "".join(letters))
